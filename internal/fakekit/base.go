package fakekit

import (
	"net/http"
	"time"
)

// Base is what every fake's Server holds alike: the URL it is reached at and
// the listener Serve starts. A fake embeds it (or IdentityBase), so its URL
// and Close are the fake's.
type Base struct {
	// URL is the fake's base URL: the listener's address followed by the
	// fake's path prefix, or what the caller sets for a fake it serves
	// itself (NewHandler).
	URL string
	ln  *Listener
}

// Close stops the listener Serve started; a fake that was never served
// closes as a no-op.
func (b *Base) Close() { b.ln.Close() }

func (b *Base) base() *Base { return b }

// served is a fake Serve can start: a handler that embeds Base.
type served interface {
	http.Handler
	base() *Base
}

// Serve starts fake on a loopback port (Listen), sets its URL to the
// listener's URL followed by prefix (the path the fake serves its API
// under, or ""), and returns it. Like httptest.NewServer, it panics if it
// cannot listen.
func Serve[F served](fake F, prefix string) F {
	b := fake.base()
	b.ln = Listen(fake)
	b.URL = b.ln.URL + prefix
	return fake
}

// IdentityBase is Base for a fake with an identity service: it also holds
// the tokens that service issued, so the fake's TokenRequests is this one.
type IdentityBase struct {
	Base
	// Tokens is the fake's store of issued tokens.
	Tokens *Tokens
}

// NewIdentityBase returns an IdentityBase whose tokens live ttl on the
// clock now.
func NewIdentityBase(now func() time.Time, ttl time.Duration) IdentityBase {
	return IdentityBase{Tokens: NewTokens(now, ttl)}
}

// TokenRequests reports how many token requests arrived, refused ones
// included.
func (b *IdentityBase) TokenRequests() int { return b.Tokens.Requests() }
