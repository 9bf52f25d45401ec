package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/auth"
)

// The README's worked example: the token devtoken prints verifies against
// the jwks.json it writes, as the gateway's auth.jwt.jwks_file.
func TestTokenVerifiesAgainstItsJWKS(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run([]string{"-dir", dir, "-sub", "alice@example.com", "-groups", "platform-admins,ops"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: "https://idp.local.test", Audience: "computegw", JWKSFile: filepath.Join(dir, "jwks.json")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(context.Background(), strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice@example.com" || strings.Join(c.Groups, ",") != "platform-admins,ops" {
		t.Errorf("claims %+v", c)
	}
	// A second run reuses the key: the first JWKS still verifies it.
	out.Reset()
	if err := run([]string{"-dir", dir, "-sub", "bob"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), strings.TrimSpace(out.String())); err != nil {
		t.Errorf("second token: %v", err)
	}
	if err := run([]string{"-dir", dir}, &out, &errb); err == nil {
		t.Error("no -sub accepted")
	}
}
