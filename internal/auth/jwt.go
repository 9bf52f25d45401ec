package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The verification rules: clock leeway on exp/nbf/iat, and the least time
// between two key-set refetches for an unknown key ID.
const (
	Leeway     = 60 * time.Second
	MinRefetch = 30 * time.Second
	// MaxTokenBytes bounds a bearer token; real ones are a few KiB.
	MaxTokenBytes = 16 << 10
)

// Algorithms are the only signature algorithms a token may use: never
// "none", never an HMAC (whose key would be the public key set).
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// JWTConfig configures a Verifier (config section auth.jwt).
type JWTConfig struct {
	Issuer   string // must equal the token's iss
	Audience string // must be in the token's aud
	// JWKSFile or JWKSURL is the key set; with neither, the jwks_uri of
	// OIDC discovery at Issuer.
	JWKSFile, JWKSURL string
	GroupsClaim       string // default "groups"

	HTTPClient *http.Client     // nil: a client with a 10s timeout
	Now        func() time.Time // nil: time.Now
	Logger     *slog.Logger
	// MinRefetch overrides the pinned 30s between unknown-kid refetches
	// (tests only).
	MinRefetch time.Duration
}

// Verifier checks JWT bearer tokens.
type Verifier struct {
	cfg   JWTConfig
	keys  *keySource
	cache tokenCache
}

// tokenCache remembers tokens that verified, so a caller sending the same
// token again costs a hash and a map lookup instead of a signature check. An
// entry holds only while the key set it was checked against is the current
// one (any reload, for an unknown kid or by age, drops every entry's
// validity) and until the token's exp (with the leeway).
type tokenCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedToken
}

type cachedToken struct {
	claims *Claims
	set    *jose.JSONWebKeySet
}

// maxCachedTokens bounds the cache; when full it starts over.
const maxCachedTokens = 4096

func (c *tokenCache) get(sum [32]byte, keys *keySource, now time.Time) (*Claims, bool) {
	c.mu.Lock()
	e, ok := c.m[sum]
	c.mu.Unlock()
	if !ok || e.set != keys.current() || now.Add(-Leeway).After(e.claims.Expiry) {
		return nil, false
	}
	return e.claims, true
}

func (c *tokenCache) put(sum [32]byte, claims *Claims, set *jose.JSONWebKeySet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[[32]byte]cachedToken)
	}
	c.m[sum] = cachedToken{claims: claims, set: set}
}

// Claims are what a verified token says about its caller.
type Claims struct {
	Subject string
	Groups  []string
	Expiry  time.Time
}

// NewVerifier returns a Verifier. A jwks_file is read now (an unreadable or
// invalid one is an error); a URL or discovery is fetched by Prime or on
// first use.
func NewVerifier(cfg JWTConfig) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("auth.jwt: issuer and audience are required")
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinRefetch <= 0 {
		cfg.MinRefetch = MinRefetch
	}
	v := &Verifier{cfg: cfg, keys: &keySource{file: cfg.JWKSFile, url: cfg.JWKSURL, issuer: strings.TrimSuffix(cfg.Issuer, "/"),
		client: cfg.HTTPClient, minRefetch: cfg.MinRefetch, now: cfg.Now, log: cfg.Logger}}
	if cfg.JWKSFile != "" {
		if err := v.keys.load(context.Background()); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Prime loads a remote key set (jwks_url or discovery) ahead of the first
// token; a failure is returned for the caller to log, and the next token
// tries again.
func (v *Verifier) Prime(ctx context.Context) error {
	if v.cfg.JWKSFile != "" {
		return nil
	}
	return v.keys.load(ctx)
}

// Fetches reports how many times the key set was fetched or read.
func (v *Verifier) Fetches() int {
	v.keys.fetchMu.Lock()
	defer v.keys.fetchMu.Unlock()
	return v.keys.fetches
}

// Verify checks a compact JWS token: algorithm, signature against the key
// set, iss, aud, exp and nbf (60s leeway), and a subject. Errors are *Error
// and never contain the token.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > MaxTokenBytes {
		return nil, unauthenticated("bearer token is longer than %d bytes", MaxTokenBytes)
	}
	sum := sha256.Sum256([]byte(raw))
	if c, ok := v.cache.get(sum, v.keys, v.cfg.Now()); ok {
		v.keys.refreshIfOld()
		return c, nil
	}
	set := v.keys.current()
	c, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if set != nil && set == v.keys.current() {
		v.cache.put(sum, c, set)
	}
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		if alg, ok := headerAlg(raw); ok && !slices.Contains(Algorithms, jose.SignatureAlgorithm(alg)) {
			return nil, unauthenticated("bearer token is signed with algorithm %s; only RS256 and ES256 are accepted", quoteShort(alg, 16))
		}
		return nil, unauthenticated("bearer token is not a well-formed signed JWT (compact JWS)")
	}
	if len(tok.Headers) != 1 {
		return nil, unauthenticated("bearer token must carry exactly one signature")
	}
	h := tok.Headers[0]
	keys, err := v.keys.keys(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	var (
		std    jwt.Claims
		custom map[string]any
		ok     bool
	)
	for _, key := range keys {
		if key.Algorithm != "" && key.Algorithm != h.Algorithm {
			continue
		}
		std, custom = jwt.Claims{}, nil
		if err := tok.Claims(key.Key, &std, &custom); err == nil {
			ok = true
			break
		}
	}
	if !ok {
		return nil, unauthenticated("bearer token signature does not verify against the issuer's key %s", quoteShort(h.KeyID, 64))
	}
	if std.Expiry == nil {
		return nil, unauthenticated("bearer token has no exp (expiry) claim")
	}
	now := v.cfg.Now()
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: v.cfg.Issuer, AnyAudience: jwt.Audience{v.cfg.Audience}, Time: now}, Leeway)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrExpired):
		return nil, unauthenticated("bearer token expired at %s (now %s, leeway %s)", std.Expiry.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), Leeway)
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, unauthenticated("bearer token is not valid before %s (now %s, leeway %s)", std.NotBefore.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), Leeway)
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, unauthenticated("bearer token is issued in the future (iat %s, now %s)", std.IssuedAt.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return nil, unauthenticated("bearer token issuer %s is not the configured issuer %q", quoteShort(std.Issuer, 128), v.cfg.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, unauthenticated("bearer token audience %s does not include %q", quoteShort(strings.Join(std.Audience, ","), 128), v.cfg.Audience)
	default:
		return nil, unauthenticated("bearer token claims are invalid: %v", err)
	}
	if std.Subject == "" {
		return nil, unauthenticated("bearer token has no sub (subject) claim")
	}
	c := &Claims{Subject: std.Subject, Expiry: std.Expiry.Time()}
	switch g := custom[v.cfg.GroupsClaim].(type) {
	case nil:
	case string:
		c.Groups = []string{g}
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok && s != "" {
				c.Groups = append(c.Groups, s)
			}
		}
	default:
		return nil, unauthenticated("bearer token claim %q must be a list of strings", v.cfg.GroupsClaim)
	}
	return c, nil
}

// headerAlg reads the alg of a compact JWS header without trusting it, to
// name a refused algorithm in the error.
func headerAlg(raw string) (string, bool) {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || len(head) > 4096 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil {
		return "", false
	}
	return h.Alg, true
}

// String names the verifier's key source for logs.
func (v *Verifier) String() string {
	switch {
	case v.cfg.JWKSFile != "":
		return fmt.Sprintf("jwks_file %s", v.cfg.JWKSFile)
	case v.cfg.JWKSURL != "":
		return fmt.Sprintf("jwks_url %s", v.cfg.JWKSURL)
	}
	return fmt.Sprintf("OIDC discovery at %s", v.cfg.Issuer)
}
