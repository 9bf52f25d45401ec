package k5

import (
	"context"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/internal/wiretest"
)

// TestCatalogEndpointMustBeTrusted: with compute_endpoint unset, a catalog
// naming another host (another loopback port here) does not get the token:
// FAILED_PRECONDITION naming the host and allowed_endpoint_hosts; once the
// host is listed there, it is used.
func TestCatalogEndpointMustBeTrusted(t *testing.T) {
	other := wiretest.NewUntrusted(t, "X-Auth-Token")
	srv := newFake(t, fake.Options{})
	identity := srv.URL
	srv.URL = other.URL // the catalog now names the other server
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, call := range []func(a *Adapter) error{
		func(a *Adapter) error { _, err := a.GetFlavor(ctx, fake.FlavorS1); return err },
		func(a *Adapter) error { _, err := a.ListVolumes(ctx); return err },
	} {
		other.WantNotAllowed(t, call(fakeAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity })))
	}
	a := fakeAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity; c.AllowedEndpointHosts = []string{other.Host} })
	_, _ = a.GetFlavor(ctx, fake.FlavorS1)
	if other.Carried() == 0 {
		t.Fatal("an allowed host was not used")
	}
}
