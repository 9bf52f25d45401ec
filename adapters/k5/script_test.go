package k5

// A scripted K5 server for wire-format tests: it answers Keystone v3 token
// requests (recording them) and, for compute, expects an exact sequence of
// exchanges, asserting method, path, query, headers and JSON body of each
// and answering with the canned response (the guide's example).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/wiretest"
)

const (
	testProject  = "1234567890abcdef1234567890abcdef"
	testDomain   = "987654321"
	testUser     = "wire-user"
	testPassword = "s3cr3t-Pa55word!"
	testToken    = "gAAAAAwire-test-token-value"
)

type exchange struct {
	method string
	path   string // after the compute base, e.g. "/servers/detail"
	query  string // expected query (any order); "" means none
	body   string // expected JSON body; "" means no body
	status int
	header map[string]string // response headers
	resp   string            // response body
}

type script struct {
	t   *testing.T
	srv *wiretest.Server

	mu          sync.Mutex
	steps       []exchange
	next        int
	tokenReqs   int
	tokenBodies []string
	tokenStatus int    // 0: 201
	computePath string // path prefix where compute requests are expected; default "/v2/{project}"
	catalogPath string // path of the catalog's public compute endpoint; default computePath
	noCompute   bool   // catalog without a compute service
	otherRegion bool   // catalog lists a jp-1 public compute endpoint (unreachable) before uk-1's
	expiresAt   time.Time
}

func newScript(t *testing.T, steps ...exchange) *script {
	t.Helper()
	s := &script{t: t, steps: steps, computePath: "/v2/" + testProject, expiresAt: time.Now().Add(time.Hour).UTC()}
	s.srv = wiretest.NewServer(t)
	s.srv.Fallback = s.serve
	return s
}

func (s *script) adapter(t *testing.T, mod ...func(*Config)) *Adapter {
	t.Helper()
	return wiretest.Open(t, New, Config{Name: "wire", IdentityEndpoint: s.srv.URL, DomainName: testDomain,
		ProjectID: testProject, Username: testUser, Password: testPassword}, mod...)
}

func (s *script) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v3/auth/tokens" {
		s.serveToken(w, r, body)
		return
	}
	s.mu.Lock()
	if s.next >= len(s.steps) {
		s.mu.Unlock()
		s.t.Errorf("unexpected compute request %s %s (script has %d steps)", r.Method, r.URL, len(s.steps))
		w.WriteHeader(http.StatusTeapot)
		return
	}
	ex := s.steps[s.next]
	s.next++
	s.mu.Unlock()

	h := map[string]string{"X-Auth-Token": testToken, "Accept": "application/json"}
	if ex.body != "" {
		h["Content-Type"] = "application/json"
	}
	wantQ, _ := url.ParseQuery(ex.query)
	got := wiretest.Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header, Body: body}
	wiretest.Check(s.t, ex.method+" "+ex.path, got, wiretest.Want{Method: ex.method, Path: s.computePath + ex.path, Query: wantQ, Header: h, Body: ex.body})
	for k, v := range ex.header {
		w.Header().Set(k, v)
	}
	if ex.resp != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(ex.status)
	_, _ = io.WriteString(w, ex.resp)
}

func (s *script) serveToken(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	s.tokenReqs++
	s.tokenBodies = append(s.tokenBodies, string(body))
	status, computePath, exp, noCompute, otherRegion := s.tokenStatus, s.computePath, s.expiresAt, s.noCompute, s.otherRegion
	if s.catalogPath != "" {
		computePath = s.catalogPath
	}
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		s.t.Errorf("token request %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	if r.Header.Get("X-Auth-Token") != "" {
		s.t.Errorf("token request carries X-Auth-Token")
	}
	if status != 0 && status != http.StatusCreated {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}`)
		return
	}
	catalog := []any{
		map[string]any{"type": "identity", "name": "keystone", "endpoints": []any{
			map[string]any{"interface": "public", "region": "uk-1", "url": s.srv.URL + "/v3"}}},
	}
	if !noCompute {
		endpoints := []any{
			map[string]any{"interface": "internal", "region": "uk-1", "url": "http://internal.invalid/v2/" + testProject},
			map[string]any{"interface": "public", "region": "uk-1", "url": s.srv.URL + computePath}}
		if otherRegion {
			endpoints = append([]any{map[string]any{"interface": "public", "region": "jp-1", "url": "http://127.0.0.1:1/v2/" + testProject}}, endpoints...)
		}
		catalog = append(catalog, map[string]any{"type": "compute", "name": "nova", "endpoints": endpoints})
	}
	w.Header().Set("X-Subject-Token", testToken)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
		"methods":    []string{"password"},
		"expires_at": exp.Format("2006-01-02T15:04:05.000000Z"),
		"issued_at":  time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		"project":    map[string]any{"id": testProject, "name": "p", "domain": map[string]any{"id": "d", "name": testDomain}},
		"user":       map[string]any{"id": "u", "name": testUser, "domain": map[string]any{"id": "d", "name": testDomain}},
		"catalog":    catalog,
	}})
}

// done asserts that every scripted exchange happened.
func (s *script) done(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next != len(s.steps) {
		t.Errorf("%d of %d scripted compute requests were made", s.next, len(s.steps))
	}
}

func (s *script) tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

func assertJSON(t *testing.T, what, got, want string) {
	t.Helper()
	wiretest.JSONEqual(t, what, []byte(got), want)
}
