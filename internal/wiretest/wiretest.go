// Package wiretest pins an adapter's wire format in its tests, after
// gophercloud's testhelper: a loopback server that records every request
// and answers canned replies, and one check of a request's method, path,
// query, headers and JSON body. The adapters' wire tests build their
// vendor's token answer and expectations on it.
package wiretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync"
	"testing"
)

// Request is one request the server received.
type Request struct {
	Method      string
	Path        string // decoded, as r.URL.Path
	EscapedPath string // as sent, as r.URL.EscapedPath()
	RawQuery    string
	Header      http.Header
	Body        []byte
}

// Reply is a canned answer. A zero Status is 200; a Body is sent as
// application/json unless Header sets Content-Type.
type Reply struct {
	Status int
	Body   string
	Header map[string]string
}

// Write sends the reply.
func (rep Reply) Write(w http.ResponseWriter) {
	if rep.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rep.Body)
}

// Server is a recording endpoint. A request whose "METHOD path" (escaped
// path, or decoded) has replies queued with On gets the first of them (the
// last one repeats); any other goes to Fallback.
type Server struct {
	URL string
	// Fallback answers requests without a route; by default 404 with
	// NotFound's body. Set it before the first request.
	Fallback http.HandlerFunc
	// NotFound is the body of the default 404.
	NotFound string

	hs     *httptest.Server
	mu     sync.Mutex
	routes map[string][]Reply
	reqs   []Request
}

// NewServer starts a Server, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{routes: map[string][]Reply{}}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	t.Cleanup(s.hs.Close)
	return s
}

// Close stops the server early (to test a transport failure); the test's
// end closes it anyway.
func (s *Server) Close() { s.hs.Close() }

// On queues replies for method and path (the path as the client sends it).
func (s *Server) On(method, path string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[method+" "+path] = append(s.routes[method+" "+path], replies...)
}

// Set replaces the replies for method and path with rep.
func (s *Server) Set(method, path string, rep Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[method+" "+path] = []Reply{rep}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{r.Method, r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
	key := r.Method + " " + r.URL.EscapedPath()
	q, ok := s.routes[key]
	if !ok {
		key = r.Method + " " + r.URL.Path
		q, ok = s.routes[key]
	}
	var rep Reply
	if ok && len(q) > 0 {
		rep = q[0]
		if len(q) > 1 {
			s.routes[key] = q[1:]
		}
	}
	s.mu.Unlock()
	switch {
	case ok && len(q) > 0:
		rep.Write(w)
	case s.Fallback != nil:
		s.Fallback(w, r)
	default:
		Reply{Status: http.StatusNotFound, Body: s.NotFound}.Write(w)
	}
}

// Requests returns the requests received since the start or the last
// Reset, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Reset forgets the requests received so far.
func (s *Server) Reset() {
	s.mu.Lock()
	s.reqs = nil
	s.mu.Unlock()
}

// Want is an expected request.
type Want struct {
	Method string
	// Path is compared with the request's decoded path, or with the path
	// as sent when Escaped is set.
	Path    string
	Escaped bool
	// Query is the expected query (any order); nil means none.
	Query url.Values
	// Header lists headers and their exact values; "" means absent.
	Header map[string]string
	// Body is the expected JSON body, compared as JSON values; "" means
	// no body.
	Body string
}

// Check reports (t.Errorf) each way got differs from want; what names the
// request in the messages.
func Check(t testing.TB, what string, got Request, want Want) {
	t.Helper()
	path := got.Path
	if want.Escaped {
		path = got.EscapedPath
	}
	if got.Method != want.Method || path != want.Path {
		t.Errorf("%s: request %s %s, want %s %s", what, got.Method, path, want.Method, want.Path)
	}
	q, _ := url.ParseQuery(got.RawQuery)
	wq := want.Query
	if wq == nil {
		wq = url.Values{}
	}
	if !reflect.DeepEqual(q, wq) {
		t.Errorf("%s: query %v, want %v", what, q, wq)
	}
	for k, v := range want.Header {
		if g := got.Header.Get(k); g != v {
			t.Errorf("%s: header %s %q, want %q", what, k, g, v)
		}
	}
	if want.Body == "" {
		if len(bytes.TrimSpace(got.Body)) != 0 {
			t.Errorf("%s: body %s, want none", what, got.Body)
		}
		return
	}
	JSONEqual(t, what, got.Body, want.Body)
}

// JSONEqual reports (t.Errorf) when got is not JSON or not the JSON value
// want is; a want that is not JSON stops the test.
func JSONEqual(t testing.TB, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: body %q is not JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expected JSON %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: body\n got %s\nwant %s", what, compact(got), compact([]byte(want)))
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(bytes.TrimSpace(b))
	}
	return buf.String()
}
