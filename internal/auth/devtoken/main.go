// Command devtoken is a tiny identity provider for trying computegw's JWT
// authentication locally (README "Security"): it keeps an ES256 signing
// key and its public key set (jwks.json, for auth.jwt.jwks_file) in a
// directory, and prints a token for the subject and groups given. For tests
// and demos only: a real deployment takes its tokens from its identity
// provider.
//
//	go run ./internal/auth/devtoken -dir /tmp/cgw -sub alice@example.com -groups platform-admins
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "devtoken:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("devtoken", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dir := fl.String("dir", "devtoken", "directory for signing-key.pem (private, 0600) and jwks.json (public)")
	iss := fl.String("iss", "https://idp.local.test", "issuer (auth.jwt.issuer)")
	aud := fl.String("aud", "computegw", "audience (auth.jwt.audience)")
	sub := fl.String("sub", "", "subject: the caller is user:SUB (required)")
	groups := fl.String("groups", "", "comma-separated groups: group:NAME principals")
	ttl := fl.Duration("ttl", time.Hour, "how long the token is valid")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *sub == "" {
		return errors.New("-sub is required")
	}
	key, created, err := loadOrCreate(*dir)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "devtoken: new signing key; auth.jwt.jwks_file: %s\n", filepath.Join(*dir, "jwks.json"))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid(key)))
	if err != nil {
		return err
	}
	now := time.Now()
	claims := jwt.Claims{Issuer: *iss, Subject: *sub, Audience: jwt.Audience{*aud},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(*ttl))}
	extra := map[string]any{}
	if *groups != "" {
		extra["groups"] = strings.Split(*groups, ",")
	}
	tok, err := jwt.Signed(signer).Claims(claims).Claims(extra).Serialize()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func kid(k *ecdsa.PrivateKey) string {
	tp, _ := (&jose.JSONWebKey{Key: k.Public()}).Thumbprint(cryptoSHA256)
	return fmt.Sprintf("dev-%x", tp[:8])
}

func loadOrCreate(dir string) (*ecdsa.PrivateKey, bool, error) {
	keyPath := filepath.Join(dir, "signing-key.pem")
	data, err := os.ReadFile(keyPath)
	if err == nil {
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, false, fmt.Errorf("%s: no PEM block", keyPath)
		}
		k, err := x509.ParseECPrivateKey(b.Bytes)
		return k, false, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, false, err
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.Public(), KeyID: kid(k), Algorithm: string(jose.ES256), Use: "sig"}}}
	js, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), append(js, '\n'), 0o644); err != nil {
		return nil, false, err
	}
	return k, true, nil
}
