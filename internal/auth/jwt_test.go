package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
	"github.com/computegw/computegw/internal/eventually"
)

const (
	issuer   = "https://idp.example.test/realms/platform"
	audience = "computegw"
)

// clock is a settable time source for the verifier (expiry and the refetch
// limit both read it).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func fileVerifier(t testing.TB, p *authtest.Provider, now func() time.Time) *auth.Verifier {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, p.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: issuer, Audience: audience, JWKSFile: path, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantUnauth(t *testing.T, err error, contains string, token string) {
	t.Helper()
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Kind != auth.Unauthenticated {
		t.Fatalf("got %v, want an Unauthenticated *auth.Error", err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("message %q does not say %q", err, contains)
	}
	if sig := token[strings.LastIndex(token, ".")+1:]; len(sig) > 8 && strings.Contains(err.Error(), sig) {
		t.Errorf("message echoes the token: %q", err)
	}
}

func TestVerifyAcceptsRS256AndES256(t *testing.T) {
	p := authtest.NewProvider(issuer, audience)
	v := fileVerifier(t, p, nil)
	for _, alg := range []jose.SignatureAlgorithm{jose.RS256, jose.ES256} {
		tok := p.Sign(p.KeyOf(alg), authtest.Claims{"sub": "alice@example.com", "groups": []string{"platform-admins", "dev"}})
		c, err := v.Verify(context.Background(), tok)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if c.Subject != "alice@example.com" || strings.Join(c.Groups, ",") != "platform-admins,dev" {
			t.Errorf("%s: claims %+v", alg, c)
		}
	}
}

func TestVerifyRefusesBadTokens(t *testing.T) {
	p := authtest.NewProvider(issuer, audience)
	clk := &clock{t: time.Now()}
	v := fileVerifier(t, p, clk.Now)
	now := clk.Now()
	stranger := authtest.NewProvider(issuer, audience) // same kid names, other keys
	good := p.Token("alice")
	parts := strings.Split(good, ".")
	cases := []struct {
		name, token, says string
	}{
		{"expired beyond leeway", p.Sign(p.Current(), authtest.Claims{"sub": "a", "exp": now.Add(-61 * time.Second).Unix()}), "expired"},
		{"not yet valid beyond leeway", p.Sign(p.Current(), authtest.Claims{"sub": "a", "nbf": now.Add(2 * time.Minute).Unix()}), "not valid before"},
		{"wrong audience", p.Sign(p.Current(), authtest.Claims{"sub": "a", "aud": "someone-else"}), `does not include "computegw"`},
		{"audience list without ours", p.Sign(p.Current(), authtest.Claims{"sub": "a", "aud": []string{"x", "y"}}), "audience"},
		{"wrong issuer", p.Sign(p.Current(), authtest.Claims{"sub": "a", "iss": "https://evil.example"}), "issuer"},
		{"alg none", p.Unsigned(authtest.Claims{"sub": "a"}), `algorithm "none"`},
		{"HS256 keyed with the JWKS", p.HS256(p.JWKS(), authtest.Claims{"sub": "a"}), `algorithm "HS256"`},
		{"unknown kid", authtest.SignWith(p.Current(), "no-such-key", authtest.Claims{"sub": "a", "iss": issuer, "aud": audience, "exp": now.Add(time.Hour).Unix()}), "not in the issuer's key set"},
		{"other provider's key under a known kid", authtest.SignWith(stranger.Current(), p.Current().ID, authtest.Claims{"sub": "a", "iss": issuer, "aud": audience, "exp": now.Add(time.Hour).Unix()}), "signature does not verify"},
		{"payload changed after signing", parts[0] + "." + strings.Split(p.Token("mallory"), ".")[1] + "." + parts[2], "signature does not verify"},
		{"no exp", p.Sign(p.Current(), authtest.Claims{"sub": "a", "exp": nil}), "no exp"},
		{"no sub", p.Sign(p.Current(), authtest.Claims{}), "no sub"},
		{"not a JWT", "hello", "not a well-formed"},
		{"too long", strings.Repeat("a", auth.MaxTokenBytes+1), "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), c.token)
			wantUnauth(t, err, c.says, c.token)
		})
	}
}

func TestVerifyLeeway(t *testing.T) {
	p := authtest.NewProvider(issuer, audience)
	clk := &clock{t: time.Now()}
	v := fileVerifier(t, p, clk.Now)
	now := clk.Now()
	for name, c := range map[string]authtest.Claims{
		"expired 50s ago":      {"sub": "a", "exp": now.Add(-50 * time.Second).Unix()},
		"valid from in 50s":    {"sub": "a", "nbf": now.Add(50 * time.Second).Unix()},
		"issued 50s in future": {"sub": "a", "iat": now.Add(50 * time.Second).Unix()},
	} {
		if _, err := v.Verify(context.Background(), p.Sign(p.Current(), c)); err != nil {
			t.Errorf("%s: within the 60s leeway, got %v", name, err)
		}
	}
}

// servedVerifier is a verifier on a test clock for the key set a served
// test provider publishes (stopped when t ends).
func servedVerifier(t *testing.T) (*authtest.Provider, *clock, *auth.Verifier) {
	t.Helper()
	p := authtest.NewProvider("", audience)
	srv := p.Serve()
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Now()}
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: p.Issuer, Audience: audience, JWKSURL: p.JWKSURL(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return p, clk, v
}

// primedVerifier is servedVerifier with the key set already fetched.
func primedVerifier(t *testing.T) (*authtest.Provider, *clock, *auth.Verifier) {
	t.Helper()
	p, clk, v := servedVerifier(t)
	if err := v.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p, clk, v
}

// An unknown kid refetches the key set at most once per 30s, so a rotation
// is picked up at once and a flood of bad kids costs one fetch.
func TestUnknownKidRefetchAtMostOncePer30s(t *testing.T) {
	p, clk, v := primedVerifier(t)
	if _, err := v.Verify(context.Background(), p.Token("alice")); err != nil {
		t.Fatal(err)
	}
	p.Rotate()
	if _, err := v.Verify(context.Background(), p.Token("alice")); err != nil {
		t.Fatalf("token from the rotated key: %v", err)
	}
	if got := p.JWKSHits.Load(); got != 2 {
		t.Fatalf("key set fetched %d times, want 2 (start, one refetch)", got)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			tok := authtest.SignWith(p.Current(), "bogus-"+string(rune('a'+i%26)), authtest.Claims{"sub": "a", "iss": p.Issuer, "aud": audience, "exp": clk.Now().Add(time.Hour).Unix()})
			_, err := v.Verify(context.Background(), tok)
			wantUnauth(t, err, "not in the issuer's key set", "")
		})
	}
	wg.Wait()
	if got := p.JWKSHits.Load(); got != 2 {
		t.Errorf("50 unknown kids within 30s of a refetch fetched the key set %d more times, want 0", got-2)
	}
	clk.Advance(auth.MinRefetch)
	p.Rotate()
	if _, err := v.Verify(context.Background(), p.Token("alice")); err != nil {
		t.Fatalf("second rotation 30s later: %v", err)
	}
	if got := p.JWKSHits.Load(); got != 3 {
		t.Errorf("key set fetched %d times, want 3", got)
	}
}

func TestDiscovery(t *testing.T) {
	p := authtest.NewProvider("", audience)
	srv := p.Serve()
	defer srv.Close()
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: p.Issuer, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	// No Prime: the first token loads the keys through discovery.
	if _, err := v.Verify(context.Background(), p.Token("alice")); err != nil {
		t.Fatal(err)
	}
	if p.JWKSHits.Load() != 1 {
		t.Errorf("JWKS fetched %d times, want 1", p.JWKSHits.Load())
	}
}

func TestKeysUnavailable(t *testing.T) {
	p := authtest.NewProvider("http://127.0.0.1:1", audience)
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: p.Issuer, Audience: audience, JWKSURL: "http://127.0.0.1:1/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), p.Token("alice"))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Kind != auth.KeysUnavailable {
		t.Fatalf("got %v, want KeysUnavailable", err)
	}
}

func TestJWKSFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`), 0o600)
	for path, says := range map[string]string{filepath.Join(dir, "missing.json"): "no such file", bad: "no RS256 or ES256 signing key"} {
		_, err := auth.NewVerifier(auth.JWTConfig{Issuer: issuer, Audience: audience, JWKSFile: path})
		if err == nil || !strings.Contains(err.Error(), "auth.jwt.jwks_file") || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: got %v, want an error naming auth.jwt.jwks_file and saying %q", path, err, says)
		}
	}
}

// A key set older than MaxKeySetAge is reloaded in the background, so a key
// the provider withdrew stops verifying without an unknown kid.
func TestKeySetReloadedWhenOld(t *testing.T) {
	p, clk, v := primedVerifier(t)
	old := p.Token("alice")
	p.Rotate() // the old key leaves the published set
	clk.Advance(auth.MaxKeySetAge - time.Minute)
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("within MaxKeySetAge the loaded set serves: %v", err)
	}
	if p.JWKSHits.Load() != 1 {
		t.Fatalf("fetched %d times before the set was old", p.JWKSHits.Load())
	}
	clk.Advance(2 * time.Minute)
	var err error
	eventually.True(t, 10*time.Second, "the withdrawn key refused once the set aged out", func() bool {
		_, err = v.Verify(context.Background(), old)
		return err != nil
	})
	wantUnauth(t, err, "not in the issuer's key set", "")
}

// A token verified once is remembered, but never past its exp (plus
// leeway) and never once the key set it was checked against is replaced.
func TestVerifiedTokenCacheHonoursExpiryAndKeySet(t *testing.T) {
	p, clk, v := servedVerifier(t)
	short := p.Sign(p.Current(), authtest.Claims{"sub": "alice", "exp": clk.Now().Add(10 * time.Second).Unix()})
	for range 3 {
		if _, err := v.Verify(context.Background(), short); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(10*time.Second + auth.Leeway + time.Second)
	_, err := v.Verify(context.Background(), short)
	wantUnauth(t, err, "expired", short)

	old := p.Token("alice")
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	p.Rotate()
	// The first token of the new key refetches the set (unknown kid) ...
	if _, err := v.Verify(context.Background(), p.Token("bob")); err != nil {
		t.Fatal(err)
	}
	// ... after which the cached token of the withdrawn key is refused.
	_, err = v.Verify(context.Background(), old)
	wantUnauth(t, err, "not in the issuer's key set", old)
}
