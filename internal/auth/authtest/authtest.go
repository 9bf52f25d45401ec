// Package authtest makes what tests of caller security need, all generated
// at run time (no private key is ever committed): an identity provider with
// rotating signing keys that mints tokens (good and deliberately bad) and
// serves its JWKS and OIDC discovery document, and a certificate authority
// that issues server and client certificates.
package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is one signing key of the provider.
type Key struct {
	ID   string
	Alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// Provider is a test identity provider.
type Provider struct {
	Issuer   string // set by Serve, or by the caller
	Audience string

	mu   sync.Mutex
	keys []*Key // published, newest last; the newest signs by default
	n    int

	// JWKSHits counts requests for the key set.
	JWKSHits atomic.Int64
	srv      *httptest.Server
}

// NewProvider returns a provider with one RS256 and one ES256 key; RS256 signs.
func NewProvider(issuer, audience string) *Provider {
	p := &Provider{Issuer: issuer, Audience: audience}
	p.AddKey(jose.ES256)
	p.AddKey(jose.RS256)
	return p
}

// AddKey generates and publishes a key of alg, which then signs by default.
func (p *Provider) AddKey(alg jose.SignatureAlgorithm) *Key {
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		panic("authtest: unsupported alg " + alg)
	}
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	k := &Key{ID: fmt.Sprintf("key-%d-%s", p.n, alg), Alg: alg, priv: priv}
	p.keys = append(p.keys, k)
	return k
}

// Rotate publishes a new RS256 key and retires every older one: the old
// keys leave the key set.
func (p *Provider) Rotate() *Key {
	k := p.AddKey(jose.RS256)
	p.mu.Lock()
	p.keys = []*Key{k}
	p.mu.Unlock()
	return k
}

// Current is the key that signs by default.
func (p *Provider) Current() *Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[len(p.keys)-1]
}

// KeyOf returns the published key with alg, or nil.
func (p *Provider) KeyOf(alg jose.SignatureAlgorithm) *Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.keys) - 1; i >= 0; i-- {
		if p.keys[i].Alg == alg {
			return p.keys[i]
		}
	}
	return nil
}

// JWKS is the public key set as JSON.
func (p *Provider) JWKS() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// Serve starts an HTTP server with the JWKS at /jwks.json and the OIDC
// discovery document at /.well-known/openid-configuration; Issuer becomes
// the server's URL when it was empty.
func (p *Provider) Serve() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, r *http.Request) {
		p.JWKSHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.JWKS())
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.Issuer, "jwks_uri": p.srv.URL + "/jwks.json",
			"authorization_endpoint": p.srv.URL + "/auth", "token_endpoint": p.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	p.srv = httptest.NewServer(mux)
	if p.Issuer == "" {
		p.Issuer = p.srv.URL
	}
	return p.srv
}

// JWKSURL is the served key set's URL.
func (p *Provider) JWKSURL() string { return p.srv.URL + "/jwks.json" }

// Claims are a token's claims; Token fills iss, aud, iat, exp from the
// provider when absent (a nil value removes a claim).
type Claims map[string]any

// Token mints a token for sub with groups, valid for an hour, signed with
// the current key.
func (p *Provider) Token(sub string, groups ...string) string {
	c := Claims{"sub": sub}
	if len(groups) > 0 {
		c["groups"] = groups
	}
	return p.Sign(p.Current(), c)
}

// Sign mints a token with claims (defaults filled in) signed by k.
func (p *Provider) Sign(k *Key, c Claims) string {
	return SignWith(k, "", p.fill(c))
}

func (p *Provider) fill(c Claims) Claims {
	now := time.Now()
	out := Claims{"iss": p.Issuer, "aud": p.Audience, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range c {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// SignWith signs claims with k, with header kid (k.ID when kid is "").
func SignWith(k *Key, kid string, c Claims) string {
	if kid == "" {
		kid = k.ID
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// Unsigned mints an "alg: none" token with the provider's default claims.
func (p *Provider) Unsigned(c Claims) string {
	return raw(map[string]any{"alg": "none", "typ": "JWT"}, p.fill(c), nil)
}

// HS256 mints a token signed with HMAC-SHA256 under secret (for example the
// JWKS bytes, the classic key-confusion attack), kid naming the RS256 key.
func (p *Provider) HS256(secret []byte, c Claims) string {
	head := map[string]any{"alg": "HS256", "typ": "JWT", "kid": p.Current().ID}
	return raw(head, p.fill(c), func(signingInput []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(signingInput)
		return m.Sum(nil)
	})
}

func raw(head, claims map[string]any, sign func([]byte) []byte) string {
	h, _ := json.Marshal(head)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}
