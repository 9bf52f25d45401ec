package backendhttp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Defaults of Policy (per cloud).
const (
	// DefaultMaxConcurrent caps one cloud's backend requests waiting for
	// their answer; it is also the transport's MaxConnsPerHost.
	DefaultMaxConcurrent = 128
	// DefaultBreakerFailures consecutive transport failures or timeouts
	// open a cloud's circuit breaker.
	DefaultBreakerFailures = 5
	// DefaultBreakerOpen is how long an open breaker refuses calls before
	// it lets one probe through (half-open).
	DefaultBreakerOpen = 10 * time.Second
	// DefaultRetries is how many times a failed idempotent read (GET) is
	// sent again, budget permitting.
	DefaultRetries = 2
)

// Breaker states as the gauge reports them.
const (
	StateClosed   = 0
	StateHalfOpen = 1
	StateOpen     = 2
)

// Policy is how a cloud's backend calls are isolated from each other's
// faults. The zero value of each field is its default; a negative
// MaxConcurrent, BreakerFailures or Retries turns that mechanism off.
type Policy struct {
	// MaxConcurrent caps the cloud's backend requests in flight; more wait
	// (within their deadline) for a slot.
	MaxConcurrent int
	// BreakerFailures consecutive transport failures or timeouts (no
	// answer, or a 504 from something in between; never a 4xx or another
	// answer) open the breaker: calls then fail at once with UNAVAILABLE
	// and a RetryInfo for BreakerOpen, after which one probe is let
	// through (half-open); its success closes the breaker, its failure
	// opens it again.
	BreakerFailures int
	BreakerOpen     time.Duration
	// Retries bounds how many times an idempotent read (GET or HEAD, no
	// body) is sent again after a transport failure or a 429/502/503/504,
	// after an exponential backoff with jitter or the answer's
	// Retry-After, and only when the wait fits before the deadline. A
	// shared budget (gRPC A6 retry throttling: 10 tokens, each failure
	// costs 1, each success earns 0.1, retries only above 5) stops
	// retries from multiplying the load on a failing cloud. Writes are
	// never retried here.
	Retries int
	// OnState, when set, is told every breaker state change (StateClosed,
	// StateHalfOpen, StateOpen); OnRetry of every retry sent.
	OnState func(state int)
	OnRetry func()
}

func (p Policy) withDefaults() Policy {
	if p.MaxConcurrent == 0 {
		p.MaxConcurrent = DefaultMaxConcurrent
	}
	if p.BreakerFailures == 0 {
		p.BreakerFailures = DefaultBreakerFailures
	}
	if p.BreakerOpen <= 0 {
		p.BreakerOpen = DefaultBreakerOpen
	}
	if p.Retries == 0 {
		p.Retries = DefaultRetries
	}
	return p
}

// OpenError is the error of a request refused by an open (or probing)
// circuit breaker: it was never sent.
type OpenError struct {
	Cloud string
	// Failures is the breaker's threshold; RetryAfter how long it stays open.
	Failures   int
	RetryAfter time.Duration
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("circuit breaker open for cloud %s after %d consecutive backend failures or timeouts: not sent, retry in %s",
		e.Cloud, e.Failures, e.RetryAfter.Round(100*time.Millisecond))
}

// Guard is one cloud's isolation: its concurrency cap, circuit breaker and
// retry budget. Wrap the cloud's transport with Transport.
type Guard struct {
	cloud string
	p     Policy
	sem   chan struct{}
	cb    *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu       sync.Mutex
	openedAt time.Time
	opened   chan struct{} // closed (and replaced) when the breaker opens
	tokens   float64       // retry budget
}

// Retry budget (gRPC A6 retryThrottling defaults).
const (
	budgetMax   = 10
	budgetRatio = 0.1
)

var (
	errBreakerFailure = errors.New("backend failure")
	errBreakerExclude = errors.New("not the backend's fault")
)

// NewGuard returns the isolation of cloud under p.
func NewGuard(cloud string, p Policy) *Guard {
	p = p.withDefaults()
	g := &Guard{cloud: cloud, p: p, opened: make(chan struct{}), tokens: budgetMax}
	if p.MaxConcurrent > 0 {
		g.sem = make(chan struct{}, p.MaxConcurrent)
	}
	if p.BreakerFailures > 0 {
		g.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        cloud,
			MaxRequests: 1,
			Timeout:     p.BreakerOpen,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(p.BreakerFailures) },
			IsExcluded:  func(err error) bool { return errors.Is(err, errBreakerExclude) },
			OnStateChange: func(_ string, _, to gobreaker.State) {
				g.mu.Lock()
				if to == gobreaker.StateOpen {
					g.openedAt = time.Now()
					close(g.opened)
					g.opened = make(chan struct{})
				}
				g.mu.Unlock()
				if p.OnState != nil {
					p.OnState(stateNumber(to))
				}
			},
		})
	}
	return g
}

func stateNumber(s gobreaker.State) int {
	switch s {
	case gobreaker.StateOpen:
		return StateOpen
	case gobreaker.StateHalfOpen:
		return StateHalfOpen
	}
	return StateClosed
}

// State is the breaker's state (StateClosed when it has none).
func (g *Guard) State() int {
	if g.cb == nil {
		return StateClosed
	}
	return stateNumber(g.cb.State())
}

// Transport wraps base (the cloud's transport, counted and traced) with g.
func (g *Guard) Transport(base http.RoundTripper) http.RoundTripper {
	return &guarded{g: g, base: base}
}

type guarded struct {
	g    *Guard
	base http.RoundTripper
}

// CloseIdleConnections passes on to the wrapped transport.
func (t *guarded) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func idempotent(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && (r.Body == nil || r.Body == http.NoBody)
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (t *guarded) RoundTrip(req *http.Request) (*http.Response, error) {
	g := t.g
	ctx := req.Context()
	retries := 0
	if idempotent(req) && g.p.Retries > 0 {
		retries = g.p.Retries
	}
	for attempt := 0; ; attempt++ {
		res, err := g.once(ctx, t.base, req)
		var oe *OpenError
		if errors.As(err, &oe) || ctx.Err() != nil {
			return res, err
		}
		failed := err != nil || retryableStatus(res.StatusCode)
		if !failed {
			g.budget(true)
			return res, err
		}
		allowed := g.budget(false)
		if attempt >= retries || !allowed {
			return res, err
		}
		wait := backoff(attempt)
		if res != nil {
			if ra := RetryAfter(res.Header, time.Now()); ra > 0 {
				wait = ra
			}
		}
		// Only when the retry can still be answered before the deadline:
		// leave it at least as long again as the wait.
		if dl, ok := ctx.Deadline(); wait > maxRetryWait || ok && time.Until(dl) < 2*wait+50*time.Millisecond {
			return res, err
		}
		if res != nil {
			_ = drainAndClose(res.Body)
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil, ctx.Err()
		case <-tm.C:
		}
		if g.p.OnRetry != nil {
			g.p.OnRetry()
		}
	}
}

// maxRetryWait is the longest Retry-After a retry waits for; a longer one
// comes back to the caller (as RESOURCE_EXHAUSTED or UNAVAILABLE with its
// RetryInfo).
const maxRetryWait = 5 * time.Second

// slowFailure is how long an attempt must have waited before its deadline
// ran out for the timeout to count against the cloud: a caller's deadline
// of a few milliseconds says nothing about the cloud.
var slowFailure = time.Second

// backoff is the wait before retry attempt+1: 100 ms doubling, at most
// 1 s, with full jitter.
func backoff(attempt int) time.Duration {
	d := min(100*time.Millisecond<<attempt, time.Second)
	return d/2 + rand.N(d/2+1)
}

// budget records one attempt's outcome in the retry budget and says whether
// a retry is allowed after a failure.
func (g *Guard) budget(ok bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		g.tokens = min(g.tokens+budgetRatio, budgetMax)
		return false
	}
	g.tokens = max(g.tokens-1, 0)
	return g.tokens > budgetMax/2
}

// once sends one attempt: a slot under the cap, the breaker's leave, the
// request, and the outcome back to the breaker.
func (g *Guard) once(ctx context.Context, base http.RoundTripper, req *http.Request) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g.sem != nil {
		g.mu.Lock()
		opened := g.opened
		g.mu.Unlock()
		select {
		case g.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-opened:
			return nil, g.openError()
		}
		defer func() { <-g.sem }()
	}
	var done func(error)
	if g.cb != nil {
		var err error
		if done, err = g.cb.Allow(); err != nil {
			return nil, g.openError()
		}
	}
	start := time.Now()
	res, err := base.RoundTrip(req)
	if done != nil {
		switch {
		case err == nil && res.StatusCode == http.StatusGatewayTimeout:
			done(errBreakerFailure)
		case err == nil:
			done(nil)
		case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
			done(errBreakerExclude) // the caller gave up: says nothing of the cloud
		case ctx.Err() != nil && time.Since(start) < slowFailure:
			done(errBreakerExclude) // a deadline too short to judge the cloud by
		default:
			done(errBreakerFailure) // no answer: refused, reset, timed out
		}
	}
	return res, err
}

func (g *Guard) openError() error {
	g.mu.Lock()
	left := g.p.BreakerOpen - time.Since(g.openedAt)
	g.mu.Unlock()
	// Half-open (a probe is out) or about to be: retry shortly.
	left = max(left, 100*time.Millisecond)
	return &OpenError{Cloud: g.cloud, Failures: g.p.BreakerFailures, RetryAfter: left}
}
