// Package fake is a stateful, in-memory TOAST Compute Instance API v1.0
// server. It is for the toastv1 adapter's tests, the shared conformance
// suite (driver/drivertest), the gateway's end-to-end tests and its demo
// mode (internal/demo): it speaks the wire format of the vendor's API
// guide (appkey URLs, X-Auth-Token, the {"header": {"isSuccessful",
// "resultCode", "resultMessage"}} envelope on every answer, failures as
// isSuccessful: false with the vendor's documented result codes, numbers
// printed as strings as in the guide's examples), moves instances through
// TOAST's statuses with configurable delays, and counts token requests.
//
// It does not import the adapter. Its credentials and seeded resource IDs
// are exported constants (fixtures.go).
package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

// RefusalStyle is how the fake answers a request whose token is missing,
// unknown or expired. The guide says every answer is HTTP 200 with an
// envelope; real deployments also answer HTTP 401, with or without one.
type RefusalStyle int

const (
	// RefuseEnvelope answers HTTP 200 with isSuccessful false and resultCode
	// -3 (Permission denied). The default.
	RefuseEnvelope RefusalStyle = iota
	// Refuse401Envelope answers HTTP 401 with the same envelope.
	Refuse401Envelope
	// Refuse401Bare answers HTTP 401 with a plain-text body.
	Refuse401Bare
)

// Options configure a Server. Zero values pick the defaults.
type Options struct {
	// AppKey, Username and Password are the accepted credentials; empty
	// takes DemoAppKey, DemoUsername and DemoPassword.
	AppKey, Username, Password string
	// TokenTTL is a token's lifetime. Default 1h.
	TokenTTL time.Duration
	// Transition delays. Zero makes the transition complete at the next
	// read.
	BuildDelay  time.Duration // BUILD -> ACTIVE
	PowerDelay  time.Duration // POWERING_ON -> ACTIVE, POWERING_OFF -> STOP
	RebootDelay time.Duration // REBOOTING -> ACTIVE
	ResizeDelay time.Duration // RESIZING -> ACTIVE or STOP
	DeleteDelay time.Duration // DELETING -> gone
	// MaxInstances is the project's instance quota; 0 means none.
	MaxInstances int
	// Refusal is how refused tokens are answered.
	Refusal RefusalStyle
	// Demo seeds demo data: two instances (DemoInstanceID1 ACTIVE with a
	// floating IP and VolumeID3 attached, DemoInstanceID2 STOP) and the key
	// pair DemoKeyPair.
	Demo bool
	// Hook, when set, sees every request first; returning true means it
	// wrote the answer (tests use it to inject faults).
	Hook func(w http.ResponseWriter, r *http.Request) bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Server is a fake TOAST endpoint: use URL, the endpoint prefix (e.g.
// http://127.0.0.1:41234/compute), as the adapter's Endpoint. It is also an
// http.Handler. Safe for concurrent use.
type Server struct {
	fakekit.IdentityBase
	opt Options

	requests fakekit.Counter

	mu        sync.Mutex
	instances map[string]*instance
	keyPairs  map[string]*keyPair
	volumes   map[string]*volume
	floating  map[string]string // floating IP -> instance ID ("" when free)
	groups    map[string]bool
	images    map[string]imageSeed
	flavors   []flavorSeed
	nextHost  int
}

// PathPrefix is the path the fake serves the API under (the "/compute" of
// https://api-compute.cloud.toast.com/compute).
const PathPrefix = "/compute"

// NewServer starts a fake on 127.0.0.1 (a random port). Close stops it.
// Like httptest.NewServer, it panics if it cannot listen.
func NewServer(opt Options) *Server {
	return fakekit.Serve(NewHandler(opt), PathPrefix)
}

// NewHandler returns a fake that does not listen (for httptest): its URL is
// empty, and the API is served under PathPrefix.
func NewHandler(opt Options) *Server {
	fakekit.Defaults(&opt, Options{
		AppKey: DemoAppKey, Username: DemoUsername, Password: DemoPassword, TokenTTL: time.Hour,
		Now: time.Now,
	})
	s := &Server{
		IdentityBase: fakekit.NewIdentityBase(opt.Now, opt.TokenTTL),
		opt:          opt,
		instances:    map[string]*instance{},
		keyPairs:     map[string]*keyPair{},
		volumes:      seedVolumes(),
		floating:     map[string]string{FloatingIP: "", FloatingIP2: ""},
		groups:       map[string]bool{"default": true, SecurityGroup: true},
		images:       seedImages(),
		flavors:      seedFlavors(),
		nextHost:     10,
	}
	if opt.Demo {
		s.seedDemo()
	}
	return s
}

// Requests reports how many API requests other than token requests arrived.
func (s *Server) Requests() int { return s.requests.N() }

// ExpireTokens makes every issued token invalid, as if they had died early.
func (s *Server) ExpireTokens() { s.Tokens.Revoke() }

// InstanceStatus reports an instance's current TOAST status ("" when it
// does not exist), for tests.
func (s *Server) InstanceStatus(id string) string {
	defer fakekit.Settle(&s.mu, s.advance)()
	if in, ok := s.instances[id]; ok {
		return in.status
	}
	return ""
}

// SetInstanceStatus forces an instance's status (for tests of states the
// fake does not reach by itself, such as ERROR or MIGRATING).
func (s *Server) SetInstanceStatus(id, status string) bool {
	defer fakekit.Settle(&s.mu, s.advance)()
	in, ok := s.instances[id]
	if ok {
		in.status, in.next = status, ""
	}
	return ok
}

// ServeHTTP serves the TOAST API under PathPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.Hook != nil && s.opt.Hook(w, r) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix+"/v1.0/appkeys/")
	if !ok {
		notFoundPage(w)
		return
	}
	appKey, rest, _ := strings.Cut(rest, "/")
	rest = "/" + rest

	if rest == "/tokens" {
		s.serveTokens(w, r, appKey)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add()
	if appKey != s.opt.AppKey {
		writeFail(w, http.StatusOK, -3, "Permission denied : appkey is not valid")
		return
	}
	if _, ok := s.Tokens.Valid(r.Header.Get("X-Auth-Token")); !ok {
		s.refuse(w)
		return
	}
	s.advance()

	route := r.Method + " " + rest
	switch {
	case route == "GET /availability-zones":
		s.listZones(w)
	case route == "GET /instances":
		s.listInstances(w, r, false)
	case route == "GET /instances-detail":
		s.listInstances(w, r, true)
	case route == "POST /instances":
		s.createInstance(w, r)
	case route == "DELETE /instances":
		s.deleteInstance(w, r)
	case route == "GET /flavors":
		s.listFlavors(w)
	case route == "GET /keypairs":
		s.getKeyPairs(w, r)
	case route == "POST /keypairs":
		s.createKeyPair(w, r)
	case route == "DELETE /keypairs":
		s.deleteKeyPair(w, r)
	case strings.HasPrefix(rest, "/instances/"):
		id, sub, _ := strings.Cut(strings.TrimPrefix(rest, "/instances/"), "/")
		switch r.Method + " " + sub {
		case "POST action":
			s.action(w, r, id)
		case "POST attachments":
			s.attach(w, r, id)
		case "DELETE attachments":
			s.detach(w, r, id)
		default:
			notFoundPage(w)
		}
	default:
		notFoundPage(w)
	}
}

func (s *Server) now() time.Time { return s.opt.Now() }

func (s *Server) refuse(w http.ResponseWriter) {
	const msg = "Permission denied : token is not valid or has expired"
	switch s.opt.Refusal {
	case Refuse401Envelope:
		writeFail(w, http.StatusUnauthorized, -3, msg)
	case Refuse401Bare:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "401 Unauthorized\n")
	default:
		writeFail(w, http.StatusOK, -3, msg)
	}
}

// serveTokens handles POST /tokens (issue) and GET /tokens?id= (inspect).
func (s *Server) serveTokens(w http.ResponseWriter, r *http.Request, appKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		s.Tokens.Counted()
		var req struct {
			Auth struct {
				Username string `json:"username"`
				Password string `json:"password"`
			} `json:"auth"`
		}
		if !decodeBody(w, r, &req) {
			return
		}
		if appKey != s.opt.AppKey {
			writeFail(w, http.StatusOK, -3, "Permission denied : appkey is not valid")
			return
		}
		if req.Auth.Username != s.opt.Username || req.Auth.Password != s.opt.Password {
			writeFail(w, http.StatusOK, 50401, "The request you have made requires authentication. (username or API password is wrong)")
			return
		}
		tok := s.Tokens.Issue(fakekit.RandomHex(16), "")
		writeOK(w, map[string]any{"access": tokenBody(tok.ID, tok.Issued, tok.Expires)})
	case http.MethodGet:
		id := r.URL.Query().Get("id")
		tok, ok := s.Tokens.Valid(id)
		if appKey != s.opt.AppKey || !ok {
			writeFail(w, http.StatusOK, 50404, "Could not find token")
			return
		}
		writeOK(w, map[string]any{"access": tokenBody(id, tok.Issued, tok.Expires)})
	default:
		notFoundPage(w)
	}
}

func tokenBody(id string, issued, exp time.Time) map[string]any {
	return map[string]any{
		"token": map[string]any{
			"expires":   exp.UTC().Format("2006-01-02T15:04:05Z"),
			"id":        id,
			"issued_at": issued.UTC().Format("2006-01-02T15:04:05.000000"),
		},
		"user": map[string]any{
			"id":    "6b2b1c5e0f3d4a7e9c8b7a6f5e4d3c2b",
			"roles": []any{map[string]any{"name": "Member"}},
		},
	}
}

func (s *Server) listZones(w http.ResponseWriter) {
	zones := []any{}
	for _, z := range []string{Zone, Zone2} {
		zones = append(zones, map[string]any{"zoneName": z, "zoneState": map[string]any{"available": true}})
	}
	writeOK(w, map[string]any{"zones": zones})
}

func (s *Server) listFlavors(w http.ResponseWriter) {
	rows := []any{}
	for _, f := range s.flavors {
		rows = append(rows, map[string]any{
			"disabled":   f.disabled,
			"ephemeral":  itoa(f.ephemeral),
			"type":       f.typ,
			"volumeSize": itoa(f.volumeSize),
			"id":         f.id,
			"name":       f.name,
			"isPublic":   f.public,
			"ram":        itoa(f.ramMB),
			"vcpus":      itoa(f.vcpus),
		})
	}
	writeOK(w, map[string]any{"flavors": rows})
}

func (s *Server) flavor(id string) (flavorSeed, bool) {
	for _, f := range s.flavors {
		if f.id == id {
			return f, true
		}
	}
	return flavorSeed{}, false
}

// Answers.

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakekit.WriteJSONAs(w, "application/json;charset=UTF-8", status, v)
}

func writeOK(w http.ResponseWriter, payload map[string]any) {
	if payload == nil {
		payload = map[string]any{}
	}
	payload["header"] = map[string]any{"isSuccessful": true, "resultCode": 0, "resultMessage": "SUCCESS"}
	writeJSON(w, http.StatusOK, payload)
}

func writeFail(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"header": map[string]any{"isSuccessful": false, "resultCode": code, "resultMessage": msg},
	})
}

// notFoundPage is what the front web server answers for an unknown path: an
// HTML page, not an envelope.
func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n")
}

// decodeBody reads a JSON body; a body that is not JSON is resultCode -8.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := fakekit.ReadBody(r)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeFail(w, http.StatusOK, -8, "JSON parsing error : "+fakekit.JSONErrorText(err))
		return false
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
