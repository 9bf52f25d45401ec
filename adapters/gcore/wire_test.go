package gcore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/wiretest"
)

// These tests pin every request the adapter sends against gcore.md: the
// method, the path under the endpoint, the query, the "Authorization:
// APIKey …" header and the JSON body; and that gcore.md's answers parse into
// the right driver values.

const (
	stubKey    = "k3y-Secret-0123456789abcdef"
	stubScope  = "/cloud/v1/instances/111/76"
	instanceID = "a1b2c3d4-0000-4000-8000-000000000001"
	taskID     = "f00dcafe-0000-4000-8000-0000000000t1"
)

type recorded = wiretest.Request

type reply struct {
	status int
	body   string
	header map[string]string
}

// stub is a Gcore endpoint that answers each "METHOD /path" with the
// queued replies (the last one repeats) and records every request.
type stub struct{ srv *wiretest.Server }

func newStub(t *testing.T) *stub {
	t.Helper()
	s := &stub{srv: wiretest.NewServer(t)}
	s.srv.Fallback = func(w http.ResponseWriter, r *http.Request) {
		wiretest.Reply{Status: 404, Body: `{"exception_class": "NotFoundError", "message": "no stub for ` + r.Method + " " + r.URL.Path + `"}`}.Write(w)
	}
	return s
}

// on queues replies for method and path (path under /cloud).
func (s *stub) on(method, path string, replies ...reply) {
	for _, r := range replies {
		s.srv.On(method, "/cloud"+path, wiretest.Reply{Status: r.status, Body: r.body, Header: r.header})
	}
}

func ok(body string) reply { return reply{status: 200, body: body} }

func (s *stub) adapter(t *testing.T, mod ...func(*gcore.Config)) *gcore.Adapter {
	t.Helper()
	return wiretest.Open(t, gcore.New, gcore.Config{Name: "wire", Endpoint: s.srv.URL + "/cloud/", ProjectID: 111, RegionID: 76, APIKey: stubKey,
		Zones: []string{"lux-1"}, PollInterval: time.Millisecond, MaxPollInterval: 4 * time.Millisecond}, mod...)
}

func (s *stub) recorded() []recorded { return s.srv.Requests() }

// want is one expected request.
type want struct {
	method, path string
	query        url.Values
	body         string // JSON; "" for no body
}

// wantCalls checks the exact sequence of requests.
func (s *stub) wantCalls(t *testing.T, wants ...want) {
	t.Helper()
	calls := s.recorded()
	if len(calls) != len(wants) {
		var got []string
		for _, c := range calls {
			got = append(got, c.Method+" "+c.Path+"?"+c.RawQuery)
		}
		t.Fatalf("%d requests, want %d: %v", len(calls), len(wants), got)
	}
	for i, w := range wants {
		h := map[string]string{"Authorization": "APIKey " + stubKey, "Accept": "application/json"}
		if w.body != "" {
			h["Content-Type"] = "application/json"
		}
		wiretest.Check(t, fmt.Sprintf("request %d (%s %s)", i, w.method, w.path), calls[i],
			wiretest.Want{Method: w.method, Path: "/cloud" + w.path, Query: w.query, Header: h, Body: w.body})
	}
}

// instanceJSON is gcore.md's Instance, with a running stop task.
const instanceJSON = `{
  "id": "` + instanceID + `", "name": "web-1", "status": "ACTIVE", "vm_state": "active",
  "task_state": "powering-off", "task_id": "` + taskID + `",
  "created_at": "2026-11-30T10:00:00",
  "flavor": {"flavor_id": "g1-standard-1-2", "flavor_name": "g1-standard-1-2", "vcpus": 1, "ram": 2048},
  "addresses": {"private-net": [{"addr": "10.0.0.5", "type": "fixed"}, {"addr": "203.0.113.9", "type": "floating"}]},
  "security_groups": [{"name": "default"}, {"name": "web"}],
  "metadata": {"image_id": "IMG", "team": "web"},
  "volumes": [{"id": "VOL-1", "delete_on_termination": true}],
  "keypair_name": "my-key", "region": "Luxembourg", "region_id": 76, "project_id": 111
}`

func TestGetInstanceWire(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76/"+instanceID, ok(instanceJSON))
	in, err := s.adapter(t).GetInstance(context.Background(), instanceID)
	if err != nil {
		t.Fatal(err)
	}
	s.wantCalls(t, want{method: "GET", path: "/v1/instances/111/76/" + instanceID})
	wantIn := &driver.Instance{
		ID: instanceID, Name: "web-1", State: driver.StateStopping, VendorStatus: "ACTIVE", TaskState: "powering-off",
		FlavorID:      "g1-standard-1-2",
		FlavorDetails: &driver.Flavor{ID: "g1-standard-1-2", Name: "g1-standard-1-2", VCPUs: 1, RAMMB: 2048},
		ImageID:       "IMG", Zone: "lux-1", KeyName: "my-key",
		Addresses: []driver.Address{
			{Network: "private-net", IP: "10.0.0.5", Version: 4, Type: driver.AddressFixed},
			{Network: "private-net", IP: "203.0.113.9", Version: 4, Type: driver.AddressFloating},
		},
		SecurityGroups: []string{"default", "web"},
		VolumeIDs:      []string{"VOL-1"},
		Metadata:       map[string]string{"image_id": "IMG", "team": "web"},
		Created:        time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
	}
	if !reflect.DeepEqual(in, wantIn) {
		t.Errorf("instance\n  %+v\nwant\n  %+v", in, wantIn)
	}
	if in.Created.Location() != time.UTC {
		t.Errorf("created_at without a zone must read as UTC, got %v", in.Created.Location())
	}
}

// TestOlderSpellings: instance_id, instance_name and instance_created are
// read like id, name and created_at; a zone in a time is honoured.
func TestOlderSpellings(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76/"+instanceID, ok(`{"instance_id": "`+instanceID+`", "instance_name": "old-style",
		"status": "SHUTOFF", "task_state": null, "task_id": null, "instance_created": "2026-11-30T12:00:00+02:00",
		"flavor": {"flavor_id": "g1-standard-2-4"}, "addresses": {}, "metadata": {}}`))
	in, err := s.adapter(t).GetInstance(context.Background(), instanceID)
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != instanceID || in.Name != "old-style" || in.State != driver.StateStopped || in.TaskState != "" {
		t.Errorf("got %+v", in)
	}
	if want := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC); !in.Created.Equal(want) || in.Created.Location() != time.UTC {
		t.Errorf("instance_created %v, want %v in UTC", in.Created, want)
	}
}

// TestRunningTaskShows: a task holding the instance shows in TaskState
// even when Gcore gives no Nova task_state.
func TestRunningTaskShows(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76/"+instanceID, ok(`{"id": "`+instanceID+`", "name": "x", "status": "ACTIVE",
		"task_state": null, "task_id": "`+taskID+`", "flavor": {"flavor_id": "f"}}`))
	in, err := s.adapter(t).GetInstance(context.Background(), instanceID)
	if err != nil {
		t.Fatal(err)
	}
	if in.TaskState != "task "+taskID || in.State != driver.StateRunning {
		t.Errorf("task state %q, state %v", in.TaskState, in.State)
	}
}

func listAnswer(count int, ids ...string) string {
	var rows []string
	for _, id := range ids {
		rows = append(rows, `{"id": "`+id+`", "name": "n-`+id+`", "status": "ACTIVE", "flavor": {"flavor_id": "f"}}`)
	}
	b, _ := json.Marshal(count)
	return `{"count": ` + string(b) + `, "results": [` + strings.Join(rows, ",") + `]}`
}

func ids(p *driver.InstancePage) []string {
	var out []string
	for _, in := range p.Instances {
		out = append(out, in.ID)
	}
	return out
}

func TestListInstancesWire(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76", ok(listAnswer(5, "i1", "i2")), ok(listAnswer(5, "i2", "i3", "i4")))
	a := s.adapter(t)
	ctx := context.Background()
	filter := driver.InstanceFilter{Name: "web-1", State: driver.StateError, FlavorID: "g1-standard-1-2",
		ChangesSince: time.Date(2026, 11, 30, 11, 0, 0, 0, time.FixedZone("CET", 3600)), ImageID: "not-pushed", Zone: "not-pushed"}
	p1, err := a.ListInstances(ctx, driver.ListInstancesOptions{Filter: filter, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p1); !reflect.DeepEqual(got, []string{"i1", "i2"}) || !p1.More {
		t.Errorf("page 1: %v more=%v", got, p1.More)
	}
	// The next page: one call, from the row before it (the marker, checked).
	p2, err := a.ListInstances(ctx, driver.ListInstancesOptions{Filter: filter, PageSize: 2, Marker: "i2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p2); !reflect.DeepEqual(got, []string{"i3", "i4"}) || !p2.More {
		t.Errorf("page 2: %v more=%v", got, p2.More)
	}
	pushed := url.Values{"name": {"web-1"}, "status": {"ERROR"}, "flavor_id": {"g1-standard-1-2"},
		"changes-since": {"2026-11-30T10:00:00Z"}}
	q := func(limit, offset string) url.Values {
		v := url.Values{"limit": {limit}, "offset": {offset}}
		for k, x := range pushed {
			v[k] = x
		}
		return v
	}
	s.wantCalls(t,
		want{method: "GET", path: "/v1/instances/111/76", query: q("2", "0")},
		want{method: "GET", path: "/v1/instances/111/76", query: q("3", "1")},
	)
}

// TestListFiltersNotPushed: a display name with regular-expression
// characters (Gcore's name filter is a MySQL regular expression) and states
// several statuses mean are not pushed down.
func TestListFiltersNotPushed(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76", ok(listAnswer(0)))
	_, err := s.adapter(t).ListInstances(context.Background(), driver.ListInstancesOptions{
		Filter: driver.InstanceFilter{Name: "web.1 (a)", State: driver.StateRunning}, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.wantCalls(t, want{method: "GET", path: "/v1/instances/111/76", query: url.Values{"limit": {"1000"}, "offset": {"0"}}})
}

// TestListWithoutCount: an answer without "count" has more after it only
// when the page is full.
func TestListWithoutCount(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76", ok(`{"results": [{"id": "i1", "status": "ACTIVE"}, {"id": "i2", "status": "ACTIVE"}]}`),
		ok(`{"results": [{"id": "i3", "status": "ACTIVE"}]}`))
	a := s.adapter(t)
	p, err := a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2})
	if err != nil || !p.More || len(p.Instances) != 2 {
		t.Fatalf("full page: %+v %v", p, err)
	}
	// The stub now answers [i3] to everything: the hinted read (i2 is not
	// first), the scan (no i2) and the resume at i2's old place, a short
	// page without a count, so nothing follows it.
	p, err = a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2, Marker: "i2"})
	if err != nil || p.More || len(p.Instances) != 1 || p.Instances[0].ID != "i3" {
		t.Errorf("short page without count: %+v %v", p, err)
	}
}

// TestListMarkerWithoutHint: a marker this process never listed is found by
// reading from the start; a vanished one is INVALID_ARGUMENT.
func TestListMarkerWithoutHint(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76", ok(listAnswer(4, "i1", "i2", "i3", "i4")), ok(listAnswer(4, "i3", "i4")),
		ok(listAnswer(4, "i1", "i2", "i3", "i4")))
	a := s.adapter(t)
	p, err := a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2, Marker: "i2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p); !reflect.DeepEqual(got, []string{"i3", "i4"}) || p.More {
		t.Errorf("page: %v more=%v", got, p.More)
	}
	_, err = a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2, Marker: "gone"})
	if driver.CodeOf(err) != driver.CodeInvalidArgument {
		t.Errorf("vanished unknown marker: %v", err)
	}
	s.wantCalls(t,
		want{method: "GET", path: "/v1/instances/111/76", query: url.Values{"limit": {"1000"}, "offset": {"0"}}},
		want{method: "GET", path: "/v1/instances/111/76", query: url.Values{"limit": {"2"}, "offset": {"2"}}},
		want{method: "GET", path: "/v1/instances/111/76", query: url.Values{"limit": {"1000"}, "offset": {"0"}}},
	)
}

// TestListMarkerDeleted: a marker deleted after it was listed resumes where
// it was (its successor moved into its place), without repeats.
func TestListMarkerDeleted(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76",
		ok(listAnswer(4, "i1", "i2")),       // page 1
		ok(listAnswer(3, "i3", "i4")),       // hinted read at offset 1: i2 is gone
		ok(listAnswer(3, "i1", "i3", "i4")), // scan: not found
		ok(listAnswer(3, "i3", "i4")))       // resume at offset 1
	a := s.adapter(t)
	if _, err := a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2}); err != nil {
		t.Fatal(err)
	}
	p, err := a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2, Marker: "i2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p); !reflect.DeepEqual(got, []string{"i3", "i4"}) || p.More {
		t.Errorf("page after a deleted marker: %v more=%v", got, p.More)
	}
	calls := s.recorded()
	if len(calls) != 4 || calls[3].RawQuery != "limit=2&offset=1" {
		t.Errorf("calls %+v", calls)
	}
}

const taskRunningJSON = `{"id": "` + taskID + `", "task_type": "create_vm", "state": "RUNNING",
  "created_on": "2026-11-30T10:00:00", "updated_on": "2026-11-30T10:00:01", "finished_on": null,
  "error": null, "created_resources": null, "request_id": "r", "project_id": 111, "region_id": 76}`

const taskFinishedJSON = `{"id": "` + taskID + `", "task_type": "create_vm", "state": "FINISHED",
  "created_on": "2026-11-30T10:00:00", "updated_on": "2026-11-30T10:00:20", "finished_on": "2026-11-30T10:00:20",
  "error": null, "created_resources": {"instances": ["` + instanceID + `"], "volumes": ["VOL-1"]},
  "request_id": "r", "project_id": 111, "region_id": 76}`

func TestCreateInstanceWire(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/subnets/111/76/SUB", ok(`{"id": "SUB", "network_id": "NET2", "cidr": "10.1.0.0/24"}`))
	s.on("GET", "/v1/securitygroups/111/76", ok(`{"count": 2, "results": [{"id": "SG-1", "name": "default"}, {"id": "SG-2", "name": "web"}]}`))
	s.on("POST", "/v2/instances/111/76", ok(`{"tasks": ["`+taskID+`"]}`))
	s.on("GET", "/v1/tasks/"+taskID, ok(strings.Replace(taskRunningJSON, "RUNNING", "NEW", 1)), ok(taskRunningJSON), ok(taskFinishedJSON))
	s.on("GET", "/v1/instances/111/76/"+instanceID, ok(strings.NewReplacer(`"powering-off"`, "null", `"`+taskID+`"`, "null").Replace(instanceJSON)))
	in, err := s.adapter(t).CreateInstance(context.Background(), &driver.CreateInstanceRequest{
		Name: "web-1", FlavorID: "g1-standard-1-2", ImageID: "IMG", KeyName: "my-key",
		Networks:       []driver.NetworkSpec{{NetworkID: "NET"}, {SubnetID: "SUB"}, {PortID: "PORT"}},
		BootVolume:     &driver.BootVolumeSpec{SizeGB: 20, Type: "standard", DeleteOnTermination: true},
		SecurityGroups: []string{"web", "SG-1"}, UserData: []byte("#cloud-config\n"),
		Metadata: map[string]string{"k": "v"}, RequestID: "req-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != instanceID || in.State != driver.StateRunning || in.Name != "web-1" {
		t.Errorf("created instance %+v", in)
	}
	s.wantCalls(t,
		want{method: "GET", path: "/v1/subnets/111/76/SUB"},
		want{method: "GET", path: "/v1/securitygroups/111/76"},
		want{method: "POST", path: "/v2/instances/111/76", body: `{"name": "web-1", "flavor": "g1-standard-1-2",
			"interfaces": [{"type": "any_subnet", "network_id": "NET"},
			               {"type": "subnet", "network_id": "NET2", "subnet_id": "SUB"},
			               {"type": "reserved_fixed_ip", "port_id": "PORT"}],
			"volumes": [{"source": "image", "image_id": "IMG", "size": 20, "boot_index": 0,
			             "type_name": "standard", "delete_on_termination": true}],
			"ssh_key_name": "my-key", "security_groups": [{"id": "SG-2"}, {"id": "SG-1"}],
			"user_data": "I2Nsb3VkLWNvbmZpZwo=", "metadata": {"k": "v"}}`},
		want{method: "GET", path: "/v1/tasks/" + taskID},
		want{method: "GET", path: "/v1/tasks/" + taskID},
		want{method: "GET", path: "/v1/tasks/" + taskID},
		want{method: "GET", path: "/v1/instances/111/76/" + instanceID},
	)
}

// TestCreateMinimalWire: no networks is Gcore's external interface; no
// type leaves type_name out; no key, groups, user data or metadata sends
// none.
func TestCreateMinimalWire(t *testing.T) {
	s := newStub(t)
	s.on("POST", "/v2/instances/111/76", ok(`{"tasks": ["`+taskID+`"]}`))
	s.on("GET", "/v1/tasks/"+taskID, ok(taskFinishedJSON))
	s.on("GET", "/v1/instances/111/76/"+instanceID, ok(instanceJSON))
	_, err := s.adapter(t).CreateInstance(context.Background(), &driver.CreateInstanceRequest{
		Name: "min", FlavorID: "F", ImageID: "IMG", Zone: "lux-1", BootVolume: &driver.BootVolumeSpec{SizeGB: 10}})
	if err != nil {
		t.Fatal(err)
	}
	s.wantCalls(t,
		want{method: "POST", path: "/v2/instances/111/76", body: `{"name": "min", "flavor": "F",
			"interfaces": [{"type": "external"}],
			"volumes": [{"source": "image", "image_id": "IMG", "size": 10, "boot_index": 0, "delete_on_termination": false}]}`},
		want{method: "GET", path: "/v1/tasks/" + taskID},
		want{method: "GET", path: "/v1/instances/111/76/" + instanceID},
	)
}

// TestCreateValidation: what Gcore requires is checked before any call.
func TestCreateValidation(t *testing.T) {
	s := newStub(t)
	a := s.adapter(t)
	base := func() *driver.CreateInstanceRequest {
		return &driver.CreateInstanceRequest{Name: "x", FlavorID: "F", ImageID: "I", BootVolume: &driver.BootVolumeSpec{SizeGB: 10}}
	}
	cases := []struct {
		name  string
		mod   func(*driver.CreateInstanceRequest)
		field string
	}{
		{"no boot volume", func(r *driver.CreateInstanceRequest) { r.BootVolume = nil }, "instance.boot_volume.size_gb"},
		{"boot volume without size", func(r *driver.CreateInstanceRequest) { r.BootVolume = &driver.BootVolumeSpec{Type: "ssd_hiiops"} }, "instance.boot_volume.size_gb"},
		{"fixed ip", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "N", FixedIP: "10.0.0.5"}}
		}, "instance.networks[0].fixed_ip"},
		{"foreign zone", func(r *driver.CreateInstanceRequest) { r.Zone = "kr-pub-a" }, "instance.zone"},
	}
	for _, c := range cases {
		r := base()
		c.mod(r)
		_, err := a.CreateInstance(context.Background(), r)
		var de *driver.Error
		if !errorsAs(err, &de) || de.Code != driver.CodeInvalidArgument || len(de.Violations) == 0 || de.Violations[0].Field != c.field {
			t.Errorf("%s: %v, want INVALID_ARGUMENT naming %s", c.name, err, c.field)
		}
	}
	if n := len(s.recorded()); n != 0 {
		t.Errorf("%d backend calls for invalid creates, want 0", n)
	}
	// A subnet or security group Gcore does not have names the field.
	s.on("GET", "/v1/subnets/111/76/NOPE", reply{status: 404, body: `{"exception_class": "NotFoundError", "message": "Subnet NOPE not found"}`})
	r := base()
	r.Networks = []driver.NetworkSpec{{SubnetID: "NOPE"}}
	_, err := a.CreateInstance(context.Background(), r)
	if de := asDriver(err); de == nil || de.Code != driver.CodeInvalidArgument || de.Violations[0].Field != "instance.networks[0].subnet" {
		t.Errorf("unknown subnet: %v", err)
	}
	s.on("GET", "/v1/securitygroups/111/76", ok(`{"count": 1, "results": [{"id": "SG-1", "name": "default"}]}`))
	r = base()
	r.SecurityGroups = []string{"default", "nope"}
	_, err = a.CreateInstance(context.Background(), r)
	if de := asDriver(err); de == nil || de.Code != driver.CodeInvalidArgument || de.Violations[0].Field != "instance.security_groups[1]" {
		t.Errorf("unknown security group: %v", err)
	}
	for _, c := range s.recorded() {
		if c.Method == "POST" {
			t.Errorf("a create was sent: %s %s", c.Method, c.Path)
		}
	}
}

func TestWritesWire(t *testing.T) {
	tasks := ok(`{"tasks": ["` + taskID + `"]}`)
	id := instanceID
	cases := []struct {
		name   string
		call   func(a *gcore.Adapter) error
		method string
		path   string
		body   string
		answer reply
	}{
		{"delete", func(a *gcore.Adapter) error { return a.DeleteInstance(context.Background(), id) },
			"DELETE", "/v1/instances/111/76/" + id, "", tasks},
		{"start", func(a *gcore.Adapter) error { return a.StartInstance(context.Background(), id) },
			"POST", "/v2/instances/111/76/" + id + "/action", `{"action": "start"}`, tasks},
		{"stop", func(a *gcore.Adapter) error { return a.StopInstance(context.Background(), id) },
			"POST", "/v2/instances/111/76/" + id + "/action", `{"action": "stop"}`, tasks},
		{"reboot soft", func(a *gcore.Adapter) error { return a.RebootInstance(context.Background(), id, false) },
			"POST", "/v2/instances/111/76/" + id + "/action", `{"action": "reboot"}`, tasks},
		{"reboot hard", func(a *gcore.Adapter) error { return a.RebootInstance(context.Background(), id, true) },
			"POST", "/v2/instances/111/76/" + id + "/action", `{"action": "reboot_hard"}`, tasks},
		{"resize", func(a *gcore.Adapter) error { return a.ResizeInstance(context.Background(), id, "g1-standard-2-4") },
			"POST", "/v1/instances/111/76/" + id + "/changeflavor", `{"flavor_id": "g1-standard-2-4"}`, tasks},
		{"add security group", func(a *gcore.Adapter) error { return a.AddSecurityGroup(context.Background(), id, "web") },
			"POST", "/v1/instances/111/76/" + id + "/addsecuritygroup", `{"name": "web"}`, reply{status: 204}},
		{"remove security group", func(a *gcore.Adapter) error { return a.RemoveSecurityGroup(context.Background(), id, "web") },
			"POST", "/v1/instances/111/76/" + id + "/delsecuritygroup", `{"name": "web"}`, reply{status: 204}},
		{"rename", func(a *gcore.Adapter) error {
			in, err := a.RenameInstance(context.Background(), id, "web-2")
			if err == nil && in.ID != id {
				t.Errorf("renamed instance %+v", in)
			}
			return err
		}, "PATCH", "/v1/instances/111/76/" + id, `{"name": "web-2"}`, ok(instanceJSON)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStub(t)
			s.on(c.method, strings.TrimPrefix(c.path, ""), c.answer)
			if err := c.call(s.adapter(t)); err != nil {
				t.Fatal(err)
			}
			// Writes return once accepted: no task poll.
			s.wantCalls(t, want{method: c.method, path: c.path, body: c.body})
		})
	}
}

func TestFlavorsWire(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/flavors/111/76", ok(`{"count": 3, "results": [
		{"flavor_id": "g1-standard-1-2", "flavor_name": "g1-standard-1-2", "vcpus": 1, "ram": 2048, "disabled": false},
		{"flavor_id": "g1-standard-2-4", "flavor_name": "g1-standard-2-4", "vcpus": 2, "ram": 4096, "disk": 40, "disabled": false},
		{"flavor_id": "g1-gpu", "flavor_name": "g1-gpu", "vcpus": 8, "ram": 65536, "disabled": true}]}`))
	a := s.adapter(t)
	fl, err := a.ListFlavors(context.Background(), driver.FlavorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantFl := []driver.Flavor{
		{ID: "g1-standard-1-2", Name: "g1-standard-1-2", VCPUs: 1, RAMMB: 2048, IsPublic: true},
		{ID: "g1-standard-2-4", Name: "g1-standard-2-4", VCPUs: 2, RAMMB: 4096, DiskGB: 40, IsPublic: true},
	}
	if !reflect.DeepEqual(fl, wantFl) {
		t.Errorf("flavors %+v\nwant %+v", fl, wantFl)
	}
	big, err := a.ListFlavors(context.Background(), driver.FlavorFilter{MinRAMMB: 3000})
	if err != nil || len(big) != 1 || big[0].ID != "g1-standard-2-4" {
		t.Errorf("min ram filter: %v %v", big, err)
	}
	f, err := a.GetFlavor(context.Background(), "g1-gpu")
	if err != nil || f.RAMMB != 65536 {
		t.Errorf("GetFlavor(disabled): %v %v", f, err)
	}
	if _, err := a.GetFlavor(context.Background(), "nope"); !driver.IsNotFound(err) {
		t.Errorf("GetFlavor(nope): %v", err)
	}
	for _, c := range s.recorded() {
		if c.Method != "GET" || c.Path != "/cloud/v1/flavors/111/76" || c.Header.Get("Authorization") != "APIKey "+stubKey {
			t.Errorf("flavor call %s %s", c.Method, c.Path)
		}
	}
}

// TestZonesFromConfig: zones are the configured ones, with no call.
func TestZonesFromConfig(t *testing.T) {
	s := newStub(t)
	z, err := s.adapter(t, func(c *gcore.Config) { c.Zones = []string{"a", "b"} }).ListZones(context.Background())
	if err != nil || len(z) != 2 || z[0].Name != "a" || z[1].Name != "b" {
		t.Errorf("zones %v %v", z, err)
	}
	if n := len(s.recorded()); n != 0 {
		t.Errorf("%d calls", n)
	}
}

// TestUnsupported: key pairs and volume attachments are not in the
// dialect, so the adapter lacks their interfaces (the portable layer
// answers UNIMPLEMENTED, checked by the conformance suite).
func TestUnsupported(t *testing.T) {
	var a driver.Adapter = newStub(t).adapter(t)
	if _, ok := a.(driver.KeyPairManager); ok {
		t.Error("gcore adapter implements KeyPairManager")
	}
	if _, ok := a.(driver.VolumeAttacher); ok {
		t.Error("gcore adapter implements VolumeAttacher")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := gcore.Config{Name: "c", ProjectID: 1, RegionID: 2, APIKey: "secret-key-value"}
	for name, mod := range map[string]func(*gcore.Config){
		"no project": func(c *gcore.Config) { c.ProjectID = 0 },
		"no region":  func(c *gcore.Config) { c.RegionID = -1 },
		"no key":     func(c *gcore.Config) { c.APIKey = " " },
		"key with newline": func(c *gcore.Config) {
			c.APIKey = "secret-key-value\n"
		},
		"bad endpoint": func(c *gcore.Config) { c.Endpoint = "ftp://x" },
		"query":        func(c *gcore.Config) { c.Endpoint = "https://api.gcore.com/cloud?x=1" },
	} {
		c := good
		mod(&c)
		_, err := gcore.New(c)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "secret-key-value") {
			t.Errorf("%s: error shows the key: %v", name, err)
		}
	}
	a, err := gcore.New(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.Dialect() != gcore.Name {
		t.Errorf("dialect %q", a.Dialect())
	}
}

// TestKeyNeverLogged: the key reaches neither the debug log nor errors,
// even when the vendor echoes it.
func TestKeyNeverLogged(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76/"+instanceID, reply{status: 400,
		body: `{"exception_class": "ValidationError", "message": "bad header APIKey ` + stubKey + `"}`})
	var logs bytes.Buffer
	a := s.adapter(t, func(c *gcore.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := a.GetInstance(context.Background(), instanceID)
	if err == nil {
		t.Fatal("no error")
	}
	de := asDriver(err)
	for what, text := range map[string]string{"error": err.Error(), "vendor message": de.VendorMessage, "log": logs.String()} {
		if strings.Contains(text, stubKey) {
			t.Errorf("%s shows the API key: %s", what, text)
		}
	}
	if !strings.Contains(logs.String(), "/v1/instances/111/76/") {
		t.Errorf("debug log lacks the call: %s", logs.String())
	}
	// A transport failure too.
	s.srv.Close()
	_, err = a.GetInstance(context.Background(), instanceID)
	if err == nil || strings.Contains(err.Error(), stubKey) || strings.Contains(logs.String(), stubKey) {
		t.Errorf("transport failure: %v", err)
	}
}
