package dialect

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/tokensource"
)

func TestNewBackendDefaults(t *testing.T) {
	b := NewBackend(nil, nil, nil, "pw-secret")
	if b.Client == nil || b.Log == nil || b.Now == nil || b.Secrets == nil {
		t.Fatalf("backend %+v", b)
	}
	if d := time.Since(b.Now()); d < 0 || d > time.Minute {
		t.Errorf("clock is %v off", d)
	}
	if got := b.Secrets.String("login pw-secret"); got != "login [REDACTED]" {
		t.Errorf("secrets mask %q", got)
	}
}

func TestNewBackendKeepsWhatItIsGiven(t *testing.T) {
	redirected := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			redirected = true
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	clock := func() time.Time { return time.Unix(42, 0) }
	given := srv.Client()
	b := NewBackend(given, slog.New(slog.NewTextHandler(&buf, nil)), clock, "pw-secret", "appkey-1")
	if b.Now() != time.Unix(42, 0) {
		t.Error("the given clock is not used")
	}
	b.Log.Info("answer", "body", "pw-secret and appkey-1")
	if out := buf.String(); strings.Contains(out, "pw-secret") || strings.Contains(out, "appkey-1") || !strings.Contains(out, "[REDACTED]") {
		t.Errorf("log record %q", out)
	}
	resp, err := b.Client.Get(srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if redirected || resp.StatusCode != http.StatusFound {
		t.Errorf("redirect followed (%v) or status %d", redirected, resp.StatusCode)
	}
	if given.CheckRedirect != nil {
		t.Error("the given client was changed")
	}
}

func TestBackendTokensMasksTokens(t *testing.T) {
	b := NewBackend(nil, nil, func() time.Time { return time.Unix(1000, 0) })
	src := b.Tokens(func(context.Context) (tokensource.Token, error) {
		return tokensource.Token{Value: "tok-123456", Expires: time.Unix(5000, 0)}, nil
	}, tokensource.Options{})
	err := src.Do(context.Background(), func(error) bool { return false }, func(_ context.Context, tok tokensource.Token) error {
		if tok.Value != "tok-123456" {
			t.Errorf("token %q", tok.Value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Secrets.String("X-Auth-Token: tok-123456"); got != "X-Auth-Token: [REDACTED]" {
		t.Errorf("token not masked: %q", got)
	}
	if src.Fetches() != 1 {
		t.Errorf("%d fetches", src.Fetches())
	}
}

func TestAmend(t *testing.T) {
	orig := &driver.Error{Code: driver.CodeNotFound, Message: "no such instance", VendorCode: "404"}
	got := Amend("stop instance i-1: ", orig)
	if got.Code != driver.CodeNotFound || got.Message != "stop instance i-1: no such instance" || got.VendorCode != "404" {
		t.Errorf("amended %+v", got)
	}
	if orig.Message != "no such instance" {
		t.Errorf("the original changed: %q", orig.Message)
	}
	cause := errors.New("boom")
	got = Amend("list: ", cause)
	if got.Code != driver.CodeUnknown || got.Message != "list: failed" || !errors.Is(got, cause) {
		t.Errorf("unclassified %+v", got)
	}
}
