package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBoundRouteAgrees checks the fast route test against routeCheck on
// every path built from a pool of segments (the bindings' literals, IDs,
// IDs with known, unknown and doubled verbs, empty segments): boundRoute
// holds exactly when routeCheck passes the request on with its own method
// (HEAD, which routeCheck lets through on a GET path, is left to it).
func TestBoundRouteAgrees(t *testing.T) {
	passed := false
	check := routeCheck(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { passed = true }))
	checkPasses := func(method, path string) bool {
		passed = false
		check.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "http://gw"+path, nil))
		return passed
	}
	pool := []string{"clouds", "nhn", "instances", "web", "web:watch", "web:stop", "web:confirmResize", "web:bogus",
		":watch", "a:b:watch", "web:", "", "flavors", "keyPairs", "volumeAttachments", "images", "zones", "v1"}
	var paths []string
	var grow func(prefix string, depth int)
	grow = func(prefix string, depth int) {
		paths = append(paths, prefix)
		if depth == 0 {
			return
		}
		for _, s := range pool {
			grow(prefix+"/"+s, depth-1)
		}
	}
	grow("/v1/clouds", 3)
	grow("/v1", 2)
	paths = append(paths, "/", "/v1/", "/v2/clouds", "v1/clouds", "/v1/clouds/nhn/instances/web/volumeAttachments/vol-1",
		"/v1/clouds/nhn/instances/web/volumeAttachments/vol-1/x", "/healthz")
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut}
	bound := 0
	for _, p := range paths {
		for _, m := range methods {
			fast := boundRoute(m, p)
			if want := strings.HasPrefix(p, "/v1/") && checkPasses(m, p); fast != want {
				t.Errorf("%s %s: boundRoute %v, routeCheck passes %v", m, p, fast, want)
			}
			if fast {
				bound++
			}
		}
		if boundRoute(http.MethodHead, p) {
			t.Errorf("HEAD %s: bound (left to routeCheck)", p)
		}
	}
	// Every binding was reached: the pool is not too poor to test it.
	if bound < len(restPaths) {
		t.Errorf("%d bound requests among %d paths, fewer than the %d REST paths", bound, len(paths), len(restPaths))
	}
}

// TestRoutedSkipsOnlyBound: a bound request reaches the mux without the
// check, any other the check.
func TestRoutedSkipsOnlyBound(t *testing.T) {
	for _, c := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/v1/clouds/nhn/instances/web", "mux"},
		{http.MethodGet, "/v1/clouds/nhn/instances/web:watch", "mux"},
		{http.MethodPost, "/v1/clouds/nhn/instances/web:stop", "mux"},
		{http.MethodGet, "/v1/clouds/nhn/instances/web:stop", "check"},
		{http.MethodHead, "/v1/clouds/nhn/instances/web", "check"},
		{http.MethodGet, "/v1/clouds/nhn/instances/web/", "check"},
		{http.MethodGet, "/openapi.json", "check"},
	} {
		got := ""
		h := routed(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got = "mux" }),
			http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got = "check" }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, "http://gw"+c.path, nil))
		if got != c.want {
			t.Errorf("%s %s: went to %s, want %s", c.method, c.path, got, c.want)
		}
	}
}
