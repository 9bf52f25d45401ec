package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
)

// FuzzVerify feeds the token parsing path (authorization header to
// verified claims) arbitrary input: it must never panic, every failure is
// an *auth.Error that does not echo the input, and the only inputs that
// verify carry the claims a real signature covers.
func FuzzVerify(f *testing.F) {
	p := authtest.NewProvider(issuer, audience)
	v := fileVerifier(f, p, nil)
	g := &auth.Guard{JWT: v}
	good := p.Token("alice", "ops")
	f.Add("Bearer " + good)
	f.Add("Bearer " + p.Sign(p.KeyOf("ES256"), authtest.Claims{"sub": "bob"}))
	f.Add("Bearer " + p.Unsigned(authtest.Claims{"sub": "alice"}))
	f.Add("Bearer " + p.HS256(p.JWKS(), authtest.Claims{"sub": "alice"}))
	f.Add("Bearer " + strings.Replace(good, ".", "..", 1))
	f.Add("Bearer e30.e30.")
	f.Add("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IngiLCJjcml0IjpbImZvbyJdfQ.e30.AAAA")
	f.Add("Basic YWxpY2U6cHc=")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		id, err := g.Authenticate(context.Background(), auth.Credentials{Authorization: header, AuthorizationGiven: true})
		if err != nil {
			var ae *auth.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *auth.Error", err)
			}
			if len(header) > 40 && strings.Contains(err.Error(), header[7:]) {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		if id.Principal != "user:alice" && id.Principal != "user:bob" {
			t.Fatalf("input %q verified as %s, which no signed seed names", header, id.Principal)
		}
	})
}
