package faulttest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/wiretest"
)

// backend is the vendor behind the proxy: it answers a server list and
// records what reaches it.
func backend(t *testing.T) *wiretest.Server {
	srv := wiretest.NewServer(t)
	srv.On(http.MethodPost, "/v2/servers", wiretest.Reply{Body: `{"servers":[` + strings.Repeat(`{"id":"x"},`, 50) + `{"id":"y"}]}`})
	return srv
}

func call(ctx context.Context, url string) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v2/servers", strings.NewReader(`{}`))
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
	srv := backend(t)
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
			before := len(srv.Requests())
			start := time.Now()
			code, _, err := call(context.Background(), p.URL)
			if (err != nil) != c.wantError || code != c.wantCode {
				t.Errorf("HTTP %d, error %v; want %d, error %v", code, err, c.wantCode, c.wantError)
			}
			if reached := len(srv.Requests()) > before; reached != c.reached {
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
	srv := backend(t)
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
	srv := backend(t)
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
	eventually.True(t, 2*time.Second, "the proxy lets go of a request its client gave up on", func() bool { return p.Hanging() == 0 })
	// Lifting the hang releases held requests to the vendor.
	done := make(chan int, 1)
	go func() { code, _, _ := call(context.Background(), p.URL); done <- code }()
	eventually.True(t, 5*time.Second, "the proxy holds the new request", func() bool { return p.Hanging() != 0 })
	before := len(srv.Requests())
	p.Set(Faults{})
	if code, got := <-done, len(srv.Requests()); code != 200 || got != before+1 {
		t.Errorf("released request: HTTP %d, reached vendor %v", code, got > before)
	}
	if p.Hanging() != 0 {
		t.Errorf("%d still held", p.Hanging())
	}
}
