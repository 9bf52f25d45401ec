package fake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

type client struct {
	t     *testing.T
	srv   *Server
	token string
}

func (c *client) do(method, path, body string) (int, map[string]any, http.Header) {
	c.t.Helper()
	st, h, raw := wiretest.Call(c.t, method, c.srv.ComputeURL()+path, "application/json", body, map[string]string{"X-Auth-Token": c.token})
	return st, wiretest.Object(c.t, method+" "+path, raw), h
}

// requestToken asks the identity endpoint for a token scoped to the demo
// project, as the demo user with password.
func requestToken(t *testing.T, srv *Server, password string) (int, http.Header, []byte) {
	t.Helper()
	body := `{"auth": {"identity": {"methods": ["password"], "password": {"user": {"domain": {"name": "` + DemoDomainName +
		`"}, "name": "` + DemoUsername + `", "password": "` + password + `"}}}, "scope": {"project": {"id": "` + DemoProjectID + `"}}}}`
	return wiretest.Call(t, "POST", srv.URL+"/v3/auth/tokens", "application/json", body, nil)
}

func login(t *testing.T, srv *Server) *client {
	t.Helper()
	st, h, raw := requestToken(t, srv, DemoPassword)
	tok := h.Get("X-Subject-Token")
	if st != http.StatusCreated || tok == "" {
		t.Fatalf("login: %d, token %q", st, tok)
	}
	if strings.Contains(string(raw), tok) {
		t.Error("the token must only be in X-Subject-Token, not the body")
	}
	var b struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
			Catalog   []struct {
				Type      string `json:"type"`
				Endpoints []struct {
					Interface string `json:"interface"`
					URL       string `json:"url"`
				} `json:"endpoints"`
			} `json:"catalog"`
		} `json:"token"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339Nano, b.Token.ExpiresAt); err != nil {
		t.Errorf("expires_at %q: %v", b.Token.ExpiresAt, err)
	}
	found := false
	for _, e := range b.Token.Catalog {
		for _, ep := range e.Endpoints {
			if e.Type == "compute" && ep.Interface == "public" && ep.URL == srv.ComputeURL() {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("catalog lacks the public compute endpoint %s: %s", srv.ComputeURL(), raw)
	}
	return &client{t: t, srv: srv, token: tok}
}

func TestIdentity(t *testing.T) {
	srv := NewServer(Options{})
	defer srv.Close()
	login(t, srv)
	if st, h, _ := requestToken(t, srv, "nope"); st != http.StatusUnauthorized || h.Get("X-Subject-Token") != "" {
		t.Fatalf("wrong password: %d", st)
	}
	if srv.TokenRequests() != 2 {
		t.Errorf("token requests %d, want 2", srv.TokenRequests())
	}
}

func TestComputeAuthAndFaults(t *testing.T) {
	srv := NewServer(Options{SeedInstances: true})
	defer srv.Close()
	bad := &client{t: t, srv: srv, token: "bogus"}
	if code, body, _ := bad.do("GET", "/servers/detail", ""); code != 401 || body["unauthorized"] == nil {
		t.Fatalf("bad token: %d %v", code, body)
	}
	c := login(t, srv)
	code, body, _ := c.do("GET", "/servers/00000000-0000-0000-0000-000000000000", "")
	nf, _ := body["itemNotFound"].(map[string]any)
	if code != 404 || nf["code"] != float64(404) || nf["message"] == "" {
		t.Fatalf("missing server: %d %v", code, body)
	}
	if code, body, _ := c.do("POST", "/servers/"+Instance1ID+"/action", `{"os-start": null}`); code != 409 || body["conflictingRequest"] == nil {
		t.Fatalf("start of an ACTIVE server: %d %v", code, body)
	}
	if code, _, _ := c.do("GET", "/os-availability-zone", ""); code != 404 {
		t.Fatalf("zone listing is undocumented for K5: %d, want 404", code)
	}
	if code, body, _ := c.do("GET", "/images/"+ImageRestricted, ""); code != 500 || body["cloudServersFault"] == nil {
		t.Fatalf("restricted image: %d %v", code, body)
	}
	srv.SetMaintenance(true)
	_, body, _ = c.do("GET", "/servers/detail", "")
	withZone := 0
	for _, s := range body["servers"].([]any) {
		if _, ok := s.(map[string]any)["OS-EXT-AZ:availability_zone"]; ok {
			withZone++
		}
	}
	if withZone != 1 {
		t.Errorf("maintenance: %d of 2 servers carry a zone, want 1", withZone)
	}
}

func TestLifecycleTransitions(t *testing.T) {
	clk := testclock.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := NewServer(Options{Now: clk.Now, BuildDelay: time.Second, ActionDelay: time.Second, DeleteDelay: time.Second, SeedInstances: true})
	defer srv.Close()
	c := login(t, srv)
	code, body, hdr := c.do("POST", "/servers", `{"server": {"name": "t", "imageRef": "`+ImageUbuntu+`", "flavorRef": "`+FlavorS1+`",
		"networks": [{"uuid": "`+NetworkA+`"}], "block_device_mapping_v2": [{"device_name": "/dev/vda", "source_type": "image",
		"destination_type": "volume", "volume_size": "3", "boot_index": "0", "uuid": "`+ImageUbuntu+`", "delete_on_termination": "True"}]}}`)
	if code != 202 || hdr.Get("Location") == "" {
		t.Fatalf("create: %d %v", code, body)
	}
	s := body["server"].(map[string]any)
	id := s["id"].(string)
	if s["adminPass"] == "" {
		t.Error("create answer lacks adminPass")
	}
	want := func(status, task string) {
		t.Helper()
		st, tk, ok := srv.ServerStatus(id)
		if !ok || st != status || tk != task {
			t.Fatalf("status %q/%q (exists %v), want %q/%q", st, tk, ok, status, task)
		}
	}
	want("BUILD", "scheduling")
	if code, body, _ := c.do("POST", "/servers/"+id+"/action", `{"os-stop": null}`); code != 409 || body["buildInProgress"] == nil {
		t.Fatalf("stop while building: %d %v", code, body)
	}
	clk.Add(time.Second)
	want("ACTIVE", "")

	steps := []struct {
		action         string
		status         int
		during         [2]string
		after          string
		afterFlavorID  string
		wantAfterCheck bool
	}{
		{`{"resize": {"flavorRef": "` + FlavorS2 + `"}}`, 202, [2]string{"RESIZE", "resize_prep"}, "VERIFY_RESIZE", FlavorS2, true},
		{`{"confirmResize": null}`, 204, [2]string{"ACTIVE", ""}, "ACTIVE", FlavorS2, true},
		{`{"resize": {"flavorRef": "` + FlavorS1 + `"}}`, 202, [2]string{"RESIZE", "resize_prep"}, "VERIFY_RESIZE", FlavorS1, true},
		{`{"revertResize": null}`, 202, [2]string{"REVERT_RESIZE", "resize_reverting"}, "ACTIVE", FlavorS2, true},
		{`{"reboot": {"type": "SOFT"}}`, 202, [2]string{"HARD_REBOOT", "reboot_started_hard"}, "ACTIVE", "", false},
		{`{"os-stop": null}`, 202, [2]string{"ACTIVE", "powering-off"}, "SHUTOFF", "", false},
		{`{"os-start": null}`, 202, [2]string{"SHUTOFF", "powering-on"}, "ACTIVE", "", false},
		{`{"shelve": null}`, 202, [2]string{"ACTIVE", "shelving"}, "SHELVED", "", false},
		{`{"unshelve": null}`, 202, [2]string{"SHELVED", "unshelving"}, "ACTIVE", "", false},
		{`{"rebuild": {"imageRef": "` + ImageCentOS + `", "name": "t2"}}`, 202, [2]string{"REBUILD", "rebuilding"}, "ACTIVE", "", false},
	}
	for _, st := range steps {
		if code, body, _ := c.do("POST", "/servers/"+id+"/action", st.action); code != st.status {
			t.Fatalf("%s: %d %v", st.action, code, body)
		}
		want(st.during[0], st.during[1])
		clk.Add(time.Second)
		want(st.after, "")
		if st.wantAfterCheck {
			_, body, _ := c.do("GET", "/servers/"+id, "")
			if f := body["server"].(map[string]any)["flavor"].(map[string]any)["id"]; f != st.afterFlavorID {
				t.Fatalf("after %s: flavor %v, want %s", st.action, f, st.afterFlavorID)
			}
		}
	}
	// Attach by volume, detach by attachment ID.
	code, body, _ = c.do("POST", "/servers/"+id+"/os-volume_attachments", `{"volumeAttachment": {"volumeId": "`+Volume2+`", "device": null}}`)
	if code != 200 {
		t.Fatalf("attach: %d %v", code, body)
	}
	att := body["volumeAttachment"].(map[string]any)
	if att["id"] == Volume2 || att["device"] != "/dev/vdb" {
		t.Errorf("attachment %v: want its own ID and /dev/vdb", att)
	}
	if code, body, _ := c.do("POST", "/servers/"+Instance1ID+"/os-volume_attachments", `{"volumeAttachment": {"volumeId": "`+Volume2+`"}}`); code != 409 || body["conflictingRequest"] == nil {
		t.Fatalf("attach of a volume in use: %d %v", code, body)
	}
	if code, _, _ := c.do("DELETE", "/servers/"+id+"/os-volume_attachments/"+att["id"].(string), ""); code != 202 {
		t.Fatalf("detach: %d", code)
	}
	if code, _, _ := c.do("DELETE", "/servers/"+id, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	want("ACTIVE", "deleting")
	clk.Add(time.Second)
	if _, _, ok := srv.ServerStatus(id); ok {
		t.Fatal("server still exists after the delete delay")
	}
}

func TestKeyPairs(t *testing.T) {
	srv := NewServer(Options{})
	defer srv.Close()
	c := login(t, srv)
	code, body, _ := c.do("POST", "/os-keypairs", `{"keypair": {"name": "gen", "availability_zone": "uk-1b"}}`)
	kp, _ := body["keypair"].(map[string]any)
	if code != 200 || kp["private_key"] == nil || kp["fingerprint"] == "" {
		t.Fatalf("generate: %d %v", code, body)
	}
	if code, body, _ := c.do("POST", "/os-keypairs", `{"keypair": {"name": "gen"}}`); code != 409 || body["conflictingRequest"] == nil {
		t.Fatalf("duplicate: %d %v", code, body)
	}
	if code, body, _ := c.do("GET", "/os-keypairs/gen", ""); code != 200 || body["keypair"].(map[string]any)["availability_zone"] != "uk-1b" {
		t.Fatalf("get: %d %v", code, body)
	}
	if code, _, _ := c.do("GET", "/os-keypairs/gen?availability_zone=uk-1a", ""); code != 404 {
		t.Fatalf("get in another zone: %d", code)
	}
	if code, body, _ := c.do("POST", "/os-keypairs", `{"keypair": {"name": "bad", "public_key": "not a key"}}`); code != 400 {
		t.Fatalf("bad import: %d %v", code, body)
	}
	if code, _, _ := c.do("DELETE", "/os-keypairs/gen", ""); code != 202 {
		t.Fatalf("delete: %d", code)
	}
}
