package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/state/redistest"
	"github.com/computegw/computegw/internal/tokensource"
)

const (
	e2eRedisPassword = "e2e-Redis-Passw0rd"
	e2ePageKey       = "e2e-page-token-key-0123456789"
)

// vendorWire sits between the gateways and the fake NHN compute API: it
// counts the server creates that reach the vendor and can hold them.
type vendorWire struct {
	*httptest.Server
	creates atomic.Int32
	logins  atomic.Int32  // POST /v2.0/tokens
	arrived chan struct{} // one value per create, when it arrives
	mu      sync.Mutex
	hold    time.Duration // how long a create is held before it is passed on
}

func newVendorWire(t *testing.T, target string) *vendorWire {
	w := &vendorWire{arrived: make(chan struct{}, 100)}
	w.Server = vendorProxy(t, target, w.pass, nil)
	return w
}

// pass counts a login or a create, holds a create as long as asked, and
// drops it if the gateway goes away meanwhile.
func (w *vendorWire) pass(r *http.Request) bool {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tokens") {
		w.logins.Add(1)
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/servers") {
		// Read the body first: only then does the server notice a
		// gateway that goes away (and cancel r.Context()).
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.creates.Add(1)
		w.arrived <- struct{}{}
		w.mu.Lock()
		hold := w.hold
		w.mu.Unlock()
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return false // the gateway went away
		}
	}
	return true
}

func (w *vendorWire) setHold(d time.Duration) {
	w.mu.Lock()
	w.hold = d
	w.mu.Unlock()
}

// fleetOf starts n gateway binaries sharing one real Redis (with a
// password) and one fake NHN vendor, in config mode.
func fleetOf(t *testing.T, n int) ([]*gateway, *vendorWire, *redistest.Server) {
	return fleetWithPassword(t, n, nhnfake.DemoPassword)
}

func fleetWithPassword(t *testing.T, n int, nhnPassword string) ([]*gateway, *vendorWire, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t, redistest.Options{Password: e2eRedisPassword})
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(nhn.Close)
	wire := newVendorWire(t, nhn.URL)
	cfg := fmt.Sprintf(`
page_token_key_env: E2E_PAGE_KEY
state:
  redis:
    address: %s
    password_env: E2E_REDIS_PASSWORD
    key_prefix: "e2e:"
clouds:
`, rs.Addr) + nhnEntry("nhn-kr1", wire.URL, "compute_endpoint", wire.URL, "timeout", "20s")
	path := writeFile(t, "fleet.yaml", cfg)
	env := []string{"E2E_NHN_PASSWORD=" + nhnPassword, "E2E_REDIS_PASSWORD=" + e2eRedisPassword, "E2E_PAGE_KEY=" + e2ePageKey}
	var gs []*gateway
	for range n {
		gs = append(gs, start(t, env, "--config", path))
	}
	t.Cleanup(func() {
		for _, g := range gs {
			if strings.Contains(g.stderr.String(), e2eRedisPassword) {
				t.Errorf("the Redis password appears in a gateway's log")
			}
		}
	})
	return gs, wire, rs
}

var fleetCreate = map[string]any{"displayName": "fleet-web", "flavor": nhnfake.FlavorU2C1M2, "image": nhnfake.ImageUbuntu,
	"zone": nhnfake.ZoneA, "keyPair": nhnfake.KeyPairName, "networks": []any{map[string]any{"subnet": nhnfake.SubnetVPC2}}}

type fleetAnswer struct {
	Name    string
	Code    int
	Message string
	Details []map[string]any
}

func (a fleetAnswer) reason() string {
	for _, d := range a.Details {
		if r, ok := d["reason"].(string); ok {
			return r
		}
	}
	return ""
}

func createOn(t *testing.T, g *gateway, requestID string, body any) (int, fleetAnswer) {
	var a fleetAnswer
	path := "/v1/clouds/nhn-kr1/instances"
	if requestID != "" {
		path += "?request_id=" + requestID
	}
	code := g.rest(t, "POST", path, body, &a)
	return code, a
}

// TestReplicasShareRequestID: one request_id sent to two replicas at once,
// and again to each after the first answered, makes one backend create and
// one answer; the same ID with another body is refused on either; a page
// token from one replica works on the other (shared page_token_key).
func TestReplicasShareRequestID(t *testing.T) {
	gs, wire, _ := fleetOf(t, 2)
	wire.setHold(700 * time.Millisecond) // both requests are in flight together
	const id = "3f6c1d2e-0a4b-4c5d-8e9f-000000000001"
	var wg sync.WaitGroup
	answers := make([]fleetAnswer, 2)
	codes := make([]int, 2)
	for i, g := range gs {
		wg.Go(func() { codes[i], answers[i] = createOn(t, g, id, fleetCreate) })
	}
	wg.Wait()
	for i := range gs {
		if codes[i] != 200 || answers[i].Name == "" {
			t.Fatalf("replica %d: HTTP %d %+v", i, codes[i], answers[i])
		}
	}
	if answers[0].Name != answers[1].Name {
		t.Fatalf("two replicas answered two instances: %s, %s", answers[0].Name, answers[1].Name)
	}
	wire.setHold(0)
	for i, g := range []*gateway{gs[1], gs[0]} {
		code, a := createOn(t, g, id, fleetCreate)
		if code != 200 || a.Name != answers[0].Name {
			t.Fatalf("later retry %d: HTTP %d %+v", i, code, a)
		}
	}
	if n := wire.creates.Load(); n != 1 {
		t.Fatalf("%d creates reached the vendor for one request_id, want 1", n)
	}
	other := map[string]any{}
	for k, v := range fleetCreate {
		other[k] = v
	}
	other["displayName"] = "another-name"
	if code, a := createOn(t, gs[1], id, other); code != 400 || a.Code != 3 {
		t.Errorf("same request_id, other body: HTTP %d %+v", code, a)
	}
	if n := wire.creates.Load(); n != 1 {
		t.Errorf("%d creates", n)
	}

	var page struct {
		Instances     []struct{ Name string }
		NextPageToken string
	}
	if code := gs[0].rest(t, "GET", "/v1/clouds/nhn-kr1/instances?page_size=1", nil, &page); code != 200 || page.NextPageToken == "" {
		t.Fatalf("first page: HTTP %d %+v", code, page)
	}
	var next struct{ Instances []struct{ Name string } }
	if code := gs[1].rest(t, "GET", "/v1/clouds/nhn-kr1/instances?page_size=1&page_token="+url.QueryEscape(page.NextPageToken), nil, &next); code != 200 || len(next.Instances) != 1 {
		t.Errorf("a page token from replica 0 on replica 1: HTTP %d %+v", code, next)
	}
}

// TestReplicaKilledMidCreate: the replica making a create dies before the
// vendor acted (the create is held at the vendor's door, and dropped when
// the replica's connection goes); the retry on another replica, once the
// dead replica's lease lapses, asks the vendor for the instance carrying
// the request_id marker, finds none, and creates it: one instance in all.
func TestReplicaKilledMidCreate(t *testing.T) {
	gs, wire, _ := fleetOf(t, 2)
	countFleetWeb := func() int {
		var page struct {
			Instances []struct{ DisplayName string }
		}
		if code := gs[1].rest(t, "GET", "/v1/clouds/nhn-kr1/instances?page_size=1000", nil, &page); code != 200 {
			t.Fatalf("list: HTTP %d", code)
		}
		n := 0
		for _, in := range page.Instances {
			if in.DisplayName == "fleet-web" {
				n++
			}
		}
		return n
	}
	before := countFleetWeb()
	wire.setHold(time.Minute)
	const id = "3f6c1d2e-0a4b-4c5d-8e9f-000000000002"
	go func() {
		var a fleetAnswer
		_ = gs[0].restNoFail("POST", "/v1/clouds/nhn-kr1/instances?request_id="+id, fleetCreate, &a)
	}()
	select {
	case <-wire.arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the create never reached the vendor")
	}
	gs[0].kill(t)
	wire.setHold(0)
	start := time.Now()
	code, a := createOn(t, gs[1], id, fleetCreate)
	if code != 200 || a.Name == "" {
		t.Fatalf("retry after the owner died: HTTP %d %+v", code, a)
	}
	t.Logf("the retry answered after %v (lease lapse, vendor lookup, settle)", time.Since(start).Round(time.Millisecond))
	if n := countFleetWeb() - before; n != 1 {
		t.Fatalf("%d new instances at the vendor, want 1", n)
	}
	// Retries answer the same instance and create nothing more.
	if code, b := createOn(t, gs[1], id, fleetCreate); code != 200 || b.Name != a.Name {
		t.Fatalf("second retry: HTTP %d %+v, want %s", code, b, a.Name)
	}
	if n := wire.creates.Load(); n != 2 {
		t.Fatalf("%d creates reached the vendor's door, want 2 (the dropped one and the retry's)", n)
	}
}

// TestReplicasRedisRestart: Redis stops mid-run: a create with request_id
// is 503 STATE_UNAVAILABLE and reaches no vendor, reads and creates without
// request_id keep working, /readyz stays 200 and says so; when Redis comes
// back the replicas use it again by themselves, with the records kept.
func TestReplicasRedisRestart(t *testing.T) {
	gs, wire, rs := fleetOf(t, 2)
	const before = "3f6c1d2e-0a4b-4c5d-8e9f-000000000005"
	code, first := createOn(t, gs[0], before, fleetCreate)
	if code != 200 {
		t.Fatalf("create: HTTP %d %+v", code, first)
	}
	rs.Stop()

	for i, g := range gs {
		code, a := createOn(t, g, fmt.Sprintf("3f6c1d2e-0a4b-4c5d-8e9f-00000000010%d", i), fleetCreate)
		if code != 503 || a.Code != 14 || a.reason() != "STATE_UNAVAILABLE" {
			t.Fatalf("replica %d, create with request_id, Redis down: HTTP %d %+v", i, code, a)
		}
		var list struct{ Instances []struct{ Name string } }
		if code := g.rest(t, "GET", "/v1/clouds/nhn-kr1/instances", nil, &list); code != 200 || len(list.Instances) == 0 {
			t.Fatalf("replica %d, list, Redis down: HTTP %d", i, code)
		}
		if code, a := createOn(t, g, "", fleetCreate); code != 200 {
			t.Fatalf("replica %d, create without request_id, Redis down: HTTP %d %+v", i, code, a)
		}
		if code, body := g.get(t, "/readyz"); code != 200 || !strings.Contains(body, "state: redis unavailable") {
			t.Fatalf("replica %d, /readyz with Redis down: HTTP %d %q", i, code, body)
		}
	}
	if n := wire.creates.Load(); n != 3 {
		t.Fatalf("%d vendor creates, want 3 (one before, two without request_id)", n)
	}

	rs.Restart()
	eventually.Nil(t, 15*time.Second, "/readyz with state: redis ok after Redis came back", func() error {
		if code, body := gs[1].get(t, "/readyz"); code != 200 || !strings.Contains(body, "state: redis ok") {
			return eventually.NotYet("HTTP %d %q", code, body)
		}
		return nil
	})
	for i, g := range gs {
		code, a := createOn(t, g, before, fleetCreate)
		if code != 200 || a.Name != first.Name {
			t.Fatalf("replica %d, retry of the record from before the restart: HTTP %d %+v", i, code, a)
		}
	}
	if code, a := createOn(t, gs[1], "3f6c1d2e-0a4b-4c5d-8e9f-000000000004", fleetCreate); code != 200 {
		t.Fatalf("create with request_id after the restart: HTTP %d %+v", code, a)
	}
	if n := wire.creates.Load(); n != 4 {
		t.Errorf("%d vendor creates, want 4", n)
	}
	for i, g := range gs {
		s := g.stderr.String()
		if !strings.Contains(s, "state store unreachable") || !strings.Contains(s, "state store reachable again") {
			t.Errorf("replica %d did not log the loss and return of Redis", i)
		}
	}
}

// get fetches path as text.
func (g *gateway) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + g.httpAddr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// restNoFail is rest for goroutines that may outlive the gateway: errors
// are returned, not fatal.
func (g *gateway) restNoFail(method, path string, body, out any) error {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+g.httpAddr+path, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(out)
}

// TestReplicasShareLoginBackoff: two replicas with a password the vendor
// rejects, called over and over on both: the fleet makes one password
// attempt (as one process would), and both answer
// BACKEND_CREDENTIALS_REJECTED meanwhile, naming the shared back-off.
func TestReplicasShareLoginBackoff(t *testing.T) {
	gs, wire, _ := fleetWithPassword(t, 2, "not-the-nhn-password")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var a fleetAnswer
			code := gs[i%2].rest(t, "GET", "/v1/clouds/nhn-kr1/instances", nil, &a)
			if code != 400 || a.Code != 9 || a.reason() != "BACKEND_CREDENTIALS_REJECTED" {
				t.Errorf("replica %d: HTTP %d %+v", i%2, code, a)
			}
		})
	}
	wg.Wait()
	for i := range 3 {
		for j, g := range gs {
			var a fleetAnswer
			if code := g.rest(t, "GET", "/v1/clouds/nhn-kr1/flavors", nil, &a); code != 400 || a.reason() != "BACKEND_CREDENTIALS_REJECTED" {
				t.Fatalf("round %d replica %d: HTTP %d %+v", i, j, code, a)
			}
		}
		time.Sleep(tokensource.GateRecheck + 100*time.Millisecond) // each replica asks the gate again
	}
	if n := wire.logins.Load(); n != 1 {
		t.Fatalf("%d password attempts by two replicas, want 1 (one fleet-wide back-off)", n)
	}
}

// TestPageTokenKeyWarning: a replica sharing state.redis without a
// page-token key warns at start-up (a page token from one replica would
// fail on another); with a key it does not.
func TestPageTokenKeyWarning(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(nhn.Close)
	base := fmt.Sprintf(`
state:
  redis:
    address: %s
clouds:
`, rs.Addr) + nhnEntry("nhn-kr1", nhn.URL)
	env := []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword, "E2E_PAGE_KEY=" + e2ePageKey}
	without := start(t, env, "--config", writeFile(t, "nokey.yaml", base))
	if s := without.stderr.String(); !strings.Contains(s, "no page_token_key_env or page_token_key_file") {
		t.Errorf("no page-token key warning with state.redis and no key:\n%s", s)
	}
	with := start(t, env, "--config", writeFile(t, "key.yaml", "page_token_key_env: E2E_PAGE_KEY\n"+base))
	if s := with.stderr.String(); strings.Contains(s, "no page_token_key_env or page_token_key_file") {
		t.Errorf("page-token key warning although a key is set:\n%s", s)
	}
}
