package faulttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func backend(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(append([]byte(`{"servers":[`), bytes.Repeat([]byte(`{"id":"x"},`), 50)...), `{"id":"y"}]}`...))
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func call(ctx context.Context, url string) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v2/servers", bytes.NewReader([]byte(`{}`)))
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

func TestProxyFaults(t *testing.T) {
	srv, got := backend(t)
	p, err := NewProxy(srv.URL, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cases := []struct {
		name      string
		f         Faults
		reached   bool
		wantCode  int
		wantError bool
	}{
		{"none", Faults{}, true, 200, false},
		{"503", Faults{Answer503: 1}, false, 503, false},
		{"429", Faults{Answer429: 1, RetryAfter: "2"}, false, 429, false},
		{"reset before", Faults{ResetBefore: 1}, false, 0, true},
		{"reset after", Faults{ResetAfter: 1}, true, 0, true},
		{"truncate", Faults{Truncate: 1}, true, 200, true},
		{"latency", Faults{Latency: 100 * time.Millisecond}, true, 200, false},
		{"not matched", Faults{Answer503: 1, Match: func(r *http.Request) bool { return r.Method == http.MethodGet }}, true, 200, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.Set(c.f)
			before := got.Load()
			start := time.Now()
			code, _, err := call(context.Background(), p.URL)
			if (err != nil) != c.wantError || code != c.wantCode {
				t.Errorf("HTTP %d, error %v; want %d, error %v", code, err, c.wantCode, c.wantError)
			}
			if reached := got.Load() > before; reached != c.reached {
				t.Errorf("reached the vendor: %v, want %v", reached, c.reached)
			}
			if c.f.Latency > 0 && time.Since(start) < c.f.Latency {
				t.Errorf("answered after %v, want the added %v", time.Since(start), c.f.Latency)
			}
		})
	}
	if p.Count(Kind503) != 1 || p.Count(KindTruncate) != 1 || p.Count(KindResetAfter) != 1 {
		t.Errorf("counts 503 %d, truncate %d, reset-after %d; want 1 each", p.Count(Kind503), p.Count(KindTruncate), p.Count(KindResetAfter))
	}
}

func TestProxyRates(t *testing.T) {
	srv, _ := backend(t)
	p, _ := NewProxy(srv.URL, 7)
	defer p.Close()
	p.Set(Faults{Answer503: 0.3})
	n503 := 0
	for range 400 {
		if code, _, _ := call(context.Background(), p.URL); code == 503 {
			n503++
		}
	}
	if n503 < 80 || n503 > 160 {
		t.Errorf("%d of 400 answered 503 at a rate of 0.3", n503)
	}
}

func TestProxyHang(t *testing.T) {
	srv, got := backend(t)
	p, _ := NewProxy(srv.URL, 1)
	defer p.Close()
	p.Set(Faults{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := call(ctx, p.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung request: %v, want the client's deadline", err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("gave up after %v", el)
	}
	// The proxy lets go of a request its client gave up on.
	for deadline := time.Now().Add(2 * time.Second); p.Hanging() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the proxy still holds a request its client gave up on")
		}
	}
	// Lifting the hang releases held requests to the vendor.
	done := make(chan int, 1)
	go func() { code, _, _ := call(context.Background(), p.URL); done <- code }()
	for p.Hanging() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	before := got.Load()
	p.Set(Faults{})
	if code := <-done; code != 200 || got.Load() != before+1 {
		t.Errorf("released request: HTTP %d, reached vendor %v", code, got.Load() > before)
	}
	if p.Hanging() != 0 {
		t.Errorf("%d still held", p.Hanging())
	}
}
