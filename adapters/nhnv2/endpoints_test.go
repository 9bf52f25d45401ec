package nhnv2

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
)

// TestCatalogEndpointMustBeTrusted: a service catalog naming another host
// (here another port of the loopback) does not get the token: the call
// fails with a FAILED_PRECONDITION that names the host and the config key;
// listed in allowed_endpoint_hosts, the host is used.
func TestCatalogEndpointMustBeTrusted(t *testing.T) {
	var tokens atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "" {
			tokens.Add(1)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(other.Close)
	srv := newFake(t, fake.Options{SeedInstances: true})
	identity := srv.URL
	srv.SetURL(other.URL) // the catalog now names the other server
	a := newAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity })
	_, err := a.GetInstance(ctxT(t), fake.InstanceWebServer)
	host := strings.TrimPrefix(other.URL, "http://")
	de, _ := err.(*driver.Error)
	if de == nil || de.Code != driver.CodeFailedPrecondition || de.Reason != "BACKEND_ENDPOINT_NOT_ALLOWED" ||
		!strings.Contains(de.Message, host) || !strings.Contains(de.Message, "allowed_endpoint_hosts") {
		t.Fatalf("got %#v, want FAILED_PRECONDITION naming %s and allowed_endpoint_hosts", err, host)
	}
	if n := tokens.Load(); n != 0 {
		t.Fatalf("the untrusted host received the token %d times", n)
	}
	u, _ := url.Parse(other.URL)
	a = newAdapter(t, srv, func(c *Config) { c.IdentityEndpoint = identity; c.AllowedEndpointHosts = []string{u.Host} })
	_, _ = a.GetInstance(ctxT(t), fake.InstanceWebServer)
	if tokens.Load() == 0 {
		t.Fatal("an allowed host was not used")
	}
	if _, err := New(Config{Name: "x", IdentityEndpoint: identity, TenantID: "t", Username: "u", Password: "p",
		AllowedEndpointHosts: []string{"a/b"}}); err == nil || !strings.Contains(err.Error(), "allowed_endpoint_hosts[0]") {
		t.Errorf("bad allowed_endpoint_hosts entry: %v", err)
	}
}
