package fakekit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyPair is a generated ed25519 key pair, as Nova-style APIs hand one out.
type KeyPair struct {
	// PublicKey is the authorized_keys line, "ssh-ed25519 AAAA… comment".
	PublicKey string
	// PrivateKeyPEM is the private key as PKCS#8 PEM ("PRIVATE KEY").
	PrivateKeyPEM string
	// Blob is the public key's SSH wire form (what fingerprints hash).
	Blob []byte
	// Private is the raw private key, for fakes that print it otherwise.
	Private ed25519.PrivateKey
}

// GenerateKeyPair makes an ed25519 key pair (fast, unlike RSA) whose
// public key line ends in comment.
func GenerateKeyPair(comment string) (KeyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPair{}, err
	}
	blob := sshString(nil, "ssh-ed25519")
	blob = sshString(blob, string(pub))
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{
		PublicKey:     "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + comment,
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		Blob:          blob,
		Private:       priv,
	}, nil
}

func sshString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ParseAuthorizedKey splits an authorized_keys line "TYPE BASE64 [comment]"
// and checks that the base64 blob decodes and names the same key type. It
// returns the type and the blob; which types a vendor accepts is the
// caller's check.
func ParseAuthorizedKey(line string) (typ string, blob []byte, err error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "", nil, errors.New("not an OpenSSH public key")
	}
	typ = fields[0]
	blob, err = base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return typ, nil, errors.New("key data is not base64")
	}
	if len(blob) < 4 {
		return typ, nil, errors.New("key data is too short")
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) || !bytes.Equal(blob[4:4+n], []byte(typ)) {
		return typ, nil, fmt.Errorf("key data does not match key type %q", typ)
	}
	return typ, blob, nil
}
