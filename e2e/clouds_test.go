package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"

	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
)

// demoPasswords sets the password variables nhnEntry, toastEntry and
// k5Entry name to the fakes' demo passwords, followed by more.
func demoPasswords(more ...string) []string {
	return append([]string{
		"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword,
		"E2E_TOAST_PASSWORD=" + toastfake.DemoPassword,
		"E2E_K5_PASSWORD=" + k5fake.DemoPassword,
	}, more...)
}

// demoSecrets are the credentials demoPasswords and the entries give the
// fakes (the passwords and the TOAST appkey), which no metric or span may
// show.
func demoSecrets() []string {
	return []string{nhnfake.DemoPassword, toastfake.DemoPassword, toastfake.DemoAppKey, k5fake.DemoPassword}
}

// startFakes starts a seeded fake of each password dialect, closed when t
// ends.
func startFakes(t *testing.T) (*nhnfake.Server, *toastfake.Server, *k5fake.Server) {
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(nhn.Close)
	toast := toastfake.NewServer(toastfake.Options{Demo: true})
	t.Cleanup(toast.Close)
	k5 := k5fake.NewServer(k5fake.Options{SeedInstances: true})
	t.Cleanup(k5.Close)
	return nhn, toast, k5
}

// vendorProxy is a reverse proxy in front of the fake vendor at target,
// closed when t ends. Each request goes first to pass, which may hold it
// and returns false to drop it (unanswered); each answer goes to onAnswer
// (if not nil) before the gateway sees it.
func vendorProxy(t *testing.T, target string, pass func(*http.Request) bool, onAnswer func(*http.Response)) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	if onAnswer != nil {
		proxy.ModifyResponse = func(res *http.Response) error { onAnswer(res); return nil }
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pass(r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// cloudEntry renders one item of a config file's clouds list: name,
// dialect, then the keys of kv (key, value, key, value...) in order, a
// later key replacing an earlier one's value. Values are written as they
// are (flow sequences, quoted strings).
func cloudEntry(name, dialect string, kv ...string) string {
	var keys, values []string
	for i := 0; i+1 < len(kv); i += 2 {
		if j := slices.Index(keys, kv[i]); j >= 0 {
			values[j] = kv[i+1]
			continue
		}
		keys, values = append(keys, kv[i]), append(values, kv[i+1])
	}
	var b strings.Builder
	b.WriteString("  - name: " + name + "\n    dialect: " + dialect + "\n")
	for i, k := range keys {
		b.WriteString("    " + k + ": " + values[i] + "\n")
	}
	return b.String()
}

// nhnEntry is an nhnv2 cloud against the fake at identity with the demo
// tenant and user, its password in E2E_NHN_PASSWORD; kv adds or replaces
// keys.
func nhnEntry(name, identity string, kv ...string) string {
	return cloudEntry(name, "nhnv2", append([]string{"identity_endpoint", identity, "tenant_id", nhnfake.DemoTenantID,
		"username", nhnfake.DemoUsername, "password_env", "E2E_NHN_PASSWORD"}, kv...)...)
}

// nhnInline is an nhnv2 cloud against the fake at identity with the demo
// tenant and user and password written inline in the config; kv adds or
// replaces keys.
func nhnInline(name, identity, password string, kv ...string) string {
	return cloudEntry(name, "nhnv2", append([]string{"identity_endpoint", identity, "tenant_id", nhnfake.DemoTenantID,
		"username", nhnfake.DemoUsername, "password", password}, kv...)...)
}

// toastEntry is a toastv1 cloud against the fake at endpoint with the demo
// appkey and user, its password in E2E_TOAST_PASSWORD.
func toastEntry(name, endpoint string, kv ...string) string {
	return cloudEntry(name, "toastv1", append([]string{"endpoint", endpoint, "appkey", toastfake.DemoAppKey,
		"username", toastfake.DemoUsername, "password_env", "E2E_TOAST_PASSWORD"}, kv...)...)
}

// k5Entry is a k5 cloud against the fake at identity with the demo domain,
// project and user, its password in E2E_K5_PASSWORD.
func k5Entry(name, identity string, kv ...string) string {
	return cloudEntry(name, "k5", append([]string{"identity_endpoint", identity, "domain_name", `"` + k5fake.DemoDomainName + `"`,
		"project_id", k5fake.DemoProjectID, "username", k5fake.DemoUsername, "password_env", "E2E_K5_PASSWORD"}, kv...)...)
}
