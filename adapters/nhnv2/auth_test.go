package nhnv2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/testclock"
)

func TestColdStartConcurrentCallsMakeOneTokenRequest(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := make(chan struct{})
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if i%2 == 0 {
				_, err = a.GetInstance(ctx, fake.InstanceWebServer)
			} else {
				_, err = a.ListFlavors(ctx, driver.FlavorFilter{})
			}
			if err != nil {
				failed.Add(1)
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("100 concurrent cold-start calls made %d token requests, want exactly 1", n)
	}
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
}

func TestTokenIsCachedUntilShortlyBeforeExpiry(t *testing.T) {
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{TokenTTL: time.Hour, Now: clk.Now})
	a := newAdapter(t, srv, func(c *Config) { c.Now = clk.Now })
	ctx := ctxT(t)
	for range 3 {
		if _, err := a.ListZones(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(50 * time.Minute)
	if _, err := a.ListZones(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests before expiry = %d, want 1", n)
	}
	// Within the refresh skew before access.token.expires: one new login,
	// no failed call.
	clk.Add(9 * time.Minute)
	for range 3 {
		if _, err := a.ListZones(ctx); err != nil {
			t.Fatalf("call near expiry failed: %v", err)
		}
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests after refresh = %d, want 2", n)
	}
}

// TestTokenExpiringMidRunCostsOneReauth: the backend's clock is ahead of
// the gateway's, so the token dies while the adapter still trusts it. The
// call that meets the 401 re-authenticates once and succeeds.
func TestTokenExpiringMidRunCostsOneReauth(t *testing.T) {
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{TokenTTL: time.Hour, Now: clk.Now})
	behind := func() time.Time { return clk.Now().Add(-10 * time.Minute) }
	a := newAdapter(t, srv, func(c *Config) { c.Now = behind })
	ctx := ctxT(t)
	if _, err := a.ListKeyPairs(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(61 * time.Minute) // expired at the backend; adapter thinks 51m in
	if _, err := a.ListKeyPairs(ctx); err != nil {
		t.Fatalf("call with a token that expired mid-run failed: %v", err)
	}
	if _, err := a.ListKeyPairs(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2 (one re-authentication)", n)
	}
}

func TestRevokedTokenReauthenticatesOnceForConcurrentCallers(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	if _, err := a.GetInstance(ctx, fake.InstanceWebServer); err != nil {
		t.Fatal(err)
	}
	srv.RevokeTokens()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.GetInstance(ctx, fake.InstanceWebServer); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d, want 2 (50 callers saw one 401 → one re-authentication)", n)
	}
}

func TestRejectedPasswordIsCredentialsRejectedWithoutRetryLoop(t *testing.T) {
	srv := newFake(t, fake.Options{})
	const secret = "s3cret-Pa55word!"
	a := newAdapter(t, srv, func(c *Config) { c.Password = secret })
	ctx := ctxT(t)
	_, err := a.GetInstance(ctx, "x")
	var de *driver.Error
	if !errors.As(err, &de) || de.Code != driver.CodeCredentialsRejected || de.Reason != "BACKEND_CREDENTIALS_REJECTED" {
		t.Fatalf("err = %v, want CodeCredentialsRejected with reason BACKEND_CREDENTIALS_REJECTED", err)
	}
	if de.VendorHTTPStatus != 401 || de.VendorCode != "Unauthorized" || de.VendorMessage == "" {
		t.Errorf("vendor details = %d/%q/%q", de.VendorHTTPStatus, de.VendorCode, de.VendorMessage)
	}
	for range 5 {
		_, err2 := a.ListZones(ctx)
		if driver.CodeOf(err2) != driver.CodeCredentialsRejected {
			t.Fatalf("later call: %v", err2)
		}
		err = errors.Join(err, err2)
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("token requests = %d, want 1 (back-off, no retry loop)", n)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, de), secret) {
		t.Fatalf("error text contains the password: %v", err)
	}
}

// TestSecondUnauthorizedIsNotRetriedAgain: a backend that refuses even a
// fresh token gets exactly one retry, then the call fails as
// credentials-rejected.
func TestSecondUnauthorizedIsNotRetriedAgain(t *testing.T) {
	var tokenCalls, computeCalls atomic.Int32
	var base string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2.0/tokens" {
			n := tokenCalls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access":{"token":{"id":"tok-%d","expires":"2999-01-01T00:00:00Z"},"serviceCatalog":[{"type":"compute","name":"nova","endpoints":[{"region":"KR1","publicURL":"%s/v2/T"}]}]}}`, n, base)
			return
		}
		computeCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`)
	}))
	t.Cleanup(hs.Close)
	base = hs.URL
	a, err := New(Config{Name: "x", IdentityEndpoint: hs.URL, TenantID: "T", Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.GetInstance(ctxT(t), "abc")
	if driver.CodeOf(err) != driver.CodeCredentialsRejected {
		t.Fatalf("err = %v, want CodeCredentialsRejected", err)
	}
	if tokenCalls.Load() != 3 || computeCalls.Load() != 3 {
		t.Fatalf("token calls %d, compute calls %d; want 3 and 3 (three tokens refused in a row end the call)", tokenCalls.Load(), computeCalls.Load())
	}
}

func TestComputeEndpointFromCatalogRegion(t *testing.T) {
	var hits sync.Map
	var base string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Store(r.URL.Path, true)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/identity/v2.0/tokens" {
			fmt.Fprintf(w, `{"access":{"token":{"id":"t","expires":"2999-01-01T00:00:00.000000"},"serviceCatalog":[
				{"type":"network","endpoints":[{"region":"KR2","publicURL":"%[1]s/net"}]},
				{"type":"compute","name":"nova","endpoints":[
					{"region":"KR1","publicURL":"%[1]s/kr1/v2/T"},
					{"region":"KR2","publicURL":"%[1]s/kr2/v2/T"}]}]}}`, base)
			return
		}
		io.WriteString(w, `{"availabilityZoneInfo":[]}`)
	}))
	t.Cleanup(hs.Close)
	base = hs.URL
	for region, want := range map[string]string{"": "/kr1/v2/T/os-availability-zone", "kr2": "/kr2/v2/T/os-availability-zone"} {
		a, err := New(Config{Name: "x", IdentityEndpoint: hs.URL + "/identity/v2.0/", TenantID: "T", Username: "u", Password: "p", Region: region})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.ListZones(ctxT(t)); err != nil {
			t.Fatalf("region %q: %v", region, err)
		}
		if _, ok := hits.Load(want); !ok {
			t.Errorf("region %q: no call to %s", region, want)
		}
	}
	a, _ := New(Config{Name: "x", IdentityEndpoint: hs.URL + "/identity", TenantID: "T", Username: "u", Password: "p", Region: "JP1"})
	if _, err := a.ListZones(ctxT(t)); driver.CodeOf(err) != driver.CodeFailedPrecondition || !strings.Contains(err.Error(), "compute_endpoint") {
		t.Errorf("no compute endpoint for region: %v, want FailedPrecondition naming compute_endpoint", err)
	}
	// A configured compute endpoint wins over the catalog.
	a, _ = New(Config{Name: "x", IdentityEndpoint: hs.URL + "/identity", ComputeEndpoint: hs.URL + "/cfg", TenantID: "T", Username: "u", Password: "p"})
	if _, err := a.ListZones(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, ok := hits.Load("/cfg/v2/T/os-availability-zone"); !ok {
		t.Error("configured compute endpoint not used")
	}
}

func TestTransportFailureIsUnavailable(t *testing.T) {
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	a, _ := New(Config{Name: "x", IdentityEndpoint: url, TenantID: "T", Username: "u", Password: "p"})
	_, err := a.ListZones(ctxT(t))
	if driver.CodeOf(err) != driver.CodeUnavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.ListZones(ctx); driver.CodeOf(err) != driver.CodeCanceled {
		t.Fatalf("canceled ctx: %v, want Canceled", err)
	}
}

// TestNoSecretInLogsOrErrors runs logins, a re-authentication after a
// revoked token, vendor errors and a rejected password with debug logging
// on, and checks that neither the password nor any issued token appears in
// a log line or an error.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := newFake(t, fake.Options{SeedInstances: true, RecordRequests: true})
	a := newAdapter(t, srv, func(c *Config) { c.Logger = logger })
	ctx := ctxT(t)
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := a.GetInstance(ctx, fake.InstanceWebServer)
	note(err)
	srv.RevokeTokens()
	_, err = a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10})
	note(err)
	_, err = a.GetInstance(ctx, "no-such-instance")
	note(err)
	note(a.StartInstance(ctx, fake.InstanceWebServer)) // 409
	_, err = a.CreateInstance(ctx, &driver.CreateInstanceRequest{Name: "x", FlavorID: fake.FlavorU2C1M2, ImageID: "no-such-image",
		KeyName: fake.KeyPairName, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkVPC2}}})
	note(err)
	bad := newAdapter(t, srv, func(c *Config) { c.Password = "wrong-" + fake.DemoPassword; c.Logger = logger })
	_, err = bad.ListZones(ctx)
	note(err)
	if len(errs) != 4 {
		t.Fatalf("want 4 failed calls (404, 409, bad image, rejected password), got %d: %v", len(errs), errs)
	}
	secrets := []string{fake.DemoPassword}
	for _, r := range srv.Requests() {
		if tok := r.Header.Get("X-Auth-Token"); tok != "" && !slices.Contains(secrets, tok) {
			secrets = append(secrets, tok)
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("saw %d tokens, want at least 2 (one re-authentication)", len(secrets)-1)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if strings.Count(out, "obtained NHN Cloud token") < 2 {
		t.Fatalf("debug log lacks the login lines; is the logger wired?\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("a log line contains a secret (%.6s…)", s)
		}
		for _, e := range errs {
			var de *driver.Error
			errors.As(e, &de)
			if strings.Contains(e.Error(), s) || (de != nil && strings.Contains(de.Message+de.VendorMessage, s)) {
				t.Errorf("error %q contains a secret", e)
			}
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestCachedComputeClientFollowsTheToken: the compute ServiceClient is kept
// per token; after a revocation the calls that use it send the new token
// (the fake refuses the old one), and so does GetInstance.
func TestCachedComputeClientFollowsTheToken(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	for round := range 3 {
		if _, err := a.ListInstances(ctx, driver.ListInstancesOptions{}); err != nil {
			t.Fatalf("round %d: list: %v", round, err)
		}
		if _, err := a.GetInstance(ctx, fake.InstanceWebServer); err != nil {
			t.Fatalf("round %d: get: %v", round, err)
		}
		srv.RevokeTokens()
	}
	if n := srv.TokenRequests(); n != 3 {
		t.Fatalf("token requests = %d, want 3 (one per revocation, cached client rebuilt)", n)
	}
}
