package k5

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/computegw/computegw/driver"
)

// TestRedirectsAreNotFollowed: a 307 from the identity endpoint would make
// Go re-send the login body, password included, to wherever it points. The
// adapter reports the redirect instead, even on a client its embedder gave.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var reached atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer thief.Close()
	identity := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer identity.Close()
	a, err := New(Config{Name: "x", IdentityEndpoint: identity.URL, ComputeEndpoint: identity.URL, DomainName: "d", ProjectID: "p",
		Username: "u", Password: "pw-secret", HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.ListFlavors(context.Background(), driver.FlavorFilter{})
	if driver.CodeOf(err) != driver.CodeUnavailable {
		t.Errorf("login answered by a redirect: %v, want UNAVAILABLE", err)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d requests followed the redirect", n)
	}
}
