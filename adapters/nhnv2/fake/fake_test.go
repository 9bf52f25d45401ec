package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

type client struct {
	t   *testing.T
	srv *Server
	tok string
}

func (c *client) do(method, path, body string) (int, map[string]any, http.Header) {
	c.t.Helper()
	st, h, raw := wiretest.Call(c.t, method, c.srv.URL+path, "application/json", body, map[string]string{"X-Auth-Token": c.tok})
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return st, out, h
}

func login(t *testing.T, srv *Server) *client {
	c := &client{t: t, srv: srv}
	st, body, _ := c.do("POST", "/v2.0/tokens", fmt.Sprintf(
		`{"auth":{"tenantId":%q,"passwordCredentials":{"username":%q,"password":%q}}}`, DemoTenantID, DemoUsername, DemoPassword))
	if st != 200 {
		t.Fatalf("login: %d %v", st, body)
	}
	c.tok = body["access"].(map[string]any)["token"].(map[string]any)["id"].(string)
	return c
}

const v2 = "/v2/" + DemoTenantID

func TestTokenExpiryAndCounting(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := NewServer(Options{TokenTTL: time.Hour, Now: clk.Now})
	defer srv.Close()
	c := login(t, srv)
	if st, _, _ := c.do("GET", v2+"/os-availability-zone", ""); st != 200 {
		t.Fatalf("zones: %d", st)
	}
	clk.Add(time.Hour)
	st, body, _ := c.do("GET", v2+"/os-availability-zone", "")
	if st != 401 || body["error"] == nil {
		t.Fatalf("expired token: %d %v", st, body)
	}
	bad := &client{t: t, srv: srv}
	if st, _, _ := bad.do("POST", "/v2.0/tokens", `{"auth":{"tenantId":"x","passwordCredentials":{"username":"u","password":"p"}}}`); st != 401 {
		t.Fatalf("bad login: %d", st)
	}
	if n := srv.TokenRequests(); n != 2 {
		t.Fatalf("token requests = %d", n)
	}
	c2 := login(t, srv)
	srv.RevokeTokens()
	if st, _, _ := c2.do("GET", v2+"/os-keypairs", ""); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
}

func TestTransitionsAndConflicts(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := NewServer(Options{BuildDelay: time.Minute, ActionDelay: time.Minute, Now: clk.Now})
	defer srv.Close()
	c := login(t, srv)
	st, body, _ := c.do("POST", v2+"/servers", fmt.Sprintf(`{"server":{"name":"a","imageRef":%q,"flavorRef":%q,
		"networks":[{"subnet":%q}],"key_name":%q,"block_device_mapping_v2":[{"source_type":"image","uuid":%q,"boot_index":0,
		"destination_type":"volume","volume_size":20,"delete_on_termination":1}]}}`,
		ImageUbuntu, FlavorM2C1M2, SubnetVPC2, KeyPairName, ImageUbuntu))
	if st != 202 {
		t.Fatalf("create: %d %v", st, body)
	}
	id := body["server"].(map[string]any)["id"].(string)
	status := func() string {
		_, b, _ := c.do("GET", v2+"/servers/"+id, "")
		return b["server"].(map[string]any)["status"].(string)
	}
	if s := status(); s != "BUILD" {
		t.Fatalf("new server %s", s)
	}
	if st, b, _ := c.do("POST", v2+"/servers/"+id+"/action", `{"os-stop": null}`); st != 409 || b["conflictingRequest"] == nil {
		t.Fatalf("stop while building: %d %v", st, b)
	}
	clk.Add(time.Minute)
	if s := status(); s != "ACTIVE" {
		t.Fatalf("after build delay: %s", s)
	}
	if st, _, _ := c.do("POST", v2+"/servers/"+id+"/action", `{"os-start": null}`); st != 409 {
		t.Fatalf("start ACTIVE: %d", st)
	}
	if st, _, _ := c.do("POST", v2+"/servers/"+id+"/action", `{"os-stop": null}`); st != 202 {
		t.Fatalf("stop: %d", st)
	}
	clk.Add(time.Minute)
	if s := status(); s != "SHUTOFF" {
		t.Fatalf("after stop: %s", s)
	}
	if st, b, _ := c.do("GET", v2+"/servers/nope", ""); st != 404 || b["itemNotFound"] == nil {
		t.Fatalf("unknown server: %d %v", st, b)
	}
	if st, b, _ := c.do("POST", v2+"/servers/"+id+"/os-volume_attachments", `{"volumeAttachment":{"volumeId":"nope"}}`); st != 404 || b["itemNotFound"] == nil {
		t.Fatalf("attach unknown volume: %d %v", st, b)
	}
	// A non-U2 server needs block_device_mapping_v2.
	st, body, _ = c.do("POST", v2+"/servers", fmt.Sprintf(`{"server":{"name":"b","imageRef":%q,"flavorRef":%q,"networks":[{"subnet":%q}],"key_name":%q}}`,
		ImageUbuntu, FlavorM2C1M2, SubnetVPC2, KeyPairName))
	if st != 400 || body["badRequest"] == nil {
		t.Fatalf("create without bdm: %d %v", st, body)
	}
}

func TestMarkerPagingWithServersLinks(t *testing.T) {
	srv := NewServer(Options{SeedInstances: true})
	defer srv.Close()
	c := login(t, srv)
	var ids []string
	path := v2 + "/servers/detail?limit=2"
	for path != "" {
		st, body, _ := c.do("GET", path, "")
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		for _, s := range body["servers"].([]any) {
			ids = append(ids, s.(map[string]any)["id"].(string))
		}
		path = ""
		if links, ok := body["servers_links"].([]any); ok {
			href := links[0].(map[string]any)["href"].(string)
			path = strings.TrimPrefix(href, srv.URL)
		}
	}
	want := []string{InstanceBatch, InstanceDBMaster, InstanceWebServer} // newest first
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("paged %v, want %v", ids, want)
	}
	if st, body, _ := c.do("GET", v2+"/servers/detail?marker=nope", ""); st != 400 || body["badRequest"] == nil {
		t.Fatalf("unknown marker: %d %v", st, body)
	}
}

func TestKeyPairs(t *testing.T) {
	srv := NewServer(Options{})
	defer srv.Close()
	c := login(t, srv)
	st, body, _ := c.do("POST", v2+"/os-keypairs", `{"keypair":{"name":"k1"}}`)
	kp := body["keypair"].(map[string]any)
	if st != 200 || !strings.Contains(kp["private_key"].(string), "PRIVATE KEY") || fingerprint(kp["public_key"].(string)) != kp["fingerprint"] {
		t.Fatalf("generate: %d %v", st, body)
	}
	if st, b, _ := c.do("POST", v2+"/os-keypairs", `{"keypair":{"name":"k1","public_key":"`+KeyPairPublicKey+`"}}`); st != 409 || b["conflictingRequest"] == nil {
		t.Fatalf("duplicate: %d %v", st, b)
	}
	if st, _, _ := c.do("POST", v2+"/os-keypairs", `{"keypair":{"name":"k2","public_key":"ssh-rsa garbage"}}`); st != 400 {
		t.Fatalf("bad public key: %d", st)
	}
	if st, _, _ := c.do("DELETE", v2+"/os-keypairs/k1", ""); st != 202 {
		t.Fatalf("delete: %d", st)
	}
	if st, _, _ := c.do("GET", v2+"/os-keypairs/k1", ""); st != 404 {
		t.Fatalf("get deleted: %d", st)
	}
}

func TestQuotaOverLimit(t *testing.T) {
	srv := NewServer(Options{InstanceQuota: 2})
	defer srv.Close()
	c := login(t, srv)
	st, body, _ := c.do("POST", v2+"/servers", fmt.Sprintf(`{"server":{"name":"q","imageRef":%q,"flavorRef":%q,"networks":[{"uuid":%q}],"key_name":%q,"min_count":3,"max_count":3}}`,
		ImageUbuntu, FlavorU2C1M2, NetworkVPC2, KeyPairName))
	if st != 413 || body["overLimit"] == nil {
		t.Fatalf("over quota: %d %v", st, body)
	}
}

// TestLimitsCountCharacters: the guide's 255 limits on names and metadata
// are characters (Nova counts characters), not UTF-8 bytes.
func TestLimitsCountCharacters(t *testing.T) {
	srv := NewServer(Options{})
	defer srv.Close()
	c := login(t, srv)
	create := func(name, mdKey, mdValue string) int {
		st, _, _ := c.do("POST", v2+"/servers", fmt.Sprintf(`{"server":{"name":%q,"imageRef":%q,"flavorRef":%q,"networks":[{"uuid":%q}],"key_name":%q,"metadata":{%q:%q}}}`,
			name, ImageUbuntu, FlavorU2C1M2, NetworkVPC2, KeyPairName, mdKey, mdValue))
		return st
	}
	long := strings.Repeat("가", 255) // 765 bytes
	if st := create(long, long, long); st != 202 {
		t.Fatalf("255-character name and metadata: %d, want 202", st)
	}
	for what, args := range map[string][3]string{
		"name":           {long + "a", "k", "v"},
		"metadata key":   {"n", long + "a", "v"},
		"metadata value": {"n", "k", long + "a"},
	} {
		if st := create(args[0], args[1], args[2]); st != 400 {
			t.Errorf("256-character %s: %d, want 400", what, st)
		}
	}
}

// TestMarkerOfDeletedServer: like Nova, a marker naming a server deleted
// since the previous page still pages on; an ID never seen is 400.
func TestMarkerOfDeletedServer(t *testing.T) {
	srv := NewServer(Options{SeedInstances: true})
	defer srv.Close()
	c := login(t, srv)
	if st, _, _ := c.do("DELETE", v2+"/servers/"+InstanceDBMaster, ""); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if _, _, ok := srv.ServerStatus(InstanceDBMaster); ok {
		t.Fatal("server still there after a zero DeleteDelay")
	}
	st, body, _ := c.do("GET", v2+"/servers/detail?limit=5&marker="+InstanceDBMaster, "")
	if st != 200 {
		t.Fatalf("marker of a deleted server: %d %v", st, body)
	}
	list := body["servers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != InstanceWebServer {
		t.Errorf("after the deleted marker: %v, want only Web-Server (older)", list)
	}
}

// TestChangesSinceListsDeletedServers: as in Nova, a list with
// changes-since includes servers deleted since, as DELETED with
// OS-SRV-USG:terminated_at in the guide's "YYYY-MM-DDThh:mm:ssZ" format; a
// plain list and Get Instance do not show them.
func TestChangesSinceListsDeletedServers(t *testing.T) {
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := NewServer(Options{SeedInstances: true, Now: clk.Now})
	defer srv.Close()
	c := login(t, srv)
	clk.Add(time.Minute)
	if st, _, _ := c.do("DELETE", v2+"/servers/"+InstanceBatch, ""); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	find := func(path string) map[string]any {
		st, body, _ := c.do("GET", path, "")
		if st != 200 {
			t.Fatalf("%s: %d %v", path, st, body)
		}
		for _, s := range body["servers"].([]any) {
			if m := s.(map[string]any); m["id"] == InstanceBatch {
				return m
			}
		}
		return nil
	}
	if find(v2+"/servers/detail") != nil {
		t.Error("plain list shows the deleted server")
	}
	d := find(v2 + "/servers/detail?changes-since=2026-01-01T00:00:30")
	if d == nil {
		t.Fatal("changes-since list lacks the deleted server")
	}
	if d["status"] != "DELETED" || d["OS-SRV-USG:terminated_at"] != "2026-01-01T00:01:00Z" || d["OS-EXT-STS:task_state"] != nil {
		t.Errorf("deleted server = status %v terminated_at %v task_state %v", d["status"], d["OS-SRV-USG:terminated_at"], d["OS-EXT-STS:task_state"])
	}
	if find(v2+"/servers/detail?changes-since=2026-01-01T00:02:00") != nil {
		t.Error("a server deleted before changes-since is listed")
	}
	if st, _, _ := c.do("GET", v2+"/servers/"+InstanceBatch, ""); st != 404 {
		t.Errorf("get deleted server: %d, want 404", st)
	}
}

func TestMaxLimitCapsPages(t *testing.T) {
	srv := NewServer(Options{SeedInstances: true, MaxLimit: 2})
	defer srv.Close()
	c := login(t, srv)
	for _, q := range []string{"", "?limit=50"} {
		st, body, _ := c.do("GET", v2+"/servers/detail"+q, "")
		if st != 200 {
			t.Fatalf("%s: %d", q, st)
		}
		if n := len(body["servers"].([]any)); n != 2 {
			t.Errorf("%q: page of %d servers, want the cap of 2", q, n)
		}
		links, _ := body["servers_links"].([]any)
		if len(links) != 1 || !strings.Contains(links[0].(map[string]any)["href"].(string), "limit=2") {
			t.Errorf("%q: next link %v, want one with limit=2", q, links)
		}
	}
}
