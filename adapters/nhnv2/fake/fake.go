// Package fake is a stateful, in-process emulation of the NHN Cloud Instance
// API v2 and its Keystone v2.0 token endpoint, written from the vendor guide
// (nhn-v2-instance-api.md and its newer revision). It is for the nhnv2
// adapter's tests, the shared conformance suite, the gateway's demo mode and
// the end-to-end tests: it speaks the guide's paths, field names, status
// codes and Nova fault bodies, moves servers through BUILD → ACTIVE and the
// other transitions after configurable delays, answers 409 to invalid
// transitions and counts token requests.
//
// It must not import the adapter (the adapter's demo mode imports it).
package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

// Options configure a fake NHN server. Zero values pick the defaults.
type Options struct {
	// TenantID, Username and Password are the credentials the token endpoint
	// accepts. Defaults: DemoTenantID, DemoUsername, DemoPassword.
	TenantID string
	Username string
	Password string
	// Region is the region of the catalog's compute endpoint. Default "KR1".
	Region string
	// TokenTTL is how long an issued token is valid. Default 12h (NHN's).
	TokenTTL time.Duration
	// BuildDelay is how long a new server stays in BUILD; ActionDelay how
	// long start/stop/reboot/resize/shelve/unshelve take; DeleteDelay how long
	// a deleted server stays visible with task_state "deleting". Zero means
	// the transition completes on the next read.
	BuildDelay  time.Duration
	ActionDelay time.Duration
	DeleteDelay time.Duration
	// SeedInstances adds the demo instances (two or more) to the always
	// seeded flavors, zones, images, networks, security groups, volumes and
	// key pair.
	SeedInstances bool
	// InstanceQuota is the most servers the tenant may have; creating more
	// answers 413 overLimit. Default 100.
	InstanceQuota int
	// MaxLimit is the most servers one list page holds whatever limit the
	// caller asks for, as Nova's osapi_max_limit caps pages (the answer
	// then carries a "next" link). Default 1000.
	MaxLimit int
	// RecordRequests keeps every request (method, path, query, headers,
	// body) for Requests(). Off by default: the demo runs for long.
	RecordRequests bool
	// Now is the clock for token expiry and transitions. Default time.Now.
	Now func() time.Time
}

// Request is one recorded request (see Options.RecordRequests).
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Server is a running fake NHN Cloud (identity and compute on one URL). Its
// URL is the base URL: identity at URL+"/v2.0/tokens", compute at
// URL+"/v2/{tenantId}/...".
type Server struct {
	fakekit.IdentityBase
	opt Options
	mux *http.ServeMux

	mu         sync.Mutex
	requests   []Request
	servers    map[string]*server
	deleted    map[string]*server // deleted servers, as DELETED (changes-since lists, markers)
	flavors    []*flavor
	images     map[string]string // id -> name
	networks   []*network
	ports      map[string]*port
	secGroups  map[string]bool
	volumes    map[string]*volume
	keypairs   map[string]*keypair
	keypairSeq int
	usedIPs    map[string]bool
}

// NewServer starts a fake NHN server on a loopback port. Close it when done.
func NewServer(opt Options) *Server {
	return fakekit.Serve(NewHandler(opt), "")
}

// NewHandler returns the fake as an http.Handler without starting a
// listener (for use under a caller's own httptest.Server). URL is empty
// until the caller sets it with SetURL (links and the service catalog use it).
func NewHandler(opt Options) *Server {
	fakekit.Defaults(&opt, Options{
		TenantID: DemoTenantID, Username: DemoUsername, Password: DemoPassword, Region: "KR1",
		TokenTTL: 12 * time.Hour, InstanceQuota: 100, Now: time.Now,
	})
	s := &Server{
		IdentityBase: fakekit.NewIdentityBase(opt.Now, opt.TokenTTL),
		opt:          opt,
		servers:      map[string]*server{},
		deleted:      map[string]*server{},
		images:       map[string]string{},
		ports:        map[string]*port{},
		secGroups:    map[string]bool{},
		volumes:      map[string]*volume{},
		keypairs:     map[string]*keypair{},
		usedIPs:      map[string]bool{},
	}
	s.seed()
	s.routes()
	return s
}

// SetURL sets the base URL used in links and the service catalog when the
// handler is served by the caller (NewHandler).
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	s.URL = strings.TrimRight(u, "/")
	s.mu.Unlock()
}

// TenantID is the tenant the fake serves.
func (s *Server) TenantID() string { return s.opt.TenantID }

// RevokeTokens makes every token issued so far invalid, as if they had
// expired early: the next compute call with one answers 401.
func (s *Server) RevokeTokens() { s.Tokens.Revoke() }

// Requests returns the recorded requests (Options.RecordRequests).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServerStatus reports a server's current status and task state (tests).
func (s *Server) ServerStatus(id string) (status, taskState string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.servers[id]
	if sv == nil {
		return "", "", false
	}
	s.advance(sv)
	if s.servers[id] == nil {
		return "", "", false
	}
	return sv.Status, sv.TaskState, true
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opt.RecordRequests {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		s.mu.Unlock()
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /v2.0/tokens", s.handleTokens)

	// The compute API, under /v2/{tenant} and behind the token check.
	for pattern, h := range map[string]http.HandlerFunc{
		"GET /servers":                                        s.handleListServers(false),
		"GET /servers/detail":                                 s.handleListServers(true),
		"POST /servers":                                       s.handleCreateServer,
		"GET /servers/{id}":                                   s.handleGetServer,
		"PUT /servers/{id}":                                   s.handleUpdateServer,
		"DELETE /servers/{id}":                                s.handleDeleteServer,
		"POST /servers/{id}/action":                           s.handleAction,
		"GET /servers/{id}/os-volume_attachments":             s.handleListAttachments,
		"POST /servers/{id}/os-volume_attachments":            s.handleAttach,
		"GET /servers/{id}/os-volume_attachments/{volume}":    s.handleGetAttachment,
		"DELETE /servers/{id}/os-volume_attachments/{volume}": s.handleDetach,
		"GET /flavors":                                        s.handleListFlavors(false),
		"GET /flavors/detail":                                 s.handleListFlavors(true),
		"GET /flavors/{id}":                                   s.handleGetFlavor,
		"GET /os-availability-zone":                           s.handleZones,
		"GET /os-keypairs":                                    s.handleListKeypairs,
		"POST /os-keypairs":                                   s.handleCreateKeypair,
		"GET /os-keypairs/{name}":                             s.handleGetKeypair,
		"DELETE /os-keypairs/{name}":                          s.handleDeleteKeypair,
	} {
		method, path, _ := strings.Cut(pattern, " ")
		m.HandleFunc(method+" /v2/{tenant}"+path, s.authenticated(h))
	}
	s.discoveryRoutes(m)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeFault(w, http.StatusNotFound, "itemNotFound", "The resource could not be found.")
	})
	s.mux = m
}

// authenticated checks X-Auth-Token and the tenant in the path, as
// keystonemiddleware does in front of Nova.
func (s *Server) authenticated(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		it, ok := s.Tokens.Valid(tok)
		if tok == "" || !ok {
			unauthorized(w)
			return
		}
		if r.PathValue("tenant") != it.Scope {
			writeFault(w, http.StatusForbidden, "forbidden", "Project ID in the URL does not match the token's project.")
			return
		}
		if (r.Method == http.MethodPost || r.Method == http.MethodPut) &&
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeFault(w, http.StatusUnsupportedMediaType, "badMediaType", "The request media type is not supported; use application/json.")
			return
		}
		h(w, r)
	}
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	s.Tokens.Counted()
	var req struct {
		Auth struct {
			TenantID            string `json:"tenantId"`
			TenantName          string `json:"tenantName"`
			PasswordCredentials *struct {
				Username string `json:"username"`
				Password string `json:"password"`
			} `json:"passwordCredentials"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeKeystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting to find auth in request body.")
		return
	}
	pc := req.Auth.PasswordCredentials
	if pc == nil || pc.Username == "" || pc.Password == "" {
		writeKeystoneError(w, http.StatusBadRequest, "Bad Request", "Expecting to find passwordCredentials in auth.")
		return
	}
	if pc.Username != s.opt.Username || pc.Password != s.opt.Password ||
		(req.Auth.TenantID != "" && req.Auth.TenantID != s.opt.TenantID) ||
		(req.Auth.TenantID == "" && req.Auth.TenantName == "") {
		writeKeystoneError(w, http.StatusUnauthorized, "Unauthorized", "The request you have made requires authentication.")
		return
	}
	tok := s.Tokens.Issue(fakekit.RandomHex(16), s.opt.TenantID)
	s.mu.Lock()
	base := s.URL
	s.mu.Unlock()
	t := s.opt.TenantID
	writeJSON(w, http.StatusOK, map[string]any{"access": map[string]any{
		"token": map[string]any{
			"id":        tok.ID,
			"expires":   tok.Expires.UTC().Format(time.RFC3339),
			"issued_at": tok.Issued.UTC().Format("2006-01-02T15:04:05.000000"),
			"tenant": map[string]any{
				"id": t, "name": "demo-project", "enabled": true,
				"description": "", "project_domain": "NORMAL",
			},
		},
		"serviceCatalog": []any{
			map[string]any{"type": "compute", "name": "nova", "endpoints": []any{
				map[string]any{"region": s.opt.Region, "publicURL": base + "/v2/" + t},
			}},
			map[string]any{"type": "network", "name": "neutron", "endpoints": []any{
				map[string]any{"region": s.opt.Region, "publicURL": base + "/network"},
			}},
			map[string]any{"type": "image", "name": "glance", "endpoints": []any{
				map[string]any{"region": s.opt.Region, "publicURL": base + "/image"},
			}},
			map[string]any{"type": "volumev2", "name": "cinderv2", "endpoints": []any{
				map[string]any{"region": s.opt.Region, "publicURL": base + "/volume/v2/" + t},
			}},
		},
		"user": map[string]any{
			"id": "b6ab578c20c94306ac1f41ffc4415b29", "username": s.opt.Username,
			"name": s.opt.Username, "roles": []any{map[string]any{"name": "project_admin"}},
			"roles_links": []any{},
		},
		"metadata": map[string]any{"is_admin": 0, "roles": []any{"9fe2ff9ee4384b1894a90878d3e92bab"}},
	}})
}

var (
	writeJSON          = fakekit.WriteJSON
	writeFault         = fakekit.WriteNovaFault
	writeKeystoneError = fakekit.WriteKeystoneError
)

// unauthorized is keystonemiddleware's 401 for a missing, unknown or
// expired token.
func unauthorized(w http.ResponseWriter) {
	writeKeystoneError(w, http.StatusUnauthorized, "Unauthorized", "The request you have made requires authentication.")
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeFault(w, http.StatusBadRequest, "badRequest", fmt.Sprintf(format, args...))
}

func conflict(w http.ResponseWriter, format string, args ...any) {
	writeFault(w, http.StatusConflict, "conflictingRequest", fmt.Sprintf(format, args...))
}

func notFound(w http.ResponseWriter, format string, args ...any) {
	writeFault(w, http.StatusNotFound, "itemNotFound", fmt.Sprintf(format, args...))
}

// decodeBody decodes a JSON request body, answering 400 when it is not JSON.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		badRequest(w, "Malformed request body: %v", err)
		return false
	}
	return true
}

var (
	randomHex = fakekit.RandomHex
	newUUID   = fakekit.NewUUID
)
