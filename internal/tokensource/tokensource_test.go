package tokensource

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/testclock"
)

func tokenAt(n int32, exp time.Time) Token {
	return Token{Value: "tok-" + string(rune('a'+n)), Expires: exp}
}

// TestSingleFlightColdStart: 100 callers arrive before the first login has
// answered; they all wait for that one login. synctest.Wait makes sure
// every caller is waiting before the login answers (no sleep hoping they
// have lined up).
func TestSingleFlightColdStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		var n, started atomic.Int32
		release := make(chan struct{})
		s := New(func(ctx context.Context) (Token, error) {
			started.Add(1)
			<-release
			return tokenAt(n.Add(1), clk.Now().Add(time.Hour)), nil
		}, Options{Now: clk.Now})
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if _, err := s.Token(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait() // all 100 callers are blocked: one in the login, 99 on it
		if got := started.Load(); got != 1 {
			t.Errorf("%d logins started for 100 waiting callers, want 1", got)
		}
		close(release)
		wg.Wait()
		if n.Load() != 1 {
			t.Errorf("%d logins for 100 concurrent callers, want 1", n.Load())
		}
	})
}

func TestRenewalMarginAndShortLivedTokens(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var n atomic.Int32
	life := time.Hour
	s := New(func(ctx context.Context) (Token, error) {
		return tokenAt(n.Add(1), clk.Now().Add(life)), nil
	}, Options{Now: clk.Now, Skew: 2 * time.Minute})
	s.Token(context.Background())
	clk.Add(57 * time.Minute)
	s.Token(context.Background())
	if n.Load() != 1 {
		t.Fatalf("renewed %d times before the margin", n.Load()-1)
	}
	clk.Add(2 * time.Minute) // 1 minute before expiry: inside the margin
	s.Token(context.Background())
	if n.Load() != 2 {
		t.Fatalf("not renewed inside the margin (%d logins)", n.Load())
	}
	// A token living 90s (less than 2*Skew) is still reused for ~45s.
	life = 90 * time.Second
	clk.Add(time.Hour)
	s.Token(context.Background())
	before := n.Load()
	clk.Add(30 * time.Second)
	s.Token(context.Background())
	if n.Load() != before {
		t.Errorf("a 90s token was not reused 30s later")
	}
}

func TestTransientRenewalFailureKeepsValidToken(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fail := false
	s := New(func(ctx context.Context) (Token, error) {
		if fail {
			return Token{}, &driver.Error{Code: driver.CodeUnavailable, Message: "identity down"}
		}
		return Token{Value: "good", Expires: clk.Now().Add(time.Hour)}, nil
	}, Options{Now: clk.Now})
	s.Token(context.Background())
	fail = true
	clk.Add(59 * time.Minute)
	tok, err := s.Token(context.Background())
	if err != nil || tok.Value != "good" {
		t.Errorf("inside the margin with identity down: %v %v, want the still-valid token", tok, err)
	}
	clk.Add(2 * time.Minute) // now really expired
	if _, err := s.Token(context.Background()); driver.CodeOf(err) != driver.CodeUnavailable {
		t.Errorf("expired token with identity down: %v", err)
	}
}

func TestRejectedPasswordBacksOff(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var n atomic.Int32
	s := New(func(ctx context.Context) (Token, error) {
		n.Add(1)
		return Token{}, &driver.Error{Code: driver.CodeCredentialsRejected, Message: "password rejected"}
	}, Options{Now: clk.Now, RejectBackoff: time.Minute, MaxRejectBackoff: 4 * time.Minute})
	for range 10 {
		_, err := s.Token(context.Background())
		var de *driver.Error
		if !errors.As(err, &de) || de.Code != driver.CodeCredentialsRejected || de.Reason != "BACKEND_CREDENTIALS_REJECTED" {
			t.Fatalf("got %v", err)
		}
	}
	if n.Load() != 1 {
		t.Fatalf("%d logins during the back-off, want 1", n.Load())
	}
	_, err := s.Token(context.Background())
	if !strings.Contains(err.Error(), "not trying again until") {
		t.Errorf("error does not say it backs off: %v", err)
	}
	clk.Add(61 * time.Second)
	s.Token(context.Background())
	if n.Load() != 2 {
		t.Errorf("no retry after the back-off (%d logins)", n.Load())
	}
	clk.Add(61 * time.Second) // back-off doubled to 2m: still waiting
	s.Token(context.Background())
	if n.Load() != 2 {
		t.Errorf("back-off did not double (%d logins)", n.Load())
	}
}

func TestDoReauthenticatesOnceOn401(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logins atomic.Int32
	s := New(func(ctx context.Context) (Token, error) {
		return tokenAt(logins.Add(1), clk.Now().Add(time.Hour)), nil
	}, Options{Now: clk.Now})
	unauthorized := errors.New("401")
	isUnauth := func(err error) bool { return errors.Is(err, unauthorized) }
	calls := 0
	err := s.Do(context.Background(), isUnauth, func(ctx context.Context, tok Token) error {
		calls++
		if tok.Value == "tok-c" { // the second login
			return nil
		}
		return unauthorized
	})
	if err != nil || calls != 2 || logins.Load() != 2 {
		t.Errorf("err %v, calls %d, logins %d; want nil, 2, 2", err, calls, logins.Load())
	}
	// A call that keeps being refused is tried three times, not in a loop.
	calls = 0
	err = s.Do(context.Background(), isUnauth, func(ctx context.Context, tok Token) error { calls++; return unauthorized })
	if !errors.Is(err, unauthorized) || calls != 3 {
		t.Errorf("persistent 401: err %v after %d calls, want the 401 after 3", err, calls)
	}
}

// backend is a token-checking backend for the revocation tests: logins
// issue a new token, revoke kills every token issued so far.
type backend struct {
	mu     sync.Mutex
	valid  map[string]bool
	n      int
	logins atomic.Int32
	// afterLogin, if set, runs after each login (outside the lock).
	afterLogin func(n int)
}

func newBackend() *backend { return &backend{valid: map[string]bool{}} }

func (b *backend) login(ctx context.Context) (Token, error) {
	time.Sleep(2 * time.Millisecond) // a login takes a moment
	b.mu.Lock()
	b.n++
	n := b.n
	v := fmt.Sprintf("tok-%d", n)
	b.valid[v] = true
	b.mu.Unlock()
	b.logins.Add(1)
	if b.afterLogin != nil {
		b.afterLogin(n)
	}
	return Token{Value: v, Expires: time.Now().Add(time.Hour)}, nil
}

func (b *backend) revoke() {
	b.mu.Lock()
	clear(b.valid)
	b.mu.Unlock()
}

var errUnauthorized = errors.New("401")

func isUnauth(err error) bool { return errors.Is(err, errUnauthorized) }

func (b *backend) use(ctx context.Context, tok Token) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.valid[tok.Value] {
		return errUnauthorized
	}
	return nil
}

// TestRevokedFreshTokenIsNotServed: a call refused with the old token gets a
// fresh one that is revoked before it can use it (a second revocation right
// after the first). The call still succeeds with the next login, and that
// dead fresh token is never handed out again: the calls after it succeed at
// once instead of failing for a minute.
func TestRevokedFreshTokenIsNotServed(t *testing.T) {
	b := newBackend()
	s := New(b.login, Options{})
	ctx := context.Background()
	if err := s.Do(ctx, isUnauth, b.use); err != nil {
		t.Fatal(err)
	}
	b.revoke() // revocation 1
	b.afterLogin = func(n int) {
		if n == 2 {
			b.revoke() // revocation 2 hits tok-2 before anyone used it
		}
	}
	if err := s.Do(ctx, isUnauth, b.use); err != nil {
		t.Fatalf("call across two revocations: %v", err)
	}
	for i := range 50 {
		if err := s.Do(ctx, isUnauth, b.use); err != nil {
			t.Fatalf("call %d after the revocations: %v", i, err)
		}
	}
	if n := b.logins.Load(); n != 3 {
		t.Errorf("%d logins, want 3 (one per revocation)", n)
	}
	if n := s.RefusedInARow(); n != 0 {
		t.Errorf("refused streak %d after an accepted token, want 0", n)
	}
}

// TestRevocationsUnderLoad: two and three revocations in quick succession
// under 500 concurrent callers cost exactly one login each and fail no
// call.
func TestRevocationsUnderLoad(t *testing.T) {
	for _, revocations := range []int{2, 3} {
		t.Run(fmt.Sprint(revocations), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBackend()
				s := New(b.login, Options{})
				ctx := context.Background()
				if err := s.Do(ctx, isUnauth, b.use); err != nil {
					t.Fatal(err)
				}
				stop := make(chan struct{})
				var calls, failures atomic.Int64
				var wg sync.WaitGroup
				for range 500 {
					wg.Go(func() {
						for {
							select {
							case <-stop:
								return
							default:
							}
							calls.Add(1)
							if err := s.Do(ctx, isUnauth, b.use); err != nil {
								failures.Add(1)
							}
							time.Sleep(time.Millisecond)
						}
					})
				}
				for range revocations {
					time.Sleep(60 * time.Millisecond)
					b.revoke()
				}
				time.Sleep(60 * time.Millisecond)
				close(stop)
				wg.Wait()
				if n := b.logins.Load(); int(n) != 1+revocations {
					t.Errorf("%d logins for %d revocations, want %d", n, revocations, 1+revocations)
				}
				if f := failures.Load(); f != 0 {
					t.Errorf("%d of %d calls failed", f, calls.Load())
				}
			})
		})
	}
}

// TestPersistentRefusalSpacesLogins: when the backend refuses every token
// it issues, one call makes three logins and returns the refusal; then
// logins are spaced out (1s, 2s, ... up to RefusedHold) and the calls in
// between fail fast with BACKEND_CREDENTIALS_REJECTED and a retry delay,
// without a login. An accepted token ends it.
func TestPersistentRefusalSpacesLogins(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logins atomic.Int32
	s := New(func(ctx context.Context) (Token, error) {
		return tokenAt(logins.Add(1), clk.Now().Add(time.Hour)), nil
	}, Options{Now: clk.Now, RefusedBackoff: time.Second, RefusedHold: 4 * time.Second})
	accept := false
	var apiCalls int
	use := func(ctx context.Context, tok Token) error {
		apiCalls++
		if accept {
			return nil
		}
		return errUnauthorized
	}
	ctx := context.Background()
	if err := s.Do(ctx, isUnauth, use); !errors.Is(err, errUnauthorized) || logins.Load() != 3 || apiCalls != 3 {
		t.Fatalf("first call: %v after %d logins and %d calls, want the 401 after 3 and 3", err, logins.Load(), apiCalls)
	}
	for range 20 {
		err := s.Do(ctx, isUnauth, use)
		var de *driver.Error
		if !errors.As(err, &de) || de.Code != driver.CodeCredentialsRejected || de.Reason != "BACKEND_CREDENTIALS_REJECTED" ||
			de.RetryAfter <= 0 || de.RetryAfter > time.Second || !strings.Contains(de.Message, "refused the last 3 tokens") {
			t.Fatalf("held call: %#v", err)
		}
	}
	if logins.Load() != 3 || apiCalls != 3 {
		t.Fatalf("%d logins and %d calls during the pause, want none", logins.Load()-3, apiCalls-3)
	}
	// After 1s one login, refused at once: no retry, and the pause doubles.
	for i, pause := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		clk.Add(pause - time.Millisecond)
		if err := s.Do(ctx, isUnauth, use); driver.CodeOf(err) != driver.CodeCredentialsRejected {
			t.Fatalf("pause %d: before its end: %v", i, err)
		}
		clk.Add(time.Millisecond)
		before := logins.Load()
		if err := s.Do(ctx, isUnauth, use); !errors.Is(err, errUnauthorized) {
			t.Fatalf("pause %d: after it: %v", i, err)
		}
		if n := logins.Load() - before; n != 1 {
			t.Fatalf("pause %d: %d logins, want 1", i, n)
		}
	}
	clk.Add(4 * time.Second)
	accept = true
	if err := s.Do(ctx, isUnauth, use); err != nil {
		t.Fatal(err)
	}
	if n := s.RefusedInARow(); n != 0 {
		t.Errorf("streak %d after an accepted token", n)
	}
}

func TestCallerDeadlineWhileWaiting(t *testing.T) {
	s := New(func(ctx context.Context) (Token, error) {
		<-ctx.Done()
		return Token{}, ctx.Err()
	}, Options{FetchTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Token(ctx); driver.CodeOf(err) != driver.CodeDeadlineExceeded {
		t.Errorf("got %v, want DeadlineExceeded", err)
	}
}

func TestCanceledCallerStartsNoLogin(t *testing.T) {
	var n atomic.Int32
	s := New(func(ctx context.Context) (Token, error) {
		n.Add(1)
		return Token{}, &driver.Error{Code: driver.CodeUnavailable, Message: "refused"}
	}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 50 {
		if _, err := s.Token(ctx); driver.CodeOf(err) != driver.CodeCanceled {
			t.Fatalf("got %v, want Canceled", err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d logins for a canceled caller", n.Load())
	}
}
