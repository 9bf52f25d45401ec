package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
)

// TestMalformedIDsNeverReachTheVendor: IDs holding "#", "?", "/", "..", "%"
// (sent percent-encoded in the REST path, or in a create body) are
// INVALID_ARGUMENT on every dialect before any backend call, instead of
// deleting "x" for "x#frag" or adding a query for "x?all_tenants=1".
func TestMalformedIDsNeverReachTheVendor(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	// In a REST path: percent-encoded (".." as %2E%2E, which the client
	// does not clean away). A "/" in a path ID finds no route (404).
	pathIDs := map[string]string{"x#frag": "x%23frag", "x?all_tenants=1": "x%3Fall_tenants=1", "..": "%2E%2E",
		"x%41": "x%2541", "x\\y": "x%5Cy"}
	for _, cloud := range []string{"nhn-demo", "toast-demo", "k5-demo"} {
		for _, esc := range pathIDs {
			base := "/v1/clouds/" + cloud + "/instances/" + esc
			for _, c := range []struct{ method, path string }{
				{"GET", base}, {"DELETE", base}, {"POST", base + ":start"},
				{"GET", base + "/volumeAttachments"},
				{"GET", "/v1/clouds/" + cloud + "/flavors/" + esc},
				{"DELETE", "/v1/clouds/" + cloud + "/keyPairs/" + esc},
			} {
				var e restError
				var body any
				if c.method == "POST" {
					body = map[string]any{}
				}
				if code := g.rest(t, c.method, c.path, body, &e); code != 400 || e.reason() != "INVALID_ARGUMENT" {
					t.Errorf("%s %s: %d %+v, want 400 INVALID_ARGUMENT", c.method, c.path, code, e)
				}
			}
		}
		for _, id := range []string{"x#frag", "x?all_tenants=1", "..", "x%41", "x/y", "../../../v3/auth/tokens?x="} {
			create := map[string]any{"displayName": "evil"}
			for k, v := range demoCreate[cloud] {
				create[k] = v
			}
			create["image"] = id
			var e restError
			if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances", create, &e); code != 400 || e.reason() != "INVALID_ARGUMENT" {
				t.Errorf("create with image %q on %s: %d %+v, want 400 INVALID_ARGUMENT", id, cloud, code, e)
			}
		}
	}
}

// TestUntrustedCatalogEndpoint: with compute_endpoint unset, an NHN catalog
// naming another host does not get the token: the call answers
// FAILED_PRECONDITION naming the host; with allowed_endpoint_hosts listing
// it, the config loads and the host is used.
func TestUntrustedCatalogEndpoint(t *testing.T) {
	var tokens atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "" {
			tokens.Add(1)
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	identity := nhn.URL
	nhn.SetURL(other.URL)
	host := strings.TrimPrefix(other.URL, "http://")
	for _, allowed := range []string{"", "    allowed_endpoint_hosts: [\"" + host + "\"]\n"} {
		cfg := "clouds:\n" + nhnEntry("nhn-kr1", identity) + allowed
		g := start(t, []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword}, "--config", writeFile(t, "c.yaml", cfg))
		var e restError
		code := g.rest(t, "GET", "/v1/clouds/nhn-kr1/instances", nil, &e)
		if allowed == "" {
			if code != 400 || e.reason() != "BACKEND_ENDPOINT_NOT_ALLOWED" || !strings.Contains(e.Message, host) {
				t.Errorf("untrusted catalog host: %d %+v, want 400 BACKEND_ENDPOINT_NOT_ALLOWED naming %s", code, e, host)
			}
			if n := tokens.Load(); n != 0 {
				t.Fatalf("the untrusted host received the token %d times", n)
			}
		} else if tokens.Load() == 0 {
			t.Errorf("the allowed host was not used (%d %+v)", code, e)
		}
	}
}
