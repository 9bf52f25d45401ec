package k5

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
)

// TestCatalogEndpointMustBeTrusted: with compute_endpoint unset, a catalog
// naming another host (another loopback port here) does not get the token:
// FAILED_PRECONDITION naming the host and allowed_endpoint_hosts; once the
// host is listed there, it is used.
func TestCatalogEndpointMustBeTrusted(t *testing.T) {
	var tokens atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "" {
			tokens.Add(1)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(other.Close)
	srv := newFake(t, fake.Options{})
	identity := srv.URL
	srv.URL = other.URL // the catalog now names the other server
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, call := range []func(a *Adapter) error{
		func(a *Adapter) error { _, err := a.GetFlavor(ctx, fake.FlavorS1); return err },
		func(a *Adapter) error { _, err := a.ListVolumes(ctx); return err },
	} {
		a := fakeAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity })
		err := call(a)
		host := strings.TrimPrefix(other.URL, "http://")
		de, _ := err.(*driver.Error)
		if de == nil || de.Code != driver.CodeFailedPrecondition || de.Reason != "BACKEND_ENDPOINT_NOT_ALLOWED" ||
			!strings.Contains(de.Message, host) || !strings.Contains(de.Message, "allowed_endpoint_hosts") {
			t.Fatalf("got %#v, want FAILED_PRECONDITION naming %s and allowed_endpoint_hosts", err, host)
		}
	}
	if n := tokens.Load(); n != 0 {
		t.Fatalf("the untrusted host received the token %d times", n)
	}
	u, _ := url.Parse(other.URL)
	a := fakeAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity; c.AllowedEndpointHosts = []string{u.Host} })
	_, _ = a.GetFlavor(ctx, fake.FlavorS1)
	if tokens.Load() == 0 {
		t.Fatal("an allowed host was not used")
	}
}
