package sshkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestOpenSSH: every PEM form a vendor may send comes out as an OpenSSH
// private key for the same public key, with the comment; OpenSSH input is
// kept byte for byte; what is not a usable key is an error without key
// material.
func TestOpenSSH(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8 := func(k crypto.Signer) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	openssh, _ := ssh.MarshalPrivateKey(edKey, "vendor comment")
	cases := map[string]struct {
		in  string
		key crypto.Signer
	}{
		"PKCS#8 ed25519": {pkcs8(edKey), edKey},
		"PKCS#8 RSA":     {pkcs8(rsaKey), rsaKey},
		"PKCS#1 RSA":     {string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})), rsaKey},
		"SEC 1 ECDSA":    {string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})), ecKey},
		"OpenSSH":        {string(pem.EncodeToMemory(openssh)), edKey},
	}
	for name, c := range cases {
		got, err := OpenSSH(c.in, "kp-1")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(got, "-----BEGIN OPENSSH PRIVATE KEY-----\n") {
			t.Errorf("%s: not OpenSSH:\n%.60s", name, got)
		}
		if name == "OpenSSH" && got != c.in {
			t.Errorf("OpenSSH input was re-encoded")
		}
		want, _ := ssh.NewPublicKey(c.key.Public())
		if err := Check(got, string(ssh.MarshalAuthorizedKey(want))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name != "OpenSSH" && Check(c.in, string(ssh.MarshalAuthorizedKey(want))) == nil {
			t.Errorf("%s: Check accepts the unconverted input", name)
		}
		other, _ := ssh.NewPublicKey(rsaKey.Public())
		if c.key != rsaKey && Check(got, string(ssh.MarshalAuthorizedKey(other))) == nil {
			t.Errorf("%s: Check accepts another key's public half", name)
		}
	}
	for name, in := range map[string]string{
		"not PEM":   "ssh-ed25519 AAAA",
		"garbage":   "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n",
		"truncated": pkcs8(rsaKey)[:158] + "\n-----END PRIVATE KEY-----\n",
	} {
		_, err := OpenSSH(in, "kp-1")
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: error %q carries the key's text", name, err)
		}
	}
}
