// Package tokensource caches a backend API token for one cloud and refreshes
// it safely. It is for the dialect adapters: every dialect logs in with a
// password and gets a token with an expiry, and all of them need the same
// discipline around it:
//
//   - one token per cloud, reused until shortly before it expires;
//   - concurrent callers share one token request (single flight), so a cold
//     start with 100 calls in flight makes exactly one login;
//   - a token the backend rejected early is invalidated once, however many
//     callers saw the rejection at the same time;
//   - a rejected password is not retried in a loop: further calls fail fast
//     with the same error during a growing back-off, so an account with a
//     lock-out policy (K5 locks after 5 failures in 15 minutes) is not locked
//     by the gateway;
//   - a refused token is never served again, not even one issued a moment
//     ago (it may have been revoked already: two revocations in quick
//     succession cost two logins, not an outage);
//   - when the backend refuses token after token it has just issued (the
//     password works, the token does not: a role or project problem),
//     logins are spaced out so a stream of calls is not a stream of logins;
//     calls meanwhile fail fast with BACKEND_CREDENTIALS_REJECTED.
package tokensource

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/state"
)

// Token is a backend token. Catalog is whatever else the login returned that
// the adapter wants to keep (for example the service catalog).
type Token struct {
	Value   string
	Expires time.Time // zero: does not expire
	Catalog any
}

// FetchFunc logs in and returns a fresh token. It must classify a rejected
// password as a *driver.Error with CodeCredentialsRejected; any other error
// is treated as transient.
type FetchFunc func(ctx context.Context) (Token, error)

// Options tune a Source. Zero values pick the defaults.
type Options struct {
	// Skew is how long before Expires a token stops being used. Default 2m.
	Skew time.Duration
	// FetchTimeout bounds one login, independent of the caller that
	// triggered it (callers still stop waiting at their own deadline).
	// Default 30s.
	FetchTimeout time.Duration
	// RejectBackoff is the first pause after a rejected password; it doubles
	// on each further rejection up to MaxRejectBackoff. Defaults 1m and 15m.
	RejectBackoff    time.Duration
	MaxRejectBackoff time.Duration
	// RefusedBackoff is the pause before the next login once
	// RefusedStreak tokens in a row were refused without ever being
	// accepted; it doubles with each further such token up to RefusedHold.
	// Defaults 1s and 1m.
	RefusedBackoff time.Duration
	RefusedHold    time.Duration
	// Now is the clock (tests). Default time.Now.
	Now func() time.Time
	// Secrets, when set, is told every token this Source obtains, so that
	// the adapter's redaction masks current and recent tokens.
	Secrets *redact.Set
	// Gate, when set, is the login gate shared with the other gateway
	// replicas (state.redis): see fleet.go. nil: this process alone.
	Gate state.LoginGate
}

// Source hands out a cached token. The zero value is not usable; use New.
type Source struct {
	fetch FetchFunc
	opt   Options

	mu        sync.Mutex
	tok       Token
	fetchedAt time.Time
	valid     bool
	inflight  *call
	// rejected: the last login was refused; no new login until retryAt.
	rejected *driver.Error
	retryAt  time.Time
	// gateChecked: when the fleet's gate last answered (fleet.go).
	gateChecked time.Time
	backoff     time.Duration
	fetchCount  int
	// accepted: the cached token has been accepted by the backend at
	// least once. streak: how many tokens in a row were refused without
	// ever being accepted; from RefusedStreak on, logins wait for
	// refusedUntil.
	accepted     bool
	streak       int
	refusedUntil time.Time
}

// RefusedStreak is how many tokens in a row the backend may refuse without
// ever accepting one before logins are spaced out. A single refused fresh
// token is normal when tokens are revoked in quick succession (the one
// issued after the first revocation dies in the second); three in a row
// with none accepted means the backend does not take this user's tokens.
const RefusedStreak = 3

type call struct {
	done chan struct{}
	tok  Token
	err  error
}

// New returns a Source that logs in with fetch.
func New(fetch FetchFunc, opt Options) *Source {
	if opt.Skew <= 0 {
		opt.Skew = 2 * time.Minute
	}
	if opt.FetchTimeout <= 0 {
		opt.FetchTimeout = 30 * time.Second
	}
	if opt.RejectBackoff <= 0 {
		opt.RejectBackoff = time.Minute
	}
	if opt.MaxRejectBackoff <= 0 {
		opt.MaxRejectBackoff = 15 * time.Minute
	}
	if opt.RefusedBackoff <= 0 {
		opt.RefusedBackoff = time.Second
	}
	if opt.RefusedHold <= 0 {
		opt.RefusedHold = time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Source{fetch: fetch, opt: opt}
}

// Token returns a usable token, logging in if there is none. Concurrent
// callers share one login. ctx bounds only this caller's wait.
func (s *Source) Token(ctx context.Context) (Token, error) {
	if ctx.Err() != nil {
		// A caller already gone starts no login and gets its own error,
		// not a race between the two.
		return Token{}, contextError(ctx)
	}
	s.mu.Lock()
	now := s.opt.Now()
	if s.valid && s.fresh(now) {
		t := s.tok
		s.mu.Unlock()
		return t, nil
	}
	// A token inside its renewal margin is still good until it expires: if
	// the renewal fails for a transient reason, callers keep using it.
	var fallback *Token
	if s.valid && (s.tok.Expires.IsZero() || now.Before(s.tok.Expires)) {
		t := s.tok
		fallback = &t
	}
	if s.rejected != nil && now.Before(s.retryAt) && (s.opt.Gate == nil || now.Before(s.gateChecked.Add(GateRecheck))) {
		e := *s.rejected
		e.Message = fmt.Sprintf("%s; not trying again until %s to avoid locking the account",
			s.rejected.Message, s.retryAt.UTC().Format(time.RFC3339))
		e.RetryAfter = s.retryAt.Sub(now)
		s.mu.Unlock()
		return Token{}, &e
	}
	if s.inflight == nil && s.streak >= RefusedStreak && now.Before(s.refusedUntil) {
		e := &driver.Error{
			Code:   driver.CodeCredentialsRejected,
			Reason: "BACKEND_CREDENTIALS_REJECTED",
			Message: fmt.Sprintf("the backend refused the last %d tokens it issued to the gateway's user, each before accepting any "+
				"(the password is accepted but its tokens are not: check the user's roles and project); next login at %s",
				s.streak, s.refusedUntil.UTC().Format(time.RFC3339)),
			RetryAfter: s.refusedUntil.Sub(now),
		}
		s.mu.Unlock()
		return Token{}, e
	}
	c := s.inflight
	if c == nil {
		c = &call{done: make(chan struct{})}
		s.inflight = c
		s.fetchCount++
		go s.run(c, context.WithoutCancel(ctx))
	}
	s.mu.Unlock()

	select {
	case <-c.done:
		if c.err != nil && fallback != nil && driver.CodeOf(c.err) != driver.CodeCredentialsRejected {
			return *fallback, nil
		}
		return c.tok, c.err
	case <-ctx.Done():
		return Token{}, contextError(ctx)
	}
}

// fresh reports whether the cached token is outside its renewal margin. The
// margin is Skew, or half the token's lifetime for short-lived tokens, so a
// token that lives less than 2*Skew is still reused.
func (s *Source) fresh(now time.Time) bool {
	if s.tok.Expires.IsZero() {
		return true
	}
	margin := s.opt.Skew
	if life := s.tok.Expires.Sub(s.fetchedAt); life < 2*margin {
		margin = life / 2
	}
	return now.Add(margin).Before(s.tok.Expires)
}

func (s *Source) run(c *call, base context.Context) {
	ctx, cancel := context.WithTimeout(base, s.opt.FetchTimeout)
	defer cancel()
	ctx, observed := observeLogin(ctx)
	tok, fleet, err := s.login(ctx) // fleet.go: through Options.Gate, if any

	s.mu.Lock()
	defer s.mu.Unlock()
	if fleet.attempted {
		defer func() { observed(tok, err, s.retryAt) }()
	}
	if s.opt.Gate != nil {
		s.gateChecked = s.opt.Now()
	}
	s.inflight = nil
	if err != nil {
		var de *driver.Error
		if errors.As(err, &de) && de.Code == driver.CodeCredentialsRejected {
			if s.backoff == 0 {
				s.backoff = s.opt.RejectBackoff
			} else {
				s.backoff = min(2*s.backoff, s.opt.MaxRejectBackoff)
			}
			s.rejected = de
			s.retryAt = s.opt.Now().Add(s.backoff)
			if !fleet.retryAt.IsZero() {
				s.retryAt = fleet.retryAt // the fleet's, shared by every replica
			}
			if de.Reason == "" {
				de.Reason = "BACKEND_CREDENTIALS_REJECTED"
			}
		}
		if driver.CodeOf(err) == driver.CodeCredentialsRejected {
			s.valid = false
		}
		c.err = err
		close(c.done)
		return
	}
	s.opt.Secrets.AddToken(tok.Value)
	s.tok, s.valid, s.fetchedAt, s.accepted = tok, true, s.opt.Now(), false
	s.rejected, s.backoff = nil, 0
	c.tok = tok
	close(c.done)
}

// Invalidate drops the cached token if it is still the one the caller used
// (value), so that many callers seeing one 401 cause one new login.
func (s *Source) Invalidate(value string) {
	s.mu.Lock()
	if s.valid && s.tok.Value == value {
		s.valid = false
	}
	s.mu.Unlock()
}

// Fetches reports how many logins this Source has started (for tests and
// metrics).
func (s *Source) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetchCount
}

// Do runs fn with a token. If isUnauthorized(fn's error) says the backend
// refused the token (an HTTP 401), Do invalidates that token, logs in again
// (shared with concurrent callers) and runs fn once more; a refused token is
// never used again. fn runs at most three times: a token issued a moment ago
// can be refused too when tokens are revoked in quick succession, and the
// login after that one is the one that works.
//
// When RefusedStreak tokens in a row are refused without any being accepted,
// Do stops retrying and returns fn's error, and the next login waits
// (RefusedBackoff, doubling up to RefusedHold); calls meanwhile fail fast
// (see Token). fn returning nil marks its token as accepted.
func (s *Source) Do(ctx context.Context, isUnauthorized func(error) bool, fn func(ctx context.Context, tok Token) error) error {
	for attempt := 1; ; attempt++ {
		tok, err := s.Token(ctx)
		if err != nil {
			return err
		}
		err = fn(ctx, tok)
		if err == nil {
			s.accept(tok.Value)
			return nil
		}
		if !isUnauthorized(err) {
			return err
		}
		if persistent := s.refuse(tok.Value); persistent || attempt == 3 {
			return err
		}
	}
}

// accept records that the backend took the token value.
func (s *Source) accept(value string) {
	s.mu.Lock()
	if s.valid && s.tok.Value == value && !s.accepted {
		s.accepted, s.streak = true, 0
	}
	s.mu.Unlock()
}

// refuse invalidates the token value after a 401 (once, however many callers
// saw it) and reports whether refusals are persistent: RefusedStreak tokens
// in a row refused without ever being accepted.
func (s *Source) refuse(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.valid && s.tok.Value == value {
		s.valid = false
		if !s.accepted {
			s.streak++
			if s.streak >= RefusedStreak {
				d := s.opt.RefusedBackoff << min(s.streak-RefusedStreak, 16)
				s.refusedUntil = s.opt.Now().Add(min(d, s.opt.RefusedHold))
			}
		}
	}
	return s.streak >= RefusedStreak
}

// RefusedInARow reports how many tokens in a row the backend has refused
// without accepting any (for tests and metrics).
func (s *Source) RefusedInARow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streak
}

func contextError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &driver.Error{Code: driver.CodeDeadlineExceeded, Message: "deadline exceeded while waiting for a backend token", Err: ctx.Err()}
	}
	return &driver.Error{Code: driver.CodeCanceled, Message: "canceled while waiting for a backend token", Err: ctx.Err()}
}
