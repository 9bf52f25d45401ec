// Package fake is a stateful, in-memory Gcore Cloud instances API server.
// It is for the gcore adapter's tests, the shared conformance suite
// (driver/drivertest), the gateway's end-to-end tests and its demo mode
// (gcore.NewDemo). It speaks the wire format of shared/design/gcore.md:
// "Authorization: APIKey …" on every call, {project_id}/{region_id} integers
// in the paths, limit/offset paging with a total count, writes that answer
// {"tasks": [ID]} at once and do the work later, tasks moving NEW → RUNNING
// → FINISHED (or ERROR) on a clock, instances locked (HTTP 409
// ConflictError) while a task holds them, and error bodies
// {"exception_class", "message"}. Request bodies are decoded strictly: a
// field gcore.md does not define is a 400 ValidationError, so a wire
// mismatch in the adapter shows up in its tests.
//
// It does not import the adapter. Its credentials and seeded resource IDs
// are exported constants (seed.go).
package fake

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

// Options configure a Server. Zero values pick the defaults.
type Options struct {
	// APIKey is the accepted key; empty takes DemoAPIKey.
	APIKey string
	// ProjectID and RegionID are the served scope; 0 takes DemoProjectID
	// and DemoRegionID.
	ProjectID, RegionID int
	// BuildTime is how long a create task takes from acceptance to
	// FINISHED (Gcore's real builds take 15–30 s). TaskTime is the same for
	// every other task (start, stop, reboot, resize, delete). StartDelay is
	// how long a task stays NEW before RUNNING. Zero durations finish at the
	// next request.
	BuildTime  time.Duration
	TaskTime   time.Duration
	StartDelay time.Duration
	// MaxInstances is the project's instance quota (a create beyond it is
	// 403 ForbiddenError, as Gcore answers); 0 means no quota.
	MaxInstances int
	// OldSpellings makes instance answers use the older field names
	// instance_id, instance_name and instance_created.
	OldSpellings bool
	// Seed adds two instances: InstanceWeb ("web-1", ACTIVE) and
	// InstanceDB ("db-1", SHUTOFF).
	Seed bool
	// Hook, when set, sees every request first; returning true means it
	// wrote the answer (tests use it to inject faults such as 429 or 500).
	Hook func(w http.ResponseWriter, r *http.Request) bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// PathPrefix is the path the fake serves the API under (the "/cloud" of
// https://api.gcore.com/cloud).
const PathPrefix = "/cloud"

// Server is a fake Gcore endpoint: use URL (e.g.
// http://127.0.0.1:41234/cloud) as the adapter's Endpoint. It is also an
// http.Handler. Safe for concurrent use.
type Server struct {
	fakekit.Base
	opt Options

	requests, creates, taskPolls fakekit.Counter

	mu         sync.Mutex
	order      int // creation sequence, for stable list order
	instances  map[string]*instance
	tasks      map[string]*task
	taskOrder  []string
	flavors    []flavorSeed
	images     map[string]imageSeed
	groups     map[string]string // ID -> name
	portInUse  bool
	nextHostIP int
}

// NewServer starts a fake on 127.0.0.1 (a random port). Close stops it.
// Like httptest.NewServer, it panics if it cannot listen.
func NewServer(opt Options) *Server {
	return fakekit.Serve(NewHandler(opt), PathPrefix)
}

// NewHandler returns a fake that does not listen (for httptest): its URL is
// empty and the API is served under PathPrefix.
func NewHandler(opt Options) *Server {
	fakekit.Defaults(&opt, Options{
		APIKey: DemoAPIKey, ProjectID: DemoProjectID, RegionID: DemoRegionID, Now: time.Now,
	})
	s := &Server{
		opt:        opt,
		instances:  map[string]*instance{},
		tasks:      map[string]*task{},
		flavors:    seedFlavors(),
		images:     seedImages(),
		groups:     map[string]string{SecurityGroupDefaultID: SecurityGroupDefault, SecurityGroupWebID: SecurityGroupWeb},
		nextHostIP: 10,
	}
	if opt.Seed {
		s.seedInstances()
	}
	return s
}

// Requests reports how many API requests arrived (refused ones included).
func (s *Server) Requests() int { return s.requests.N() }

// Creates reports how many create requests (POST /v2/instances/…) arrived.
func (s *Server) Creates() int { return s.creates.N() }

// TaskPolls reports how many GET /v1/tasks/{id} requests arrived.
func (s *Server) TaskPolls() int { return s.taskPolls.N() }

// TaskState reports a task's state ("" when there is no such task).
func (s *Server) TaskState(id string) string {
	defer fakekit.Settle(&s.mu, s.advance)()
	if t, ok := s.tasks[id]; ok {
		return t.state
	}
	return ""
}

// InstanceStatus reports an instance's status ("" when it does not exist).
func (s *Server) InstanceStatus(id string) string {
	defer fakekit.Settle(&s.mu, s.advance)()
	if in, ok := s.instances[id]; ok {
		return in.status
	}
	return ""
}

// InstanceIDs lists the instances that exist, in list order.
func (s *Server) InstanceIDs() []string {
	defer fakekit.Settle(&s.mu, s.advance)()
	var ids []string
	for _, in := range s.sorted() {
		ids = append(ids, in.id)
	}
	return ids
}

// ServeHTTP serves the Gcore API under PathPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.Hook != nil && s.opt.Hook(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add()
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix+"/")
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", "no such API path: "+r.URL.Path)
		return
	}
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "APIKey ")
	if !ok || key != s.opt.APIKey {
		// Gcore's 401 has no exception_class.
		msg := "Invalid API key."
		if auth == "" {
			msg = "Authentication credentials were not provided."
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": msg})
		return
	}
	s.advance()
	parts := strings.Split(rest, "/")
	// /v1/tasks/{id}
	if len(parts) == 3 && parts[0] == "v1" && parts[1] == "tasks" && r.Method == http.MethodGet {
		s.taskPolls.Add()
		s.getTask(w, parts[2])
		return
	}
	if len(parts) < 4 {
		writeError(w, http.StatusNotFound, "NotFoundError", "no such API path: "+r.URL.Path)
		return
	}
	version, collection := parts[0], parts[1]
	if !s.scope(w, parts[2], parts[3]) {
		return
	}
	tail := parts[4:]
	route := r.Method + " " + version + "/" + collection
	switch {
	case route == "GET v1/instances" && len(tail) == 0:
		s.listInstances(w, r)
	case route == "POST v2/instances" && len(tail) == 0:
		s.creates.Add()
		s.createInstance(w, r)
	case route == "GET v1/instances" && len(tail) == 1:
		s.getInstance(w, tail[0])
	case route == "PATCH v1/instances" && len(tail) == 1:
		s.renameInstance(w, r, tail[0])
	case route == "DELETE v1/instances" && len(tail) == 1:
		s.deleteInstance(w, tail[0])
	case route == "POST v2/instances" && len(tail) == 2 && tail[1] == "action":
		s.action(w, r, tail[0])
	case route == "POST v1/instances" && len(tail) == 2 && tail[1] == "changeflavor":
		s.changeFlavor(w, r, tail[0])
	case route == "POST v1/instances" && len(tail) == 2 && (tail[1] == "addsecuritygroup" || tail[1] == "delsecuritygroup"):
		s.securityGroup(w, r, tail[0], tail[1] == "addsecuritygroup")
	case route == "GET v1/instances" && len(tail) == 2 && tail[1] == "securitygroups":
		s.instanceSecurityGroups(w, tail[0])
	case route == "GET v1/flavors" && len(tail) == 0:
		s.listFlavors(w)
	case route == "GET v1/securitygroups" && len(tail) == 0:
		s.listSecurityGroups(w)
	case route == "GET v1/subnets" && len(tail) == 1:
		s.getSubnet(w, tail[0])
	default:
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("no such API call: %s %s", r.Method, r.URL.Path))
	}
}

// scope checks {project_id}/{region_id}: integers, and the served ones.
func (s *Server) scope(w http.ResponseWriter, project, region string) bool {
	p, perr := strconv.Atoi(project)
	r, rerr := strconv.Atoi(region)
	switch {
	case perr != nil || rerr != nil:
		writeValidation(w, "project_id and region_id must be integers", map[string]any{"project_id": project, "region_id": region})
		return false
	case p != s.opt.ProjectID:
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Project %d not found", p))
		return false
	case r != s.opt.RegionID:
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Region %d not found", r))
		return false
	}
	return true
}

func (s *Server) now() time.Time { return s.opt.Now() }

// --- tasks ------------------------------------------------------------------

type task struct {
	id, typ    string
	state      string // NEW, RUNNING, FINISHED, ERROR
	created    time.Time
	updated    time.Time
	finished   time.Time
	runAt      time.Time
	finishAt   time.Time
	err        string
	instanceID string
	// resources are the created_resources filled when the task finishes.
	resources map[string][]string
	// onRun and onFinish apply the task's effect (under s.mu); onFinish
	// returns the error text when the task fails.
	onRun    func()
	onFinish func() string
}

// newTask starts a task taking d, and returns it.
func (s *Server) newTask(typ, instanceID string, d time.Duration, onRun func(), onFinish func() string) *task {
	now := s.now()
	start := min(s.opt.StartDelay, d)
	t := &task{id: newID(), typ: typ, state: "NEW", created: now, updated: now,
		runAt: now.Add(start), finishAt: now.Add(d), instanceID: instanceID,
		onRun: onRun, onFinish: onFinish}
	s.tasks[t.id] = t
	s.taskOrder = append(s.taskOrder, t.id)
	return t
}

// advance moves every task whose time has come, in the order they were
// created (a clock that jumps applies them all, oldest first).
func (s *Server) advance() {
	now := s.now()
	for _, id := range s.taskOrder {
		t := s.tasks[id]
		if t.state == "NEW" && !now.Before(t.runAt) {
			t.state, t.updated = "RUNNING", t.runAt
			if t.onRun != nil {
				t.onRun()
			}
		}
		if t.state == "RUNNING" && !now.Before(t.finishAt) {
			t.updated, t.finished = t.finishAt, t.finishAt
			t.state = "FINISHED"
			if t.onFinish != nil {
				if msg := t.onFinish(); msg != "" {
					t.state, t.err = "ERROR", msg
				}
			}
		}
	}
	// Forget finished tasks' order entries once there are many.
	if len(s.taskOrder) > 256 {
		keep := s.taskOrder[:0]
		for _, id := range s.taskOrder {
			if st := s.tasks[id].state; st == "NEW" || st == "RUNNING" {
				keep = append(keep, id)
			}
		}
		s.taskOrder = keep
	}
}

func (s *Server) getTask(w http.ResponseWriter, id string) {
	t, ok := s.tasks[id]
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Task %s not found", id))
		return
	}
	out := map[string]any{
		"id": t.id, "task_type": t.typ, "state": t.state,
		"created_on": wireTime(t.created), "updated_on": wireTime(t.updated),
		"finished_on": nil, "error": nil, "created_resources": nil,
		"request_id": "req-" + t.id[:8], "project_id": s.opt.ProjectID, "region_id": s.opt.RegionID,
	}
	if !t.finished.IsZero() {
		out["finished_on"] = wireTime(t.finished)
	}
	if t.err != "" {
		out["error"] = t.err
	}
	if t.resources != nil {
		out["created_resources"] = t.resources
	}
	writeJSON(w, http.StatusOK, out)
}

func tasksAnswer(w http.ResponseWriter, t *task) {
	writeJSON(w, http.StatusOK, map[string]any{"tasks": []string{t.id}})
}

// --- helpers ----------------------------------------------------------------

// wireTime prints a time as Gcore does: ISO 8601 without a zone (UTC).
func wireTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

func newID() string { return fakekit.NewUUID() }

func writeJSON(w http.ResponseWriter, status int, v any) { fakekit.WriteJSON(w, status, v) }

// writeError writes Gcore's error body.
func writeError(w http.ResponseWriter, status int, class, msg string) {
	writeJSON(w, status, map[string]any{"exception_class": class, "message": msg})
}

// writeValidation writes a 400 ValidationError with invalid_fields.
func writeValidation(w http.ResponseWriter, msg string, fields map[string]any) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"exception_class": "ValidationError", "message": msg, "invalid_fields": fields,
	})
}

// decode reads a JSON body strictly into v: unknown fields, trailing data
// and malformed JSON are a 400 ValidationError. It reports success.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := fakekit.ReadBody(r)
	if err != nil {
		writeValidation(w, "could not read the request body", nil)
		return false
	}
	if err := fakekit.UnmarshalStrict(body, v); err != nil {
		writeValidation(w, "invalid request body: "+err.Error(), nil)
		return false
	}
	return true
}

func (s *Server) sortedGroups() []map[string]any {
	var out []map[string]any
	for id, name := range s.groups {
		out = append(out, map[string]any{"id": id, "name": name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["name"].(string) < out[j]["name"].(string) })
	return out
}

func (s *Server) listSecurityGroups(w http.ResponseWriter) {
	gs := s.sortedGroups()
	writeJSON(w, http.StatusOK, map[string]any{"count": len(gs), "results": gs})
}

func (s *Server) getSubnet(w http.ResponseWriter, id string) {
	if id != SubnetPrivate {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Subnet %s not found", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": SubnetPrivate, "name": "private-subnet",
		"network_id": NetworkPrivate, "cidr": SubnetCIDR, "ip_version": 4})
}

func (s *Server) listFlavors(w http.ResponseWriter) {
	var out []map[string]any
	for _, f := range s.flavors {
		m := map[string]any{"flavor_id": f.id, "flavor_name": f.name, "vcpus": f.vcpus, "ram": f.ram, "disabled": f.disabled}
		if f.disk > 0 {
			m["disk"] = f.disk
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "results": out})
}

func (s *Server) flavor(id string) (flavorSeed, bool) {
	for _, f := range s.flavors {
		if f.id == id {
			return f, true
		}
	}
	return flavorSeed{}, false
}
