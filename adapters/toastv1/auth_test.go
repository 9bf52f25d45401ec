package toastv1_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

func newAdapter(t *testing.T, srv *fake.Server, mod func(*toastv1.Config)) *toastv1.Adapter {
	t.Helper()
	return wiretest.Open(t, toastv1.New, toastv1.Config{Name: "test", Endpoint: srv.URL, AppKey: fake.DemoAppKey,
		Username: fake.DemoUsername, Password: fake.DemoPassword}, mod)
}

func newFake(t *testing.T, opt fake.Options) *fake.Server {
	return wiretest.Closing(t, fake.NewServer(opt))
}

func wantCode(t *testing.T, err error, want driver.Code) *driver.Error {
	t.Helper()
	var de *driver.Error
	if !errors.As(err, &de) {
		t.Fatalf("err %v (%T), want a *driver.Error with code %v", err, err, want)
	}
	if de.Code != want {
		t.Fatalf("code %v (%v), want %v", de.Code, err, want)
	}
	return de
}

func TestColdStartConcurrentCallsLogInOnce(t *testing.T) {
	srv := newFake(t, fake.Options{Demo: true})
	a := newAdapter(t, srv, nil)
	wiretest.Concurrently(t, 100, func(i int) error {
		if i%2 == 0 {
			_, err := a.GetInstance(ctx(t), fake.DemoInstanceID1)
			return err
		}
		_, err := a.ListZones(ctx(t))
		return err
	})
	if n := srv.TokenRequests(); n != 1 {
		t.Errorf("%d token requests for 100 concurrent calls on a cold start, want 1", n)
	}
	if n := srv.Requests(); n != 100 {
		t.Errorf("%d API requests, want 100", n)
	}
}

func TestRejectedPassword(t *testing.T) {
	srv := newFake(t, fake.Options{})
	const wrong = "not-the-Pa55word"
	a := newAdapter(t, srv, func(c *toastv1.Config) { c.Password = wrong })
	_, err := a.ListFlavors(ctx(t), driver.FlavorFilter{})
	de := wantCode(t, err, driver.CodeCredentialsRejected)
	if de.Reason != "BACKEND_CREDENTIALS_REJECTED" || de.VendorCode != "50401" || de.VendorMessage == "" {
		t.Errorf("error %+v", de)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error text contains the password: %v", err)
	}
	// No retry loop: further calls, even many at once, fail fast without
	// another login.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := a.ListZones(ctx(t))
			if driver.CodeOf(err) != driver.CodeCredentialsRejected {
				t.Errorf("later call: %v", err)
			}
		})
	}
	wg.Wait()
	if n := srv.TokenRequests(); n != 1 {
		t.Errorf("%d token requests after a rejected password, want 1", n)
	}
	if n := srv.Requests(); n != 0 {
		t.Errorf("%d API requests without a token, want 0", n)
	}
}

func TestWrongAppKeyIsRejectedCredentials(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := newAdapter(t, srv, func(c *toastv1.Config) { c.AppKey = "SomeoneElsesKey" })
	_, err := a.ListZones(ctx(t))
	de := wantCode(t, err, driver.CodeCredentialsRejected)
	if de.VendorCode != "-3" {
		t.Errorf("vendor code %q, want -3", de.VendorCode)
	}
}

// TestRefusedTokenReauthenticatesOnce: a token that dies early, however the
// backend says so, costs one login and one retry, not a failed call.
func TestRefusedTokenReauthenticatesOnce(t *testing.T) {
	for name, style := range map[string]fake.RefusalStyle{
		"envelope": fake.RefuseEnvelope, "401 envelope": fake.Refuse401Envelope, "401 bare": fake.Refuse401Bare,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fake.Options{Demo: true, Refusal: style})
			a := newAdapter(t, srv, nil)
			if _, err := a.ListZones(ctx(t)); err != nil {
				t.Fatal(err)
			}
			srv.ExpireTokens()
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					if _, err := a.GetInstance(ctx(t), fake.DemoInstanceID1); err != nil {
						t.Errorf("call after the token died: %v", err)
					}
				})
			}
			wg.Wait()
			if n := srv.TokenRequests(); n != 2 {
				t.Errorf("%d token requests, want 2 (one login, one re-login shared by 10 callers)", n)
			}
		})
	}
}

func TestCreateRetriedOnlyAfterRefusedToken(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := newAdapter(t, srv, nil)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	before := srv.Requests()
	in, err := a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{
		Name: "web-9", FlavorID: fake.FlavorID, ImageID: fake.ImageID, Zone: fake.Zone,
		Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkID}}, BootVolume: &driver.BootVolumeSpec{SizeGB: 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests() - before; got != 2 {
		t.Errorf("%d create requests, want 2 (refused, then created)", got)
	}
	page, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) != 1 || page.Instances[0].ID != in.ID {
		t.Errorf("instances after create %+v, want exactly %s", page.Instances, in.ID)
	}
}

func TestRefusedTwiceFails(t *testing.T) {
	var apiCalls atomic.Int32
	srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tokens") {
			return false
		}
		apiCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"header":{"isSuccessful":false,"resultCode":-3,"resultMessage":"Permission denied : not allowed"}}`)
		return true
	}})
	a := newAdapter(t, srv, nil)
	_, err := a.ListZones(ctx(t))
	de := wantCode(t, err, driver.CodePermissionDenied)
	if de.VendorCode != "-3" {
		t.Errorf("vendor code %q", de.VendorCode)
	}
	if n, c := srv.TokenRequests(), apiCalls.Load(); n != 3 || c != 3 {
		t.Errorf("%d token requests and %d calls, want 3 and 3 (refused tokens are never reused; three in a row end the call)", n, c)
	}
}

// TestFreshTokenRefusedIsCredentialsRejected: when the token issued by the
// re-logins are refused as unauthenticated too (HTTP 401, with or without an
// envelope, or an FF401 result code), the gateway's credentials do not work:
// FAILED_PRECONDITION BACKEND_CREDENTIALS_REJECTED, after exactly three
// tokens refused in a row (a single fresh token refused is a revocation race).
func TestFreshTokenRefusedIsCredentialsRejected(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter){
		"401 bare": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "401 Unauthorized")
		},
		"401 envelope": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"header":{"isSuccessful":false,"resultCode":-3,"resultMessage":"Permission denied"}}`)
		},
		"50401 on 200": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"header":{"isSuccessful":false,"resultCode":50401,"resultMessage":"The request you have made requires authentication."}}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var apiCalls atomic.Int32
			srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/tokens") {
					return false
				}
				apiCalls.Add(1)
				answer(w)
				return true
			}})
			a := newAdapter(t, srv, nil)
			_, err := a.GetInstance(ctx(t), "i-1")
			de := wantCode(t, err, driver.CodeCredentialsRejected)
			if de.Reason != "BACKEND_CREDENTIALS_REJECTED" || !strings.Contains(de.Message, "get instance i-1") {
				t.Errorf("error %+v", de)
			}
			if n, c := srv.TokenRequests(), apiCalls.Load(); n != 3 || c != 3 {
				t.Errorf("%d token requests and %d calls, want 3 and 3 (three fresh tokens refused in a row end the call)", n, c)
			}
		})
	}
}

func TestTokenExpiringMidRun(t *testing.T) {
	// The adapter and the fake share one clock.
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{TokenTTL: time.Hour, Now: clk.Now})
	a := newAdapter(t, srv, func(c *toastv1.Config) { c.Now = clk.Now })
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatal(err)
	}
	clk.Add(30 * time.Minute)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("%d token requests half-way through the token's life, want 1", n)
	}
	// Shortly before expiry the adapter renews before using it.
	clk.Add(29 * time.Minute)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatalf("call near expiry failed: %v", err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2 (one renewal)", n)
	}
}

func TestShortLivedTokenCostsOneLogin(t *testing.T) {
	// The backend's tokens die far earlier than the adapter assumes (the
	// fake's clock jumps past their expiry while the adapter's does not):
	// the refusal path renews them, one login per expiry.
	clk := testclock.New(time.Now())
	srv := newFake(t, fake.Options{TokenTTL: time.Hour, Now: clk.Now})
	a := newAdapter(t, srv, nil)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatalf("call after the token expired: %v", err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	const password = "Very-Secret-Pw-123"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var tokens []string
	var mu sync.Mutex
	var errs []error
	collect := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	// The backend echoes the password and token in its failure messages.
	srv := newFake(t, fake.Options{Password: password, Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/flavors") {
			tok := r.Header.Get("X-Auth-Token")
			mu.Lock()
			tokens = append(tokens, tok)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"header":{"isSuccessful":false,"resultCode":-4,"resultMessage":"bad token `+tok+` for password `+password+`"}}`)
			return true
		}
		return false
	}})
	a := newAdapter(t, srv, func(c *toastv1.Config) { c.Password, c.Logger = password, logger })
	_, err := a.ListFlavors(ctx(t), driver.FlavorFilter{})
	collect(err)
	_, err = a.GetInstance(ctx(t), "missing")
	collect(err)
	srv.ExpireTokens()
	_, err = a.GetKeyPair(ctx(t), "missing")
	collect(err)

	bad := newAdapter(t, srv, func(c *toastv1.Config) { c.Password, c.Logger = password+"x", logger })
	_, err = bad.ListZones(ctx(t))
	collect(err)

	if len(errs) != 4 || len(tokens) == 0 {
		t.Fatalf("errors %v, tokens seen %d", errs, len(tokens))
	}
	for _, err := range errs {
		var de *driver.Error
		errors.As(err, &de)
		for _, text := range []string{err.Error(), de.Message, de.VendorMessage} {
			if strings.Contains(text, password) {
				t.Errorf("error text contains the password: %q", text)
			}
			for _, tok := range tokens {
				if strings.Contains(text, tok) {
					t.Errorf("error text contains the token: %q", text)
				}
			}
		}
	}
	if strings.Contains(logs.String(), password) {
		t.Error("logs contain the password")
	}
	for _, tok := range tokens {
		if strings.Contains(logs.String(), tok) {
			t.Error("logs contain the token")
		}
	}
	if !strings.Contains(logs.String(), "toastv1 call") {
		t.Error("no debug records were logged at all")
	}
}

func TestContextHonoured(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	block := func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/availability-zones") {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return true
		}
		return false
	}
	srv := newFake(t, fake.Options{Hook: block})
	a := newAdapter(t, srv, nil)
	if _, err := a.ListFlavors(ctx(t), driver.FlavorFilter{}); err != nil { // logs in
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := a.ListZones(c)
	wantCode(t, err, driver.CodeDeadlineExceeded)
	if time.Since(start) > 5*time.Second {
		t.Error("the deadline was not honoured promptly")
	}
	c2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel2)
	_, err = a.ListZones(c2)
	wantCode(t, err, driver.CodeCanceled)
}

func TestLoginHonoursContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tokens") {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return true
		}
		return false
	}})
	a := newAdapter(t, srv, nil)
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := a.ListZones(c)
	wantCode(t, err, driver.CodeDeadlineExceeded)
}

func TestTransportFailureIsUnavailable(t *testing.T) {
	srv := fake.NewServer(fake.Options{})
	url := srv.URL
	srv.Close()
	// The appkey is in every URL; the adapter keeps full URLs out of its
	// errors and logs (README: the appkey).
	const appKey = "AppKey-In-The-URL-42"
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := toastv1.New(toastv1.Config{Endpoint: url, AppKey: appKey, Username: "u", Password: "p", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.ListZones(ctx(t))
	wantCode(t, err, driver.CodeUnavailable)
	if strings.Contains(err.Error(), appKey) {
		t.Errorf("error text contains the appkey: %v", err)
	}
	if !strings.Contains(logs.String(), "toastv1 call failed") {
		t.Fatalf("no debug record of the failed call: %s", logs.String())
	}
	if strings.Contains(logs.String(), appKey) {
		t.Errorf("logs contain the appkey: %s", logs.String())
	}
}

// TestRedirectsAreNotFollowed: TOAST answers every call itself, so a 3xx
// is reported, not followed; following it would hand the password (a 307
// keeps the login body) or the X-Auth-Token header to another host. This
// holds for the adapter's own client and for one the gateway passes in.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = io.WriteString(w, `{"header":{"isSuccessful":true,"resultCode":0,"resultMessage":"SUCCESS"},"zones":[]}`)
	}))
	defer other.Close()
	for _, redirectLogin := range []bool{true, false} {
		for _, own := range []bool{true, false} {
			srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/tokens") == redirectLogin {
					code := http.StatusFound
					if redirectLogin {
						code = http.StatusTemporaryRedirect
					}
					http.Redirect(w, r, other.URL+r.URL.Path, code)
					return true
				}
				return false
			}})
			a := newAdapter(t, srv, func(c *toastv1.Config) {
				if !own {
					c.HTTPClient = &http.Client{}
				}
			})
			_, err := a.ListZones(ctx(t))
			de := wantCode(t, err, driver.CodeUnavailable)
			if !strings.Contains(de.Message, "redirect") {
				t.Errorf("login redirected %v, own client %v: message %q does not say it was a redirect", redirectLogin, own, de.Message)
			}
			if strings.Contains(err.Error(), other.URL) {
				t.Errorf("error names the redirect target: %v", err)
			}
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect target, want 0", n)
	}
}

func TestNonEnvelopeAnswerIsUnavailable(t *testing.T) {
	srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/flavors") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			return true
		}
		return false
	}})
	a := newAdapter(t, srv, nil)
	_, err := a.ListFlavors(ctx(t), driver.FlavorFilter{})
	de := wantCode(t, err, driver.CodeUnavailable)
	if de.VendorHTTPStatus != http.StatusBadGateway || !strings.Contains(de.Message, "not a TOAST response envelope") {
		t.Errorf("error %+v", de)
	}
}

func TestNewValidatesConfigWithoutNetwork(t *testing.T) {
	var calls atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("no network in this test")
	})}
	base := toastv1.Config{Name: "c", Endpoint: "https://api-compute.cloud.toast.com/compute", AppKey: "k",
		Username: "u", Password: "p", HTTPClient: client}
	if _, err := toastv1.New(base); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Error("New made a network call")
	}
	for field, mod := range map[string]func(*toastv1.Config){
		"Endpoint": func(c *toastv1.Config) { c.Endpoint = "" },
		"AppKey":   func(c *toastv1.Config) { c.AppKey = "" },
		"Username": func(c *toastv1.Config) { c.Username = " " },
		"Password": func(c *toastv1.Config) { c.Password = "" },
	} {
		cfg := base
		mod(&cfg)
		if _, err := toastv1.New(cfg); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("missing %s: err %v", field, err)
		}
	}
	for _, ep := range []string{"ftp://x/compute", "not a url", "https:///compute", "https://x/compute?a=b"} {
		cfg := base
		cfg.Endpoint = ep
		if _, err := toastv1.New(cfg); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLoginRefusedWithBare401(t *testing.T) {
	srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tokens") {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "Unauthorized")
			return true
		}
		return false
	}})
	a := newAdapter(t, srv, nil)
	_, err := a.ListZones(ctx(t))
	de := wantCode(t, err, driver.CodeCredentialsRejected)
	if de.VendorHTTPStatus != http.StatusUnauthorized || de.Reason != "BACKEND_CREDENTIALS_REJECTED" {
		t.Errorf("error %+v", de)
	}
}

func TestLoginTransientFailureIsNotRejection(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv := newFake(t, fake.Options{Hook: func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/tokens") && fail.Load() {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"header":{"isSuccessful":false,"resultCode":-6,"resultMessage":"Failed to query internal db"}}`)
			return true
		}
		return false
	}})
	a := newAdapter(t, srv, nil)
	_, err := a.ListZones(ctx(t))
	de := wantCode(t, err, driver.CodeUnavailable)
	if !strings.Contains(de.Message, "logging in") || de.VendorCode != "-6" {
		t.Errorf("error %+v", de)
	}
	// A transient login failure does not block the next call.
	fail.Store(false)
	if _, err := a.ListZones(ctx(t)); err != nil {
		t.Fatalf("call after the backend recovered: %v", err)
	}
}
