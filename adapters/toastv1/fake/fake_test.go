package fake_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

// client speaks raw TOAST to a fake, so these tests see the wire exactly.
type client struct {
	t     *testing.T
	base  string
	token string
}

func newClient(t *testing.T, opt fake.Options) (*client, *fake.Server) {
	t.Helper()
	srv := fake.NewHandler(opt)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := &client{t: t, base: hs.URL + fake.PathPrefix + "/v1.0/appkeys/" + fake.DemoAppKey}
	res, status := c.do("POST", "/tokens", `{"auth":{"username":"`+fake.DemoUsername+`","password":"`+fake.DemoPassword+`"}}`)
	if status != 200 || !successful(res) {
		t.Fatalf("login: %d %v", status, res)
	}
	c.token = res["access"].(map[string]any)["token"].(map[string]any)["id"].(string)
	return c, srv
}

func (c *client) do(method, path, body string) (map[string]any, int) {
	c.t.Helper()
	st, _, raw := wiretest.Call(c.t, method, c.base+path, "application/json;charset=UTF-8", body, map[string]string{"X-Auth-Token": c.token})
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return map[string]any{"_raw": string(raw)}, st
	}
	return m, st
}

func successful(m map[string]any) bool {
	h, _ := m["header"].(map[string]any)
	return h != nil && h["isSuccessful"] == true && h["resultCode"] == float64(0)
}

func resultCode(t *testing.T, m map[string]any) float64 {
	t.Helper()
	h, ok := m["header"].(map[string]any)
	if !ok {
		t.Fatalf("answer without envelope: %v", m)
	}
	if h["isSuccessful"] != false {
		t.Fatalf("answer is not a failure: %v", m)
	}
	return h["resultCode"].(float64)
}

func (c *client) status(id string) string {
	c.t.Helper()
	res, _ := c.do("GET", "/instances?id="+id, "")
	if !successful(res) {
		return ""
	}
	return res["instances"].([]any)[0].(map[string]any)["status"].(string)
}

func TestLoginFailures(t *testing.T) {
	srv := fake.NewHandler(fake.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := &client{t: t, base: hs.URL + fake.PathPrefix + "/v1.0/appkeys/" + fake.DemoAppKey}
	res, status := c.do("POST", "/tokens", `{"auth":{"username":"`+fake.DemoUsername+`","password":"wrong"}}`)
	if status != 200 || resultCode(t, res) != 50401 {
		t.Errorf("wrong password: %d %v", status, res)
	}
	res, _ = c.do("POST", "/tokens", `{"auth":`)
	if resultCode(t, res) != -8 {
		t.Errorf("bad JSON: %v", res)
	}
	if srv.TokenRequests() != 2 {
		t.Errorf("token requests %d, want 2", srv.TokenRequests())
	}
	// Without a token every call is refused in the envelope.
	res, status = c.do("GET", "/flavors", "")
	if status != 200 || resultCode(t, res) != -3 {
		t.Errorf("no token: %d %v", status, res)
	}
}

func TestRefusalStyles(t *testing.T) {
	for style, want := range map[fake.RefusalStyle]int{fake.RefuseEnvelope: 200, fake.Refuse401Envelope: 401, fake.Refuse401Bare: 401} {
		c, srv := newClient(t, fake.Options{Refusal: style})
		srv.ExpireTokens()
		res, status := c.do("GET", "/flavors", "")
		if status != want {
			t.Errorf("style %d: HTTP %d, want %d", style, status, want)
		}
		_, hasEnvelope := res["header"]
		if hasEnvelope == (style == fake.Refuse401Bare) {
			t.Errorf("style %d: envelope present = %v: %v", style, hasEnvelope, res)
		}
	}
}

func TestTokenExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c, _ := newClient(t, fake.Options{TokenTTL: time.Hour, Now: clock})
	if res, _ := c.do("GET", "/flavors", ""); !successful(res) {
		t.Fatalf("fresh token refused: %v", res)
	}
	now = now.Add(time.Hour)
	if res, _ := c.do("GET", "/flavors", ""); resultCode(t, res) != -3 {
		t.Errorf("expired token accepted: %v", res)
	}
	res, _ := c.do("GET", "/tokens?id="+c.token, "")
	if resultCode(t, res) != 50404 {
		t.Errorf("token info of an expired token: %v", res)
	}
}

func TestStringTypedNumbers(t *testing.T) {
	c, _ := newClient(t, fake.Options{Demo: true})
	res, _ := c.do("GET", "/flavors", "")
	f := res["flavors"].([]any)[0].(map[string]any)
	for _, k := range []string{"ram", "vcpus", "ephemeral", "volumeSize"} {
		if _, ok := f[k].(string); !ok {
			t.Errorf("flavor %s is %T, want a string as in the guide's example", k, f[k])
		}
	}
	res, _ = c.do("GET", "/instances-detail?id="+fake.DemoInstanceID1, "")
	in := res["instances"].([]any)[0].(map[string]any)
	if _, ok := in["flavor"].(map[string]any)["ram"].(string); !ok {
		t.Error("instance flavor ram is not a string")
	}
	if _, ok := in["volumes"].(map[string]any)["root"].(map[string]any)["size"].(string); !ok {
		t.Error("root volume size is not a string")
	}
	addr := in["addresses"].([]any)[0].(map[string]any)
	if addr["version"] != "4" || addr["floatingIpAddress"] != fake.FloatingIP2 {
		t.Errorf("address %v", addr)
	}
}

func TestTransitionsAndConflicts(t *testing.T) {
	// The fake's clock moves only when the test says so, so "right after"
	// an action is exact however slow the machine is.
	const d = 30 * time.Second
	clk := testclock.New(time.Now())
	c, srv := newClient(t, fake.Options{BuildDelay: d, PowerDelay: d, DeleteDelay: d, Now: clk.Now})
	res, _ := c.do("POST", "/instances", `{"instance":{"name":"web-1","image":"`+fake.ImageID+`","flavor":"`+fake.FlavorID+`",
		"networks":[{"id":"`+fake.NetworkID+`"}],"availabilityZone":"`+fake.Zone+`","count":"1",
		"volume":{"size":"20","type":"General SSD"},"securityGroups":[{"name":"default"}]}}`)
	if !successful(res) {
		t.Fatalf("create: %v", res)
	}
	id := res["instance"].(map[string]any)["id"].(string)
	if got := res["instance"].(map[string]any)["status"]; got != "BUILD" {
		t.Errorf("new instance status %v, want BUILD", got)
	}
	// Nothing but delete while building.
	if res, _ := c.do("POST", "/instances/"+id+"/action", `{"action":"stop"}`); resultCode(t, res) != 10409 {
		t.Errorf("stop while BUILD: %v", res)
	}
	clk.Add(2 * d)
	if s := c.status(id); s != "ACTIVE" {
		t.Fatalf("status %s after the build delay, want ACTIVE", s)
	}
	if res, _ := c.do("POST", "/instances/"+id+"/action", `{"action":"start"}`); resultCode(t, res) != 10409 {
		t.Errorf("start on ACTIVE: %v", res)
	}
	if res, _ := c.do("POST", "/instances/"+id+"/action", `{"action":"stop"}`); !successful(res) {
		t.Fatalf("stop: %v", res)
	}
	if s := c.status(id); s != "POWERING_OFF" {
		t.Errorf("status %s right after stop, want POWERING_OFF", s)
	}
	clk.Add(2 * d)
	if s := c.status(id); s != "STOP" {
		t.Errorf("status %s after stop, want STOP", s)
	}
	if res, _ := c.do("POST", "/instances/"+id+"/action", `{"action":"reboot","parameters":{"type":"SOFT"}}`); resultCode(t, res) != 10409 {
		t.Errorf("soft reboot on STOP: %v", res)
	}
	if res, _ := c.do("POST", "/instances/"+id+"/action", `{"action":"rebuild"}`); resultCode(t, res) != -7 {
		t.Errorf("unsupported action: %v", res)
	}
	if res, _ := c.do("POST", "/instances/"+id+"/action", `not json`); resultCode(t, res) != -8 {
		t.Errorf("bad JSON: %v", res)
	}
	if res, _ := c.do("DELETE", "/instances?id="+id, ""); !successful(res) {
		t.Fatalf("delete: %v", res)
	}
	if s := c.status(id); s != "DELETING" {
		t.Errorf("status %s right after delete, want DELETING", s)
	}
	clk.Add(2 * d)
	if res, _ := c.do("GET", "/instances-detail?id="+id, ""); resultCode(t, res) != 10404 {
		t.Errorf("deleted instance: %v", res)
	}
	if srv.InstanceStatus(id) != "" {
		t.Error("deleted instance still known")
	}
}

func TestCreateValidation(t *testing.T) {
	c, _ := newClient(t, fake.Options{MaxInstances: 1})
	body := func(name, image, size string) string {
		return `{"instance":{"name":"` + name + `","image":"` + image + `","flavor":"` + fake.FlavorID + `",
			"networks":[{"subnetId":"` + fake.SubnetID + `"}],"availabilityZone":"` + fake.Zone + `",
			"volume":{"size":` + size + `},"securityGroups":[{"name":"default"}]}}`
	}
	cases := []struct {
		name, body string
		code       float64
	}{
		{"name too long", body(strings.Repeat("a", 21), fake.ImageID, "20"), -4},
		{"windows name too long", body(strings.Repeat("a", 13), fake.WindowsImageID, "50"), -4},
		{"bad characters", body("web_1", fake.ImageID, "20"), -4},
		{"size not a multiple of 10", body("web", fake.ImageID, "25"), -4},
		{"size under the image minimum", body("web", fake.WindowsImageID, "40"), -4},
		{"unknown image", body("web", "nope", "20"), 10400},
	}
	for _, tc := range cases {
		if res, _ := c.do("POST", "/instances", tc.body); resultCode(t, res) != tc.code {
			t.Errorf("%s: %v, want resultCode %v", tc.name, res, tc.code)
		}
	}
	if res, _ := c.do("POST", "/instances", body("web", fake.ImageID, `"20"`)); !successful(res) {
		t.Fatalf("valid create: %v", res)
	}
	if res, _ := c.do("POST", "/instances", body("web2", fake.ImageID, "20")); resultCode(t, res) != 10413 {
		t.Errorf("over quota: %v", res)
	}
}

func TestKeyPairs(t *testing.T) {
	c, _ := newClient(t, fake.Options{})
	res, _ := c.do("POST", "/keypairs", `{"keypair":{"name":"k1"}}`)
	if !successful(res) {
		t.Fatalf("generate: %v", res)
	}
	kp := res["keypair"].(map[string]any)
	if !strings.Contains(kp["privateKey"].(string), "PRIVATE KEY") || !strings.HasPrefix(kp["publicKey"].(string), "ssh-ed25519 ") {
		t.Errorf("generated key pair %v", kp)
	}
	if res, _ := c.do("POST", "/keypairs", `{"keypair":{"name":"k1"}}`); resultCode(t, res) != 13409 {
		t.Errorf("duplicate: %v", res)
	}
	if res, _ := c.do("POST", "/keypairs", `{"keypair":{"name":"k2","publicKey":"ssh-rsa bm90IGEga2V5"}}`); resultCode(t, res) != 13400 {
		t.Errorf("bad public key: %v", res)
	}
	res, _ = c.do("GET", "/keypairs?name=k1", "")
	got := res["keypairs"].([]any)[0].(map[string]any)
	if got["createdAt"] == nil || got["privateKey"] != nil {
		t.Errorf("get by name %v", got)
	}
	res, _ = c.do("GET", "/keypairs", "")
	if got := res["keypairs"].([]any)[0].(map[string]any); got["createdAt"] != nil {
		t.Errorf("list shows createdAt: %v", got)
	}
	if res, _ := c.do("DELETE", "/keypairs?name=k1", ""); !successful(res) {
		t.Errorf("delete: %v", res)
	}
	if res, _ := c.do("DELETE", "/keypairs?name=k1", ""); resultCode(t, res) != 13404 {
		t.Errorf("delete again: %v", res)
	}
}

func TestUnknownPathIsHTMLNotEnvelope(t *testing.T) {
	c, _ := newClient(t, fake.Options{})
	res, status := c.do("GET", "/no-such-api", "")
	if status != 404 || !strings.Contains(res["_raw"].(string), "<html>") {
		t.Errorf("unknown path: %d %v", status, res)
	}
}

func TestNewServerListensOnLoopback(t *testing.T) {
	srv := fake.NewServer(fake.Options{Demo: true})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.HasSuffix(srv.URL, fake.PathPrefix) {
		t.Fatalf("URL %q", srv.URL)
	}
	resp, err := http.Post(srv.URL+"/v1.0/appkeys/"+fake.DemoAppKey+"/tokens", "application/json",
		strings.NewReader(`{"auth":{"username":"`+fake.DemoUsername+`","password":"`+fake.DemoPassword+`"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || srv.TokenRequests() != 1 {
		t.Errorf("login over loopback: HTTP %d, %d token requests", resp.StatusCode, srv.TokenRequests())
	}
}
