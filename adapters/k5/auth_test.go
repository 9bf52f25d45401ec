package k5

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

func fakeAdapter(t testing.TB, srv *fake.Server, mod ...func(*Config)) *Adapter {
	t.Helper()
	return wiretest.Open(t, New, Config{Name: "k5-test", IdentityEndpoint: srv.URL, DomainName: fake.DemoDomainName,
		ProjectID: fake.DemoProjectID, Username: fake.DemoUsername, Password: fake.DemoPassword}, mod...)
}

func newFake(t *testing.T, opt fake.Options) *fake.Server {
	return wiretest.Closing(t, fake.NewServer(opt))
}

func TestRejectedPasswordBacksOff(t *testing.T) {
	clk := testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{Now: clk.Now})
	const wrong = "Wr0ng-Password-Value"
	a := fakeAdapter(t, srv, func(c *Config) { c.Password = wrong; c.Now = clk.Now })
	ctx := context.Background()

	_, err := a.GetFlavor(ctx, fake.FlavorS1)
	e := asDriverError(t, err)
	if e.Code != driver.CodeCredentialsRejected || e.Reason != "BACKEND_CREDENTIALS_REJECTED" || e.VendorHTTPStatus != 401 || e.VendorCode != "Unauthorized" {
		t.Fatalf("first error %+v", e)
	}
	if !strings.Contains(e.Message, "backs off") || !strings.Contains(e.Message, "5 failed password attempts in 15 minutes") {
		t.Errorf("first error does not say that it backs off because of K5's lock-out: %q", e.Message)
	}
	var texts []string
	texts = append(texts, err.Error())
	for range 10 {
		_, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10})
		e := asDriverError(t, err)
		if e.Code != driver.CodeCredentialsRejected || !strings.Contains(e.Message, "to avoid locking the account") || e.RetryAfter <= 0 {
			t.Fatalf("error during back-off %+v", e)
		}
		texts = append(texts, err.Error())
	}
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("%d identity requests during the back-off, want 1", n)
	}
	if srv.ComputeRequests() != 0 {
		t.Errorf("compute was called without a token")
	}
	// After the back-off (5 minutes) one more attempt is made, then a
	// longer back-off.
	clk.Add(4 * time.Minute)
	if _, err := a.GetFlavor(ctx, fake.FlavorS1); srv.TokenRequests() != 1 || driver.CodeOf(err) != driver.CodeCredentialsRejected {
		t.Fatalf("4 minutes after a rejection: %d identity requests (%v), want still 1", srv.TokenRequests(), err)
	}
	clk.Add(61 * time.Second)
	_, err = a.GetFlavor(ctx, fake.FlavorS1)
	texts = append(texts, err.Error())
	_, err = a.GetFlavor(ctx, fake.FlavorS1)
	texts = append(texts, err.Error())
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("%d identity requests after one back-off period, want 2", n)
	}
	for _, s := range texts {
		if strings.Contains(s, wrong) {
			t.Fatalf("error text contains the password: %s", s)
		}
	}
}

// A caller retrying a rejected password every 10 seconds for an hour must
// never make K5 see more than 3 failed attempts in any 15 minutes (K5 locks
// the account at 5; 2 are left for people using the same account).
func TestRejectedPasswordStaysClearOfLockout(t *testing.T) {
	clk := testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{Now: clk.Now})
	a := fakeAdapter(t, srv, func(c *Config) { c.Password = "wrong"; c.Now = clk.Now })
	start := clk.Now()
	var attempts []time.Duration
	for i := 0; i <= 360; i++ {
		before := srv.TokenRequests()
		if _, err := a.GetFlavor(context.Background(), fake.FlavorS1); driver.CodeOf(err) != driver.CodeCredentialsRejected {
			t.Fatalf("call %d: %v", i, err)
		}
		if srv.TokenRequests() > before {
			attempts = append(attempts, clk.Now().Sub(start))
		}
		clk.Add(10 * time.Second)
	}
	for i := range attempts {
		n := 0
		for _, at := range attempts[i:] {
			if at-attempts[i] <= 15*time.Minute {
				n++
			}
		}
		if n > 3 {
			t.Fatalf("failed logins at %v: %d within 15 minutes of %v, want at most 3", attempts, n, attempts[i])
		}
	}
	if len(attempts) < 4 {
		t.Errorf("failed logins at %v: the adapter should still retry now and then", attempts)
	}
}

func TestReauthenticatesOnceOn401(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := fakeAdapter(t, srv)
	ctx := context.Background()
	if _, err := a.GetFlavor(ctx, fake.FlavorS1); err != nil {
		t.Fatal(err)
	}
	srv.RevokeTokens() // the cached token dies early
	if _, err := a.GetFlavor(ctx, fake.FlavorS1); err != nil {
		t.Fatalf("call after the token died: %v", err)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2 (one re-authentication)", n)
	}
	if n := srv.ComputeRequests(); n != 3 {
		t.Errorf("%d compute requests, want 3 (ok, 401, retried ok)", n)
	}
}

func TestPersistent401IsCredentialsRejected(t *testing.T) {
	unauthorized := exchange{method: "GET", path: "/flavors/1", status: 401, resp: `{"unauthorized": {"code": 401, "message": "Authentication required"}}`}
	s := newScript(t, unauthorized, unauthorized, unauthorized)
	_, err := s.adapter(t).GetFlavor(context.Background(), "1")
	e := asDriverError(t, err)
	if e.Code != driver.CodeCredentialsRejected || e.Reason != "BACKEND_CREDENTIALS_REJECTED" || e.VendorHTTPStatus != 401 {
		t.Fatalf("got %+v", e)
	}
	s.done(t) // exactly three compute attempts: no retry loop
	if n := s.tokens(); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
}

// When compute refuses token after freshly issued token, later calls do not
// log in again each time (that would be one login per call): after three
// refused tokens the calls fail fast, without a request, for a second; then
// one re-authentication is tried, and the pause doubles.
func TestPersistent401DoesNotHammerIdentity(t *testing.T) {
	clk := testclock.New(time.Now())
	unauthorized := exchange{method: "GET", path: "/flavors/1", status: 401, resp: `{"unauthorized": {"code": 401, "message": "Authentication required"}}`}
	s := newScript(t, unauthorized, unauthorized, unauthorized, unauthorized)
	a := s.adapter(t, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	for i := range 5 { // 3 compute requests, then none
		if _, err := a.GetFlavor(ctx, "1"); driver.CodeOf(err) != driver.CodeCredentialsRejected {
			t.Fatalf("call %d: %v", i, err)
		}
		clk.Add(150 * time.Millisecond)
	}
	if n := s.tokens(); n != 3 {
		t.Fatalf("%d logins for 5 calls refused with fresh tokens within a second, want 3", n)
	}
	clk.Add(time.Second) // past the pause
	if _, err := a.GetFlavor(ctx, "1"); driver.CodeOf(err) != driver.CodeCredentialsRejected {
		t.Fatal(err)
	}
	if n := s.tokens(); n != 4 {
		t.Fatalf("%d logins, want one more re-authentication after the pause", n)
	}
	s.done(t)
}

func TestColdStartSingleFlight(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := fakeAdapter(t, srv)
	wiretest.Concurrently(t, 100, func(int) error {
		_, err := a.GetFlavor(context.Background(), fake.FlavorS1)
		return err
	})
	if n := srv.TokenRequests(); n != 1 {
		t.Errorf("%d token requests for 100 concurrent cold calls, want 1", n)
	}
}

func TestTokenExpiringMidRun(t *testing.T) {
	clk := testclock.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{Now: clk.Now, TokenTTL: 10 * time.Minute, SeedInstances: true})
	a := fakeAdapter(t, srv, func(c *Config) { c.Now = clk.Now })
	ctx := context.Background()
	for i := range 12 {
		if _, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10}); err != nil {
			t.Fatalf("call %d at +%dm: %v", i, i, err)
		}
		clk.Add(time.Minute)
	}
	// 12 minutes with 10-minute tokens used until 2 minutes before expiry:
	// exactly one re-authentication, and no call failed.
	if n := srv.TokenRequests(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestComputeEndpointFromCatalog(t *testing.T) {
	s := newScript(t, exchange{method: "GET", path: "/flavors/1", status: 200, resp: guideShowFlavor})
	s.computePath = "/compute-public/v2/" + testProject
	if _, err := s.adapter(t).GetFlavor(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	s.done(t)
}

func TestComputeEndpointFromConfig(t *testing.T) {
	for _, suffix := range []string{"", "/", "/v2/" + testProject, "/v2/" + testProject + "/"} {
		t.Run("suffix="+suffix, func(t *testing.T) {
			s := newScript(t, exchange{method: "GET", path: "/flavors/1", status: 200, resp: guideShowFlavor})
			s.catalogPath = "/catalog-must-not-be-used"
			a := s.adapter(t, func(c *Config) { c.ComputeEndpoint = s.srv.URL + suffix })
			if _, err := a.GetFlavor(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
			s.done(t)
		})
	}
}

// TestComputeEndpointFromCatalogRegion: with several regions in the
// catalog, Region picks the compute endpoint; without it the first wins
// (here an unreachable one).
func TestComputeEndpointFromCatalogRegion(t *testing.T) {
	s := newScript(t, exchange{method: "GET", path: "/flavors/1", status: 200, resp: guideShowFlavor})
	s.otherRegion = true
	if _, err := s.adapter(t, func(c *Config) { c.Region = "uk-1" }).GetFlavor(context.Background(), "1"); err != nil {
		t.Fatalf("region uk-1: %v", err)
	}
	s.done(t)
	s2 := newScript(t)
	s2.otherRegion = true
	allowUnreachable := func(c *Config) { c.AllowedEndpointHosts = []string{"127.0.0.1:1"} }
	if _, err := s2.adapter(t, allowUnreachable).GetFlavor(context.Background(), "1"); driver.CodeOf(err) != driver.CodeUnavailable {
		t.Errorf("no region, first catalog entry unreachable: %v, want UNAVAILABLE", err)
	}
	s3 := newScript(t)
	s3.otherRegion = true
	_, err := s3.adapter(t, func(c *Config) { c.Region = "us-1" }).GetFlavor(context.Background(), "1")
	if e := asDriverError(t, err); e.Code != driver.CodeFailedPrecondition || !strings.Contains(e.Message, `region "us-1"`) {
		t.Errorf("unknown region: %+v", e)
	}
}

func TestCatalogWithoutCompute(t *testing.T) {
	s := newScript(t)
	s.noCompute = true
	_, err := s.adapter(t).GetFlavor(context.Background(), "1")
	if e := asDriverError(t, err); e.Code != driver.CodeFailedPrecondition || !strings.Contains(e.Message, "compute_endpoint") {
		t.Fatalf("got %+v", e)
	}
}

func TestIdentityFailureIsTransient(t *testing.T) {
	s := newScript(t)
	s.tokenStatus = 503
	a := s.adapter(t)
	for range 2 {
		_, err := a.GetFlavor(context.Background(), "1")
		if e := asDriverError(t, err); e.Code != driver.CodeUnavailable || e.VendorHTTPStatus != 503 {
			t.Fatalf("got %+v", e)
		}
	}
	if n := s.tokens(); n != 2 {
		t.Errorf("%d token requests, want 2 (no back-off for an identity outage)", n)
	}
}

func TestTransportAndContext(t *testing.T) {
	t.Run("Unreachable", func(t *testing.T) {
		a, err := New(Config{Name: "x", IdentityEndpoint: "http://127.0.0.1:1", DomainName: "d", ProjectID: "p", Username: "u", Password: "pw-secret"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.GetFlavor(context.Background(), "1")
		e := asDriverError(t, err)
		if e.Code != driver.CodeUnavailable || strings.Contains(err.Error(), "pw-secret") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		srv := newFake(t, fake.Options{})
		a := fakeAdapter(t, srv)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := a.GetFlavor(ctx, fake.FlavorS1)
		if driver.CodeOf(err) != driver.CodeCanceled {
			t.Fatalf("got %v, want Canceled", err)
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		srv := newFake(t, fake.Options{})
		a := fakeAdapter(t, srv)
		if _, err := a.GetFlavor(context.Background(), fake.FlavorS1); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err := a.GetFlavor(ctx, fake.FlavorS1)
		if driver.CodeOf(err) != driver.CodeDeadlineExceeded {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		var de *driver.Error
		if !errors.As(err, &de) {
			t.Fatal("not a driver error")
		}
	})
}

func TestNewValidatesWithoutNetwork(t *testing.T) {
	base := Config{Name: "c", IdentityEndpoint: "https://identity.uk-1.cloud.global.fujitsu.com", DomainName: "123", ProjectID: "p", Username: "u", Password: "pw"}
	cases := map[string]func(*Config){
		"IdentityEndpoint": func(c *Config) { c.IdentityEndpoint = "" },
		"DomainName":       func(c *Config) { c.DomainName = "" },
		"ProjectID":        func(c *Config) { c.ProjectID = "" },
		"Username":         func(c *Config) { c.Username = "" },
		"Password":         func(c *Config) { c.Password = "" },
		"ComputeEndpoint":  func(c *Config) { c.ComputeEndpoint = "ftp://x" },
	}
	for field, mod := range cases {
		cfg := base
		mod(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v, want an error naming the field", field, err)
		}
	}
	a, err := New(base) // unreachable host: must not be contacted
	if err != nil || a.TokenFetches() != 0 || a.Dialect() != Name {
		t.Fatalf("New: %v, fetches %d", err, a.TokenFetches())
	}
}
