// Package sshkey puts the private keys vendors generate into the one format
// the gateway answers on every dialect: OpenSSH's own
// ("-----BEGIN OPENSSH PRIVATE KEY-----", what ssh-keygen writes and ssh -i
// reads for every key type). Vendors differ: Nova-style clouds answer
// PKCS#1 ("RSA PRIVATE KEY") or OpenSSH, TOAST and NHN Cloud PKCS#8
// ("PRIVATE KEY"); each adapter converts what its vendor sends.
package sshkey

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/computegw/computegw/driver"
)

// OpenSSHType is the PEM block type of the OpenSSH private key format.
const OpenSSHType = "OPENSSH PRIVATE KEY"

// OpenSSH returns privateKey, an unencrypted PEM private key (PKCS#1,
// PKCS#8, SEC 1 or OpenSSH; RSA, ECDSA or Ed25519), in the OpenSSH format
// with comment. A key already in that format is returned unchanged. The
// error never contains key material.
func OpenSSH(privateKey, comment string) (string, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(privateKey)))
	if block == nil {
		return "", errors.New("the private key is not PEM")
	}
	if block.Type == OpenSSHType {
		return privateKey, nil
	}
	key, err := ssh.ParseRawPrivateKey([]byte(privateKey))
	if err != nil {
		return "", fmt.Errorf("the %s PEM block does not parse as a private key", block.Type)
	}
	out, err := ssh.MarshalPrivateKey(key, comment)
	if err != nil {
		return "", fmt.Errorf("a %T private key has no OpenSSH form", key)
	}
	return string(pem.EncodeToMemory(out)), nil
}

// Convert puts k's private key, when it has one, in the OpenSSH format with
// the key pair's name as comment. A key that does not convert is kept as the
// vendor sent it, since the vendor shows it only once and failing the create
// would lose it; log gets a warning naming the key pair, never the key.
func Convert(ctx context.Context, log *slog.Logger, k *driver.KeyPair) {
	if k == nil || k.PrivateKey == "" {
		return
	}
	out, err := OpenSSH(k.PrivateKey, k.Name)
	if err != nil {
		log.WarnContext(ctx, "generated private key left in the vendor's format", "key_pair", k.Name, "error", err.Error())
		return
	}
	k.PrivateKey = out
}

// Check reports whether privateKey is an OpenSSH-format private key whose
// public half is authorizedKey (an authorized_keys line): what a client of
// any dialect can rely on for a generated key pair.
func Check(privateKey, authorizedKey string) error {
	block, _ := pem.Decode([]byte(privateKey))
	if block == nil || block.Type != OpenSSHType {
		return errors.New("the private key is not in the OpenSSH format")
	}
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return fmt.Errorf("the OpenSSH private key does not parse: %w", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		return fmt.Errorf("the public key does not parse: %w", err)
	}
	if string(pub.Marshal()) != string(signer.PublicKey().Marshal()) {
		return errors.New("the private key is not the public key's")
	}
	return nil
}
