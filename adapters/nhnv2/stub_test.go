package nhnv2

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/computegw/computegw/internal/wiretest"
)

// guideTenant is the tenant of the guide's examples.
const guideTenant = "6cdebe3eb0094910bc41f1d42ebe4cb7"

// reply is a canned answer of the wire stub.
type reply struct {
	status int
	body   string
	header map[string]string
}

type recorded = wiretest.Request

// wireStub is a scripted NHN endpoint: it answers the token request like
// Keystone v2.0 and every other request from routes ("METHOD /path"), and
// records what it received, so tests can assert the exact wire format.
type wireStub struct{ srv *wiretest.Server }

func newWireStub(t *testing.T) (*wireStub, *Adapter) {
	t.Helper()
	s := &wireStub{srv: wiretest.NewServer(t)}
	s.srv.Fallback = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2.0/tokens" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, tokenAnswer, s.srv.URL+"/v2/"+guideTenant)
			return
		}
		wiretest.Reply{Status: http.StatusNotFound,
			Body: fmt.Sprintf(`{"itemNotFound":{"code":404,"message":"stub has no route %s %s"}}`, r.Method, r.URL.EscapedPath())}.Write(w)
	}
	a, err := New(Config{
		Name: "wire", IdentityEndpoint: s.srv.URL, TenantID: guideTenant,
		Username: "user@example.com", Password: "wire-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

func (s *wireStub) on(method, path string, r reply) {
	s.srv.Set(method, path, wiretest.Reply{Status: r.status, Body: r.body, Header: r.header})
}

// reqs returns every recorded request, the token request included.
func (s *wireStub) reqs() []recorded { return s.srv.Requests() }

// calls returns the recorded requests other than the token request.
func (s *wireStub) calls() []recorded {
	var out []recorded
	for _, r := range s.srv.Requests() {
		if r.EscapedPath != "/v2.0/tokens" {
			out = append(out, r)
		}
	}
	return out
}

func (s *wireStub) reset() { s.srv.Reset() }

// expectRequest asserts one API request: method, path, query, the token
// header, Accept, Content-Type (JSON when a body is expected, none
// otherwise) and the JSON body (compared as JSON values).
func expectRequest(t *testing.T, got recorded, method, path string, query url.Values, body string) {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	wiretest.Check(t, method+" "+path, got, wiretest.Want{Method: method, Path: path, Escaped: true, Query: query, Body: body,
		Header: map[string]string{"X-Auth-Token": "tok-wire-1", "Accept": "application/json", "Content-Type": ct}})
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	wiretest.JSONEqual(t, "request", got, want)
}

// onlyCall returns the single API request made since the last reset.
func (s *wireStub) onlyCall(t *testing.T) recorded {
	t.Helper()
	c := s.calls()
	if len(c) != 1 {
		t.Fatalf("made %d API requests, want 1: %+v", len(c), c)
	}
	return c[0]
}

// tokenAnswer is a Keystone v2.0 answer as NHN Cloud gives it (the compute
// publicURL is filled in).
const tokenAnswer = `{
  "access": {
    "token": {
      "id": "tok-wire-1",
      "expires": "2999-03-07T10:15:25Z",
      "tenant": {"id": "6cdebe3eb0094910bc41f1d42ebe4cb7", "name": "demo", "groupId": "g", "description": "", "enabled": true, "project_domain": "NORMAL"},
      "issued_at": "2020-03-06T22:15:25.000000"
    },
    "serviceCatalog": [
      {"endpoints": [{"region": "KR1", "publicURL": "https://kr1-api-network-infrastructure.nhncloudservice.com"}], "type": "network", "name": "neutron"},
      {"endpoints": [{"region": "KR1", "publicURL": "%s"}], "type": "compute", "name": "nova"}
    ],
    "user": {"id": "u", "username": "user@example.com", "name": "user@example.com", "roles": [{"name": "Member"}], "roles_links": []},
    "metadata": {"is_admin": 0, "roles": ["r"]}
  }
}`
