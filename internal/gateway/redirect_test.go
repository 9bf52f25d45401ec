package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/computegw/computegw/adapters/k5"
	"github.com/computegw/computegw/adapters/nhnv2"
	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/driver"
)

// TestAdaptersDoNotFollowRedirects: a 307 from a vendor endpoint would make
// Go re-send the login body (password included) or X-Auth-Token to wherever
// it points. Every adapter reports the redirect instead, even on a plain
// http.Client its embedder gave it.
func TestAdaptersDoNotFollowRedirects(t *testing.T) {
	var reached atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer thief.Close()
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer vendor.Close()
	plain := &http.Client{}
	adapters := map[string]func() (driver.Adapter, error){
		"nhnv2": func() (driver.Adapter, error) {
			return nhnv2.New(nhnv2.Config{Name: "x", IdentityEndpoint: vendor.URL, ComputeEndpoint: vendor.URL, TenantID: "T",
				Username: "u", Password: "pw-secret", HTTPClient: plain})
		},
		"toastv1": func() (driver.Adapter, error) {
			return toastv1.New(toastv1.Config{Name: "x", Endpoint: vendor.URL, AppKey: "k", Username: "u", Password: "pw-secret", HTTPClient: plain})
		},
		"k5": func() (driver.Adapter, error) {
			return k5.New(k5.Config{Name: "x", IdentityEndpoint: vendor.URL, ComputeEndpoint: vendor.URL, DomainName: "d", ProjectID: "p",
				Username: "u", Password: "pw-secret", HTTPClient: plain})
		},
	}
	for dialect, mk := range adapters {
		a, err := mk()
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		_, err = a.ListFlavors(context.Background(), driver.FlavorFilter{})
		if driver.CodeOf(err) != driver.CodeUnavailable {
			t.Errorf("%s: login answered by a redirect: %v, want UNAVAILABLE", dialect, err)
		}
		a.Close()
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d requests followed a redirect", n)
	}
	if plain.CheckRedirect != nil {
		t.Error("an adapter changed its embedder's client")
	}
}
