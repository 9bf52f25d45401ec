package fake_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

// These tests pin the fake to gcore.md, independently of the adapter.

type client struct {
	t   *testing.T
	url string
	key string
}

func newClient(t *testing.T, opt fake.Options) (*client, *fake.Server) {
	t.Helper()
	s := fake.NewHandler(opt)
	h := httptest.NewServer(s)
	t.Cleanup(h.Close)
	return &client{t: t, url: h.URL + fake.PathPrefix, key: fake.DemoAPIKey}, s
}

// do sends one request and decodes the JSON answer (nil for none).
func (c *client) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	auth := ""
	if c.key != "" {
		auth = "APIKey " + c.key
	}
	st, _, raw := wiretest.Call(c.t, method, c.url+path, "", body, map[string]string{"Authorization": auth})
	return st, wiretest.Object(c.t, method+" "+path, raw)
}

const scope = "/111/76"

func TestAuth(t *testing.T) {
	c, _ := newClient(t, fake.Options{})
	for _, key := range []string{"", "wrong"} {
		c.key = key
		st, m := c.do("GET", "/v1/flavors"+scope, "")
		if st != 401 || m["message"] == "" || m["exception_class"] != nil {
			t.Errorf("key %q: %d %v", key, st, m)
		}
	}
	c.key = fake.DemoAPIKey
	if st, _ := c.do("GET", "/v1/flavors"+scope, ""); st != 200 {
		t.Errorf("right key: %d", st)
	}
	// Token-style auth is not Gcore's.
	req, _ := http.NewRequest("GET", c.url+"/v1/flavors"+scope, nil)
	req.Header.Set("Authorization", "Bearer "+fake.DemoAPIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("Bearer: %d", res.StatusCode)
	}
}

func TestScope(t *testing.T) {
	c, _ := newClient(t, fake.Options{})
	if st, m := c.do("GET", "/v1/instances/abc/76", ""); st != 400 || m["exception_class"] != "ValidationError" {
		t.Errorf("non-integer project: %d %v", st, m)
	}
	if st, m := c.do("GET", "/v1/instances/112/76", ""); st != 404 || m["exception_class"] != "NotFoundError" {
		t.Errorf("other project: %d %v", st, m)
	}
}

func TestListPaging(t *testing.T) {
	c, _ := newClient(t, fake.Options{Seed: true})
	st, m := c.do("GET", "/v1/instances"+scope+"?limit=1&offset=1", "")
	if st != 200 || m["count"] != float64(2) {
		t.Fatalf("%d %v", st, m)
	}
	rows := m["results"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["id"] != fake.InstanceDB {
		t.Errorf("page: %v", rows)
	}
	row := rows[0].(map[string]any)
	if created := row["created_at"].(string); strings.ContainsAny(created[10:], "Z+") {
		t.Errorf("created_at %q has a zone; gcore.md prints none", created)
	}
	for _, q := range []string{"limit=1001", "limit=0", "offset=-1", "pagesize=2"} {
		if st, m := c.do("GET", "/v1/instances"+scope+"?"+q, ""); st != 400 || m["exception_class"] != "ValidationError" {
			t.Errorf("%s: %d %v", q, st, m)
		}
	}
	_, m = c.do("GET", "/v1/instances"+scope+"?name=WEB&status=active", "")
	if m["count"] != float64(1) {
		t.Errorf("name (case-insensitive substring) and status filter: %v", m)
	}
	_, m = c.do("GET", "/v1/instances"+scope+"?flavor_id="+fake.FlavorMedium, "")
	if m["count"] != float64(1) {
		t.Errorf("flavor_id filter: %v", m)
	}
}

func TestOldSpellings(t *testing.T) {
	c, _ := newClient(t, fake.Options{Seed: true, OldSpellings: true})
	_, m := c.do("GET", "/v1/instances"+scope+"/"+fake.InstanceWeb, "")
	if m["instance_id"] != fake.InstanceWeb || m["instance_name"] != "web-1" || m["instance_created"] == nil || m["id"] != nil {
		t.Errorf("%v", m)
	}
}

func TestStrictBodies(t *testing.T) {
	c, _ := newClient(t, fake.Options{Seed: true})
	st, m := c.do("POST", "/v2/instances"+scope+"/"+fake.InstanceWeb+"/action", `{"action": "stop", "force": true}`)
	if st != 400 || m["exception_class"] != "ValidationError" {
		t.Errorf("unknown field: %d %v", st, m)
	}
	st, m = c.do("POST", "/v2/instances"+scope, `{"name": "x", "flavor": "`+fake.FlavorSmall+`",
		"interfaces": [{"type": "external"}], "volumes": [{"source": "image", "image_id": "`+fake.ImageUbuntu+`", "boot_index": 0}]}`)
	if st != 400 || m["invalid_fields"] == nil || !strings.Contains(m["message"].(string), "size") {
		t.Errorf("boot volume without size: %d %v", st, m)
	}
	st, _ = c.do("POST", "/v2/instances"+scope, `{"name": "x", "flavor": "`+fake.FlavorSmall+`", "interfaces": [],
		"volumes": [{"source": "image", "image_id": "`+fake.ImageUbuntu+`", "size": 10, "boot_index": 0}]}`)
	if st != 400 {
		t.Errorf("no interface: %d", st)
	}
}

// TestTaskLifecycle: a create task moves NEW → RUNNING → FINISHED on the
// clock; created_resources is filled only when it finishes; the instance
// is locked (409) while it builds.
func TestTaskLifecycle(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	c, s := newClient(t, fake.Options{BuildTime: 20 * time.Second, StartDelay: 2 * time.Second, Now: clock.Now})
	st, m := c.do("POST", "/v2/instances"+scope, `{"name": "web-9", "flavor": "`+fake.FlavorSmall+`",
		"interfaces": [{"type": "any_subnet", "network_id": "`+fake.NetworkPrivate+`"}],
		"volumes": [{"source": "image", "image_id": "`+fake.ImageUbuntu+`", "size": 10, "boot_index": 0, "type_name": "standard", "delete_on_termination": true}],
		"ssh_key_name": "`+fake.KeyPair+`", "security_groups": [{"id": "`+fake.SecurityGroupWebID+`"}], "metadata": {"k": "v"}}`)
	if st != 200 {
		t.Fatalf("create: %d %v", st, m)
	}
	id := m["tasks"].([]any)[0].(string)
	task := func() map[string]any {
		_, m := c.do("GET", "/v1/tasks/"+id, "")
		return m
	}
	if tk := task(); tk["state"] != "NEW" || tk["created_resources"] != nil || tk["task_type"] != "create_vm" {
		t.Errorf("at once: %v", tk)
	}
	clock.Add(3 * time.Second)
	if tk := task(); tk["state"] != "RUNNING" || tk["created_resources"] != nil {
		t.Errorf("running: %v", tk)
	}
	ids := s.InstanceIDs()
	if len(ids) != 1 || s.InstanceStatus(ids[0]) != "BUILD" {
		t.Fatalf("building: %v", ids)
	}
	if st, m := c.do("POST", "/v2/instances"+scope+"/"+ids[0]+"/action", `{"action": "stop"}`); st != 409 || m["exception_class"] != "ConflictError" {
		t.Errorf("write while building: %d %v", st, m)
	}
	clock.Add(20 * time.Second)
	tk := task()
	res, _ := tk["created_resources"].(map[string]any)
	if tk["state"] != "FINISHED" || res == nil || res["instances"].([]any)[0] != ids[0] || tk["finished_on"] == nil {
		t.Errorf("finished: %v", tk)
	}
	_, in := c.do("GET", "/v1/instances"+scope+"/"+ids[0], "")
	if in["status"] != "ACTIVE" || in["vm_state"] != "active" || in["task_id"] != nil || in["keypair_name"] != fake.KeyPair {
		t.Errorf("built: %v", in)
	}
	if st, _ := c.do("POST", "/v1/instances"+scope+"/"+ids[0]+"/delsecuritygroup", `{"name": "web"}`); st != 204 {
		t.Errorf("delsecuritygroup: %d", st)
	}
	if st, m := c.do("GET", "/v1/tasks/nope", ""); st != 404 || m["exception_class"] != "NotFoundError" {
		t.Errorf("unknown task: %d %v", st, m)
	}
}

func TestTaskError(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	c, s := newClient(t, fake.Options{BuildTime: time.Second, Now: clock.Now})
	_, m := c.do("POST", "/v2/instances"+scope, `{"name": "b", "flavor": "`+fake.FlavorSmall+`", "interfaces": [{"type": "external"}],
		"volumes": [{"source": "image", "image_id": "`+fake.ImageBroken+`", "size": 10, "boot_index": 0}]}`)
	id := m["tasks"].([]any)[0].(string)
	clock.Add(2 * time.Second)
	_, tk := c.do("GET", "/v1/tasks/"+id, "")
	if tk["state"] != "ERROR" || tk["error"] != fake.ImageBrokenError || tk["created_resources"] != nil {
		t.Errorf("%v", tk)
	}
	if ids := s.InstanceIDs(); len(ids) != 0 {
		t.Errorf("instances after ERROR: %v", ids)
	}
}

func TestQuota(t *testing.T) {
	c, _ := newClient(t, fake.Options{Seed: true, MaxInstances: 2})
	st, m := c.do("POST", "/v2/instances"+scope, `{"name": "q", "flavor": "`+fake.FlavorSmall+`", "interfaces": [{"type": "external"}],
		"volumes": [{"source": "image", "image_id": "`+fake.ImageUbuntu+`", "size": 10, "boot_index": 0}]}`)
	if st != 403 || m["exception_class"] != "ForbiddenError" {
		t.Errorf("%d %v", st, m)
	}
}

func TestFlavors(t *testing.T) {
	c, _ := newClient(t, fake.Options{})
	_, m := c.do("GET", "/v1/flavors"+scope, "")
	rows := m["results"].([]any)
	if len(rows) != 4 {
		t.Fatalf("%v", rows)
	}
	f := rows[0].(map[string]any)
	if f["flavor_id"] != fake.FlavorSmall || f["ram"] != float64(2048) || f["vcpus"] != float64(1) || f["disk"] != nil {
		t.Errorf("%v", f)
	}
}

// TestListMetadataFilter: metadata_kv keeps only the instances holding
// every pair; a value that is not a JSON object is a ValidationError.
func TestListMetadataFilter(t *testing.T) {
	c, _ := newClient(t, fake.Options{Seed: true})
	for q, want := range map[string]float64{
		`{"role":"web"}`:               1,
		`{"role":"db"}`:                1,
		`{"role":"web","other":"x"}`:   0,
		`{"computegw-request-id":"a"}`: 0,
		`{}`:                           2,
	} {
		code, m := c.do("GET", "/v1/instances"+scope+"?metadata_kv="+url.QueryEscape(q), "")
		if code != 200 || m["count"] != want {
			t.Errorf("metadata_kv=%s: HTTP %d count %v, want %v", q, code, m["count"], want)
		}
	}
	if code, m := c.do("GET", "/v1/instances"+scope+"?metadata_kv=not-json", ""); code != 400 || m["exception_class"] != "ValidationError" {
		t.Errorf("bad metadata_kv: HTTP %d %v", code, m)
	}
}
