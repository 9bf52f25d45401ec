package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds a key set document.
const maxJWKSBytes = 1 << 20

// keySource holds the current key set and refetches it from its file, URL
// or the issuer's OIDC discovery document. A refetch for an unknown kid
// happens at most once per minRefetch, so a flood of tokens naming unknown
// keys cannot make the gateway hammer the identity provider.
type keySource struct {
	file, url, issuer string
	client            *http.Client
	minRefetch        time.Duration
	now               func() time.Time
	log               *slog.Logger

	mu          sync.Mutex // guards set, loaded, lastRefetch, refreshing, url (after discovery)
	set         *jose.JSONWebKeySet
	loaded      time.Time // when set was last loaded
	lastRefetch time.Time
	refreshing  bool

	fetchMu sync.Mutex // one fetch at a time
	fetches int        // fetch attempts (tests), under fetchMu
}

func (k *keySource) current() *jose.JSONWebKeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.set
}

// load fetches the key set now (startup, and refetches).
func (k *keySource) load(ctx context.Context) error {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	return k.loadLocked(ctx)
}

func (k *keySource) loadLocked(ctx context.Context) error {
	k.fetches++
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var (
		data []byte
		err  error
		from string
	)
	if k.file != "" {
		from = "auth.jwt.jwks_file " + k.file
		data, err = os.ReadFile(k.file)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("%s: %v", from, err)
		}
	} else {
		u, derr := k.jwksURL(ctx)
		if derr != nil {
			return derr
		}
		from = "key set " + u
		data, err = k.get(ctx, u)
		if err != nil {
			return fmt.Errorf("%s: %v", from, err)
		}
	}
	set, err := parseKeySet(data)
	if err != nil {
		return fmt.Errorf("%s: %v", from, err)
	}
	k.mu.Lock()
	k.set, k.loaded = set, k.now()
	k.mu.Unlock()
	return nil
}

// MaxKeySetAge is how long a loaded key set is used before it is reloaded
// in the background (while the old one keeps serving), so a key the
// identity provider withdraws stops being accepted.
const MaxKeySetAge = 15 * time.Minute

// refreshIfOld starts one background reload of a key set older than
// MaxKeySetAge.
func (k *keySource) refreshIfOld() {
	k.mu.Lock()
	old := k.set != nil && !k.refreshing && k.now().Sub(k.loaded) >= MaxKeySetAge
	if old {
		k.refreshing = true
	}
	k.mu.Unlock()
	if !old {
		return
	}
	go func() {
		if err := k.load(context.Background()); err != nil {
			k.log.Warn("reloading the JWT key set failed; keeping the keys already loaded", "error", err.Error())
			k.mu.Lock()
			k.loaded = k.now() // try again after another MaxKeySetAge
			k.mu.Unlock()
		}
		k.mu.Lock()
		k.refreshing = false
		k.mu.Unlock()
	}()
}

// jwksURL is jwks_url, or the jwks_uri of the issuer's discovery document
// (looked up once, then kept).
func (k *keySource) jwksURL(ctx context.Context) (string, error) {
	k.mu.Lock()
	u := k.url
	k.mu.Unlock()
	if u != "" {
		return u, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, k.client), k.issuer)
	if err != nil {
		return "", fmt.Errorf("OIDC discovery at %s/.well-known/openid-configuration: %v", k.issuer, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return "", fmt.Errorf("OIDC discovery at %s: the document names no jwks_uri", k.issuer)
	}
	k.mu.Lock()
	k.url = doc.JWKSURI
	k.mu.Unlock()
	return doc.JWKSURI, nil
}

func (k *keySource) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("over %d bytes", maxJWKSBytes)
	}
	return data, nil
}

// parseKeySet keeps the signing keys computegw can use: RSA (RS256) and
// EC P-256 (ES256) public keys; private halves given by mistake are
// reduced to their public keys.
func parseKeySet(data []byte) (*jose.JSONWebKeySet, error) {
	var raw jose.JSONWebKeySet
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %v", err)
	}
	out := &jose.JSONWebKeySet{}
	for _, key := range raw.Keys {
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		pub := key.Public()
		switch kk := pub.Key.(type) {
		case *rsa.PublicKey:
			if key.Algorithm != "" && key.Algorithm != string(jose.RS256) {
				continue
			}
		case *ecdsa.PublicKey:
			if kk.Curve != elliptic.P256() || (key.Algorithm != "" && key.Algorithm != string(jose.ES256)) {
				continue
			}
		default:
			continue
		}
		out.Keys = append(out.Keys, pub)
	}
	if len(out.Keys) == 0 {
		return nil, errors.New("no RS256 or ES256 signing key in the key set")
	}
	return out, nil
}

// keys returns the candidate keys for kid (every key when kid is empty).
// An unknown kid refetches the set unless a refetch happened within
// minRefetch.
func (k *keySource) keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.refreshIfOld()
	if keys := pick(k.current(), kid); len(keys) > 0 {
		return keys, nil
	}
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	// Another call may have refetched while this one waited.
	if keys := pick(k.current(), kid); len(keys) > 0 {
		return keys, nil
	}
	k.mu.Lock()
	now := k.now()
	allowed := k.lastRefetch.IsZero() || now.Sub(k.lastRefetch) >= k.minRefetch
	if allowed {
		k.lastRefetch = now
	}
	k.mu.Unlock()
	if allowed {
		if err := k.loadLocked(ctx); err != nil {
			k.log.Warn("refetching the JWT key set failed; keeping the keys already loaded", "error", err.Error())
		}
		if keys := pick(k.current(), kid); len(keys) > 0 {
			return keys, nil
		}
	}
	if k.current() == nil {
		return nil, &Error{Kind: KeysUnavailable, Msg: "the key set to verify bearer tokens could not be loaded yet; retry later"}
	}
	if kid == "" {
		return nil, unauthenticated("bearer token has no kid and the key set is empty")
	}
	return nil, unauthenticated("bearer token is signed with key %s, which is not in the issuer's key set", quoteShort(kid, 64))
}

func pick(set *jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	if set == nil {
		return nil
	}
	if kid == "" {
		return set.Keys
	}
	return set.Key(kid)
}
