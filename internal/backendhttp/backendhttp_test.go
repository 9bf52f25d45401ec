package backendhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

func TestCodeForStatus(t *testing.T) {
	want := map[int]driver.Code{
		400: driver.CodeInvalidArgument, 403: driver.CodePermissionDenied, 404: driver.CodeNotFound,
		409: driver.CodeFailedPrecondition, 413: driver.CodeResourceExhausted, 429: driver.CodeResourceExhausted,
		500: driver.CodeUnavailable, 501: driver.CodeUnimplemented, 503: driver.CodeUnavailable,
		504: driver.CodeDeadlineExceeded, 401: driver.CodeUnknown, 418: driver.CodeUnknown,
		302: driver.CodeUnavailable, 307: driver.CodeUnavailable,
	}
	for status, code := range want {
		if got := CodeForStatus(status); got != code {
			t.Errorf("HTTP %d: %v, want %v", status, got, code)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	if RetryAfter(h, now) != 0 {
		t.Error("absent header")
	}
	h.Set("Retry-After", "30")
	if RetryAfter(h, now) != 30*time.Second {
		t.Error("seconds")
	}
	h.Set("Retry-After", now.Add(time.Minute).Format(http.TimeFormat))
	if RetryAfter(h, now) != time.Minute {
		t.Errorf("HTTP date: %v", RetryAfter(h, now))
	}
	h.Set("Retry-After", "soon")
	if RetryAfter(h, now) != 0 {
		t.Error("garbage")
	}
}

func TestTransportError(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if c := TransportError(expired, "x", errors.New("dial")).Code; c != driver.CodeDeadlineExceeded {
		t.Errorf("expired ctx: %v", c)
	}
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if c := TransportError(canceled, "x", context.Canceled).Code; c != driver.CodeCanceled {
		t.Errorf("canceled: %v", c)
	}
	if c := TransportError(context.Background(), "x", errors.New("connection refused")).Code; c != driver.CodeUnavailable {
		t.Errorf("refused: %v", c)
	}
	if NewTransport().MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Error("keep-alive pool not sized")
	}
}

// TestClientDoesNotFollowRedirects: a token header (or a login body) never
// goes to wherever a redirect points; the 3xx comes back to the adapter.
func TestClientDoesNotFollowRedirects(t *testing.T) {
	var leaked int
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "" {
			leaked++
		}
	}))
	defer elsewhere.Close()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/steal", code)
		}))
		req, _ := http.NewRequest("POST", api.URL+"/v2.0/tokens", nil)
		req.Header.Set("X-Auth-Token", "tok-secret")
		res, err := NewClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != code {
			t.Errorf("redirect %d: got HTTP %d, want the redirect itself", code, res.StatusCode)
		}
		api.Close()
	}
	if leaked != 0 {
		t.Errorf("%d requests with the token reached the redirect target", leaked)
	}
}
