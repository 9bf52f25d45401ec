package tokensource

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/testclock"
)

func tokenAt(n int32, exp time.Time) Token {
	return Token{Value: "tok-" + string(rune('a'+n)), Expires: exp}
}

func TestSingleFlightColdStart(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var n atomic.Int32
	release := make(chan struct{})
	s := New(func(ctx context.Context) (Token, error) {
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
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("%d logins for 100 concurrent callers, want 1", n.Load())
	}
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
	// A token that keeps failing is tried twice, not in a loop.
	calls = 0
	err = s.Do(context.Background(), isUnauth, func(ctx context.Context, tok Token) error { calls++; return unauthorized })
	if !errors.Is(err, unauthorized) || calls != 2 {
		t.Errorf("persistent 401: err %v after %d calls", err, calls)
	}
}

// TestRefusedFreshTokenHoldsLogins: when the backend refuses even a token
// it just issued, the next calls within RefusedHold fail at once with the
// backend's answer instead of each logging in again; after the hold one
// call tries a new login.
func TestRefusedFreshTokenHoldsLogins(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logins atomic.Int32
	s := New(func(ctx context.Context) (Token, error) {
		return tokenAt(logins.Add(1), clk.Now().Add(time.Hour)), nil
	}, Options{Now: clk.Now, RefusedHold: time.Minute})
	unauthorized := errors.New("401")
	isUnauth := func(err error) bool { return errors.Is(err, unauthorized) }
	refuse := func(ctx context.Context, tok Token) error { return unauthorized }
	if err := s.Do(context.Background(), isUnauth, refuse); !errors.Is(err, unauthorized) || logins.Load() != 2 {
		t.Fatalf("first call: %v after %d logins, want the 401 after 2", err, logins.Load())
	}
	for range 20 {
		if err := s.Do(context.Background(), isUnauth, refuse); !errors.Is(err, unauthorized) {
			t.Fatalf("held call: %v", err)
		}
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins for 21 refused calls within the hold, want 2", n)
	}
	clk.Add(61 * time.Second)
	calls := 0
	err := s.Do(context.Background(), isUnauth, func(ctx context.Context, tok Token) error {
		calls++
		if tok.Value == "tok-d" { // the login after the hold: accepted
			return nil
		}
		return unauthorized
	})
	if err != nil || logins.Load() != 3 || calls != 2 {
		t.Errorf("after the hold: err %v, %d logins, %d calls; want success after one more login", err, logins.Load(), calls)
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
