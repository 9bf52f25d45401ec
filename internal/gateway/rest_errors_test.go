package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/memory"
)

type restStatus struct {
	Code    int
	Message string
	Details []struct {
		Type            string `json:"@type"`
		Reason          string
		RetryDelay      string // RetryInfo
		FieldViolations []struct{ Field, Description string }
	}
}

func (s restStatus) violation(field string) string {
	for _, d := range s.Details {
		for _, v := range d.FieldViolations {
			if v.Field == field {
				return v.Description
			}
		}
	}
	return ""
}

func (s restStatus) reason() string {
	for _, d := range s.Details {
		if d.Reason != "" {
			return d.Reason
		}
	}
	return ""
}

func do(t *testing.T, method, url, body string) (*http.Response, restStatus) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st restStatus
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &st)
	return res, st
}

// TestRESTDecodingErrorsNameTheField: each decoding error is INVALID_ARGUMENT
// with a BadRequest violation on the request's field path saying what is
// accepted (issue 13 finding 4), and never leaks Go parser internals.
func TestRESTDecodingErrorsNameTheField(t *testing.T) {
	cancel, done, httpAddr, _ := startRun(t, memory.New(memory.Options{Seed: true}), time.Second)
	defer func() { cancel(); <-done }()
	base := "http://" + httpAddr + "/v1/clouds/mem"
	cases := []struct {
		method, path, body, field string
		want                      []string
	}{
		{"POST", "/instances", `{"displayName":"x","flavour":"f"}`, "instance.flavour", []string{`did you mean "flavor"`}},
		{"POST", "/instances", `{"displayName":"x","bootVolume":{"sizeGB":10}}`, "instance.boot_volume.sizeGB", []string{`did you mean "sizeGb"`}},
		{"POST", "/instances", `{"displayName":"x","userData":"not base64!"}`, "instance.user_data", []string{"base64"}},
		{"POST", "/instances", `{"displayName":"x","bootVolume":{"sizeGb":"ten"}}`, "instance.boot_volume.size_gb", []string{"whole number", "ten"}},
		{"POST", "/instances/x:reboot", `{"type":"gentle"}`, "type", []string{"SOFT", "HARD"}},
		{"GET", "/instances?page_size=ten", "", "page_size", []string{"whole number", "ten"}},
		{"GET", "/instances?pageSize=ten", "", "pageSize", []string{"whole number"}},
		{"GET", "/instances?page_sise=2", "", "page_sise", []string{`did you mean "pageSize"`}},
		{"GET", "/instances/x:watch?targetStates=sleeping", "", "target_states", []string{"RUNNING", "STOPPED"}},
	}
	for _, c := range cases {
		res, st := do(t, c.method, base+c.path, c.body)
		d := st.violation(c.field)
		if res.StatusCode != 400 || st.Code != 3 || d == "" {
			t.Errorf("%s %s %s: HTTP %d %+v, want 400 with a violation on %s", c.method, c.path, c.body, res.StatusCode, st, c.field)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(d, w) {
				t.Errorf("%s %s: violation %q lacks %q", c.method, c.path, d, w)
			}
		}
		for _, leak := range []string{"strconv", "proto:", "invalid value for"} {
			if strings.Contains(st.Message, leak) {
				t.Errorf("%s %s: message leaks %q: %s", c.method, c.path, leak, st.Message)
			}
		}
	}
}

// TestRESTEnumsAnyCase: enum values in bodies and queries are accepted in any
// case, as filter state names are.
func TestRESTEnumsAnyCase(t *testing.T) {
	a := memory.New(memory.Options{Seed: true, Delay: time.Millisecond})
	cancel, done, httpAddr, _ := startRun(t, a, time.Second)
	defer func() { cancel(); <-done }()
	base := "http://" + httpAddr + "/v1/clouds/mem"
	var list struct{ Instances []struct{ Name string } }
	res, err := http.Get(base + "/instances")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	name := list.Instances[0].Name
	if res, st := do(t, "POST", "http://"+httpAddr+"/v1/"+name+":reboot", `{"type":"hard"}`); res.StatusCode != 200 {
		t.Errorf(`reboot {"type":"hard"}: HTTP %d %+v`, res.StatusCode, st)
	}
	if res, st := do(t, "GET", base+"/instances?filter=state%3Drunning", ""); res.StatusCode != 200 {
		t.Errorf("filter state=running: HTTP %d %+v", res.StatusCode, st)
	}
	ctxRes, err := http.Get("http://" + httpAddr + "/v1/" + name + ":watch?targetStates=running")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(ctxRes.Body)
	ctxRes.Body.Close()
	if ctxRes.StatusCode != 200 || !strings.Contains(string(b), `"RUNNING"`) {
		t.Errorf("watch targetStates=running: HTTP %d %s", ctxRes.StatusCode, b)
	}
}

// TestRESTRoutingStatuses: an unknown path or verb is 404 NOT_FOUND, a known
// path with another method 405 with Allow (finding 5), and a custom method
// is never read as part of an instance ID (finding 8).
func TestRESTRoutingStatuses(t *testing.T) {
	cancel, done, httpAddr, _ := startRun(t, memory.New(memory.Options{Seed: true}), time.Second)
	defer func() { cancel(); <-done }()
	base := "http://" + httpAddr + "/v1/clouds/mem/instances/i-1"
	cases := []struct {
		method, path string
		http         int
		reason       string
		allow        string
	}{
		{"POST", ":restart", 404, "NOT_FOUND", ""},
		{"PUT", "", 405, "METHOD_NOT_ALLOWED", "DELETE, GET, PATCH"},
		{"GET", ":stop", 405, "METHOD_NOT_ALLOWED", "POST"},
		{"DELETE", ":watch", 405, "METHOD_NOT_ALLOWED", "GET"},
		{"PATCH", "/volumeAttachments", 405, "METHOD_NOT_ALLOWED", "GET, POST"},
	}
	for _, c := range cases {
		res, st := do(t, c.method, base+c.path, "{}")
		if res.StatusCode != c.http || st.reason() != c.reason || res.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: HTTP %d reason %s Allow %q, want %d %s %q (%s)", c.method, c.path, res.StatusCode, st.reason(),
				res.Header.Get("Allow"), c.http, c.reason, c.allow, st.Message)
		}
	}
	if _, st := do(t, "POST", base+":restart", "{}"); !strings.Contains(st.Message, ":reboot") {
		t.Errorf("unknown verb: message does not list the custom methods: %s", st.Message)
	}
}

// TestRESTGatewayErrorsCarryErrorInfo: errors grpc-gateway makes itself (a
// body that is not JSON, a query parameter of the wrong type, no such
// route) carry the contract's ErrorInfo like every service error.
func TestRESTGatewayErrorsCarryErrorInfo(t *testing.T) {
	cancel, done, httpAddr, _ := startRun(t, memory.New(memory.Options{Seed: true}), time.Second)
	defer func() { cancel(); <-done }()
	cases := []struct {
		method, path, body string
		http               int
		reason, msg        string
	}{
		{"POST", "/v1/clouds/mem/instances", "not json", 400, "INVALID_ARGUMENT", "body: not valid JSON"},
		{"POST", "/v1/clouds/mem/instances", `{"displayName":"x","flavour":"f"}`, 400, "INVALID_ARGUMENT", "flavour"},
		{"GET", "/v1/clouds/mem/instances?page_size=many", "", 400, "INVALID_ARGUMENT", "page_size"},
		{"GET", "/v1/nowhere", "", 404, "NOT_FOUND", "no REST route for GET /v1/nowhere"},
		// A query parameter that names no field is refused, as an unknown
		// body field is: a typo must not be silently ignored.
		{"GET", "/v1/clouds/mem/instances?pagesize=1", "", 400, "INVALID_ARGUMENT", `unknown query parameter "pagesize"`},
		{"GET", "/v1/clouds/mem/flavors?min_ram_mb=1&minRam=2", "", 400, "INVALID_ARGUMENT", `unknown query parameter "minRam"`},
		// The streaming watch route parses its own query: a typo is an
		// error, not a watch without target that runs for an hour.
		{"GET", "/v1/clouds/mem/instances/x:watch?target=RUNNING", "", 400, "INVALID_ARGUMENT", "target: unknown query parameter"},
		{"GET", "/v1/clouds/mem/instances/x:watch?targetStates=RUNING", "", 400, "INVALID_ARGUMENT", `target_states: unknown state "RUNING"`},
	}
	for _, c := range cases {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, "http://"+httpAddr+c.path, body)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Message string
			Details []map[string]any
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err != nil || res.StatusCode != c.http || !strings.Contains(st.Message, c.msg) {
			t.Errorf("%s %s: HTTP %d %q (%v), want %d and a message with %q", c.method, c.path, res.StatusCode, st.Message, err, c.http, c.msg)
			continue
		}
		found := false
		for _, d := range st.Details {
			if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" && d["domain"] == "computegw" && d["reason"] == c.reason {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: details %v lack ErrorInfo %s/computegw", c.method, c.path, st.Details, c.reason)
		}
	}
}
