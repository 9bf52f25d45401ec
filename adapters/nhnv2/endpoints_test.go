package nhnv2

import (
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/internal/wiretest"
)

// TestCatalogEndpointMustBeTrusted: a service catalog naming another host
// (here another port of the loopback) does not get the token: the call
// fails with a FAILED_PRECONDITION that names the host and the config key;
// listed in allowed_endpoint_hosts, the host is used.
func TestCatalogEndpointMustBeTrusted(t *testing.T) {
	other := wiretest.NewUntrusted(t, "X-Auth-Token")
	srv := newFake(t, fake.Options{SeedInstances: true})
	identity := srv.URL
	srv.SetURL(other.URL) // the catalog now names the other server
	a := newAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity })
	_, err := a.GetInstance(ctxT(t), fake.InstanceWebServer)
	other.WantNotAllowed(t, err)
	a = newAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity; c.AllowedEndpointHosts = []string{other.Host} })
	_, _ = a.GetInstance(ctxT(t), fake.InstanceWebServer)
	if other.Carried() == 0 {
		t.Fatal("an allowed host was not used")
	}
	if _, err := New(Config{Name: "x", IdentityEndpoint: identity, TenantID: "t", Username: "u", Password: "p",
		AllowedEndpointHosts: []string{"a/b"}}); err == nil || !strings.Contains(err.Error(), "allowed_endpoint_hosts[0]") {
		t.Errorf("bad allowed_endpoint_hosts entry: %v", err)
	}
}
