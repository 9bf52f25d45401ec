package fakekit

import (
	"sync"
	"time"
)

// Token is one issued token.
type Token struct {
	ID              string
	Issued, Expires time.Time
	// Scope is what the token was issued for (a tenant or project), when
	// the fake checks it.
	Scope string
}

// Tokens is a fake identity service's store of issued tokens: it issues
// tokens with a lifetime on a clock, looks them up, revokes them all and
// counts token requests. It is safe for concurrent use.
type Tokens struct {
	// Now is the clock; TTL the lifetime of a token.
	Now func() time.Time
	TTL time.Duration

	requests Counter
	mu       sync.Mutex
	live     map[string]Token
}

// NewTokens returns an empty store.
func NewTokens(now func() time.Time, ttl time.Duration) *Tokens {
	return &Tokens{Now: now, TTL: ttl, live: map[string]Token{}}
}

// Counted records one token request (issued or refused).
func (t *Tokens) Counted() { t.requests.Add() }

// Requests reports how many token requests were Counted.
func (t *Tokens) Requests() int { return t.requests.N() }

// Issue stores a new token with the given ID and scope, valid for TTL from
// now.
func (t *Tokens) Issue(id, scope string) Token {
	now := t.Now()
	tok := Token{ID: id, Issued: now, Expires: now.Add(t.TTL), Scope: scope}
	t.mu.Lock()
	t.live[id] = tok
	t.mu.Unlock()
	return tok
}

// Valid returns the token with that ID if it was issued, is not revoked and
// has not expired.
func (t *Tokens) Valid(id string) (Token, bool) {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.live[id]
	if !ok || !now.Before(tok.Expires) {
		return Token{}, false
	}
	return tok, true
}

// Revoke makes every token issued so far invalid, as if they had died
// early.
func (t *Tokens) Revoke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.live)
}
