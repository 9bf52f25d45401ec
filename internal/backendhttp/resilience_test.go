package backendhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/faulttest"
)

// counting counts the attempts that reach the real transport.
type counting struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func guardedClient(p Policy) (*http.Client, *counting, *Guard) {
	base := &counting{base: NewTransport()}
	g := NewGuard("test", p)
	return &http.Client{Transport: g.Transport(base), CheckRedirect: NoRedirects}, base, g
}

func get(t *testing.T, c *http.Client, ctx context.Context, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func TestBreakerOpensAfterConsecutiveTransportFailures(t *testing.T) {
	var states []int
	var mu sync.Mutex
	c, base, g := guardedClient(Policy{Retries: -1, BreakerOpen: time.Minute, OnState: func(s int) { mu.Lock(); states = append(states, s); mu.Unlock() }})
	url := "http://" + faulttest.ClosedAddr() + "/v2/servers"
	for i := range DefaultBreakerFailures {
		if _, err := get(t, c, context.Background(), url); err == nil || errors.As(err, new(*OpenError)) {
			t.Fatalf("call %d: %v, want a refused connection", i+1, err)
		}
	}
	if g.State() != StateOpen {
		t.Fatalf("state %d after %d refusals, want open", g.State(), DefaultBreakerFailures)
	}
	start := time.Now()
	_, err := get(t, c, context.Background(), url)
	var oe *OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("call after the breaker opened: %v, want *OpenError", err)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("refusal took %v, want at once", took)
	}
	if n := base.n.Load(); n != DefaultBreakerFailures {
		t.Errorf("%d attempts reached the transport, want %d (the refused one never sent)", n, DefaultBreakerFailures)
	}
	de := TransportError(context.Background(), "list instances", err)
	if de.Code != driver.CodeUnavailable || de.Reason != ReasonCircuitOpen || de.RetryAfter < 50*time.Second || de.RetryAfter > time.Minute {
		t.Errorf("classified as %v reason %q retry after %v, want UNAVAILABLE %s about a minute", de.Code, de.Reason, de.RetryAfter, ReasonCircuitOpen)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) != 1 || states[0] != StateOpen {
		t.Errorf("state changes %v, want [open]", states)
	}
}

func TestBreakerIgnoresAnswers(t *testing.T) {
	status := atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(int(status.Load())) }))
	defer srv.Close()
	c, base, g := guardedClient(Policy{Retries: -1})
	for _, code := range []int{400, 404, 409, 500, 503} {
		status.Store(int32(code))
		for range 3 * DefaultBreakerFailures {
			if _, err := get(t, c, context.Background(), srv.URL); err != nil {
				t.Fatalf("HTTP %d: %v", code, err)
			}
		}
	}
	if g.State() != StateClosed || base.n.Load() != 5*3*DefaultBreakerFailures {
		t.Errorf("state %d after %d answers, want closed and every one sent", g.State(), base.n.Load())
	}
	// 504 (a timeout of something in between) does count.
	status.Store(504)
	for range DefaultBreakerFailures {
		_, _ = get(t, c, context.Background(), srv.URL)
	}
	if g.State() != StateOpen {
		t.Errorf("state %d after %d 504s, want open", g.State(), DefaultBreakerFailures)
	}
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	up := atomic.Bool{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(200)
	}))
	defer srv.Close()
	defer func() {
		if !up.Load() {
			close(release)
		}
	}()
	old := slowFailure
	slowFailure = 10 * time.Millisecond
	defer func() { slowFailure = old }()
	c, base, g := guardedClient(Policy{Retries: -1, BreakerFailures: 2, BreakerOpen: 300 * time.Millisecond})
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, err := get(t, c, ctx, srv.URL)
		cancel()
		if err == nil {
			t.Fatal("a hanging backend answered")
		}
	}
	if g.State() != StateOpen {
		t.Fatalf("state %d after 2 timeouts, want open", g.State())
	}
	time.Sleep(350 * time.Millisecond)
	// Half-open: the probe goes (and hangs until released); a call during
	// the probe is refused at once.
	probe := make(chan error, 1)
	go func() {
		_, err := get(t, c, context.Background(), srv.URL)
		probe <- err
	}()
	deadline := time.Now().Add(2 * time.Second)
	for base.n.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := get(t, c, context.Background(), srv.URL); !errors.As(err, new(*OpenError)) {
		t.Fatalf("call during the probe: %v, want *OpenError", err)
	}
	up.Store(true)
	close(release)
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if g.State() != StateClosed {
		t.Fatalf("state %d after a successful probe, want closed", g.State())
	}
	if _, err := get(t, c, context.Background(), srv.URL); err != nil {
		t.Fatalf("after closing: %v", err)
	}
	if n := base.n.Load(); n != 4 {
		t.Errorf("%d attempts sent, want 4 (2 timeouts, the probe, one after)", n)
	}
}

func TestBreakerIgnoresShortDeadlines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer srv.Close()
	c, _, g := guardedClient(Policy{Retries: -1})
	for range 3 * DefaultBreakerFailures {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		_, _ = get(t, c, ctx, srv.URL)
		cancel()
	}
	if g.State() != StateClosed {
		t.Errorf("state %d after callers' 5 ms deadlines ran out, want closed", g.State())
	}
}

func TestConcurrencyCap(t *testing.T) {
	var now, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
	}))
	defer srv.Close()
	c, _, _ := guardedClient(Policy{MaxConcurrent: 3})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := get(t, c, context.Background(), srv.URL); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak of %d requests at the backend, want the cap of 3", p)
	}
}

// Calls waiting for a slot behind hanging ones fail at once when the
// breaker opens, instead of waiting out their own deadline. (A waiter may
// take the slot of a failure before the one that opens the breaker: with a
// threshold of 2, one of them.)
func TestWaitersFailWhenBreakerOpens(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer srv.Close()
	defer close(stop)
	old := slowFailure
	slowFailure = 10 * time.Millisecond
	defer func() { slowFailure = old }()
	c, _, _ := guardedClient(Policy{Retries: -1, MaxConcurrent: 2, BreakerFailures: 2})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, _ = get(t, c, ctx, srv.URL)
		})
	}
	time.Sleep(50 * time.Millisecond)
	type result struct {
		err  error
		took time.Duration
	}
	results := make(chan result, 5)
	for range 5 {
		wg.Go(func() {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := get(t, c, ctx, srv.URL)
			results <- result{err, time.Since(start)}
		})
	}
	wg.Wait()
	close(results)
	fast := 0
	for r := range results {
		if errors.As(r.err, new(*OpenError)) && r.took < time.Second {
			fast++
		}
	}
	if fast < 4 {
		t.Errorf("%d of 5 waiters failed fast with *OpenError when the breaker opened, want at least 4", fast)
	}
}

func TestRetriesIdempotentReadsOnly(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%3 != 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c, _, _ := guardedClient(Policy{})
	res, err := get(t, c, context.Background(), srv.URL)
	if err != nil || res.StatusCode != 200 || n.Load() != 3 {
		t.Fatalf("GET: %v %v after %d attempts, want 200 after 3", res, err, n.Load())
	}
	n.Store(0)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 || n.Load() != 1 {
		t.Errorf("POST: %d after %d attempts, want the 503 after 1 (writes are never retried)", res.StatusCode, n.Load())
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	var n atomic.Int32
	var always429 atomic.Bool
	var first time.Time
	var gap time.Duration
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if always429.Load() {
			n.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(30))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c, _, _ := guardedClient(Policy{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := get(t, c, ctx, srv.URL)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	if gap < time.Second {
		t.Errorf("retried after %v, want the 1 s of Retry-After", gap)
	}
	// A Retry-After that does not fit before the deadline: the 429 itself.
	n.Store(0)
	always429.Store(true)
	res, err = get(t, c, ctx, srv.URL)
	if err != nil || res.StatusCode != 429 || n.Load() != 1 {
		t.Errorf("%v %v after %d attempts, want the 429 after 1", res, err, n.Load())
	}
}

func TestRetryBudget(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var retries atomic.Int32
	c, _, _ := guardedClient(Policy{OnRetry: func() { retries.Add(1) }})
	const calls = 20
	for range calls {
		if _, err := get(t, c, context.Background(), srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	// 10 tokens, 1 per failure, retries only above 5: 3 retries in all.
	if r := retries.Load(); r != 3 || n.Load() != calls+3 {
		t.Errorf("%d retries, %d attempts for %d calls to a cloud answering 503, want 3 and %d", r, n.Load(), calls, calls+3)
	}
}
