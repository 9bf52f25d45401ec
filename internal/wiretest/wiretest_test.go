package wiretest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps the failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, f) }

// Fatalf records the message and stops the caller (by panicking).
func (r *recorder) Fatalf(f string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
	panic("fatal")
}

func do(t *testing.T, method, u, body string, h map[string]string) (int, string) {
	t.Helper()
	st, hdr, raw := Call(t, method, u, "application/json", body, h)
	return st, hdr.Get("Content-Type") + " " + string(raw)
}

func TestServerRoutesQueuesAndRecords(t *testing.T) {
	s := NewServer(t)
	s.NotFound = `{"nope":1}`
	s.On("GET", "/a", Reply{Body: `{"n":1}`}, Reply{Status: 202, Body: `{"n":2}`, Header: map[string]string{"X-R": "y"}})
	s.Set("POST", "/b%2Fc", Reply{Status: 204})
	for _, want := range []struct {
		status int
		answer string
	}{{200, `application/json {"n":1}`}, {202, `application/json {"n":2}`}, {202, `application/json {"n":2}`}} {
		if st, got := do(t, "GET", s.URL+"/a", "", nil); st != want.status || got != want.answer {
			t.Errorf("GET /a: %d %q, want %d %q", st, got, want.status, want.answer)
		}
	}
	if st, _ := do(t, "POST", s.URL+"/b%2Fc?x=1", `{"k":"v"}`, map[string]string{"X-Auth-Token": "tok"}); st != 204 {
		t.Errorf("escaped route: %d", st)
	}
	if st, got := do(t, "GET", s.URL+"/none", "", nil); st != 404 || got != `application/json {"nope":1}` {
		t.Errorf("no route: %d %q", st, got)
	}
	reqs := s.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests recorded, want 5", len(reqs))
	}
	post := reqs[3]
	Check(t, "post", post, Want{Method: "POST", Path: "/b%2Fc", Escaped: true, Query: url.Values{"x": {"1"}},
		Header: map[string]string{"X-Auth-Token": "tok", "X-Absent": ""}, Body: `{ "k": "v" }`})
	if post.Path != "/b/c" {
		t.Errorf("decoded path %q", post.Path)
	}
	s.Reset()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests after Reset", n)
	}
	s.Fallback = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) }
	if st, _ := do(t, "GET", s.URL+"/other", "", nil); st != 418 {
		t.Errorf("fallback: %d", st)
	}
}

func TestCheckReportsEachDifference(t *testing.T) {
	got := Request{Method: "GET", Path: "/p", EscapedPath: "/p", RawQuery: "a=1",
		Header: http.Header{"Accept": {"application/json"}, "Content-Type": {"text/plain"}}, Body: []byte(`{"a":1}`)}
	for name, c := range map[string]struct {
		want  Want
		fails int
	}{
		"same":         {Want{Method: "GET", Path: "/p", Query: url.Values{"a": {"1"}}, Header: map[string]string{"Accept": "application/json"}, Body: `{"a": 1}`}, 0},
		"method, path": {Want{Method: "PUT", Path: "/q", Query: url.Values{"a": {"1"}}, Body: `{"a":1}`}, 1},
		"query":        {Want{Method: "GET", Path: "/p", Body: `{"a":1}`}, 1},
		"headers":      {Want{Method: "GET", Path: "/p", Query: url.Values{"a": {"1"}}, Header: map[string]string{"Accept": "x", "Content-Type": ""}, Body: `{"a":1}`}, 2},
		"body":         {Want{Method: "GET", Path: "/p", Query: url.Values{"a": {"1"}}, Body: `{"a":2}`}, 1},
		"no body":      {Want{Method: "GET", Path: "/p", Query: url.Values{"a": {"1"}}}, 1},
	} {
		r := &recorder{TB: t}
		Check(r, name, got, c.want)
		if len(r.errs) != c.fails {
			t.Errorf("%s: %d failures %q, want %d", name, len(r.errs), r.errs, c.fails)
		}
	}
	r := &recorder{TB: t}
	JSONEqual(r, "not JSON", []byte("<html>"), `{}`)
	if len(r.errs) != 1 {
		t.Errorf("a body that is not JSON passed")
	}
}

func TestCallAndObject(t *testing.T) {
	s := NewServer(t)
	s.On("PUT", "/o", Reply{Status: 201, Body: `{"ok": true}`, Header: map[string]string{"X-Subject-Token": "t"}})
	st, h, raw := Call(t, "PUT", s.URL+"/o", "application/json;charset=UTF-8", `{"a":1}`, map[string]string{"X-Auth-Token": "tok", "X-Empty": ""})
	if st != 201 || h.Get("X-Subject-Token") != "t" || Object(t, "put", raw)["ok"] != true {
		t.Fatalf("answer %d %v %q", st, h, raw)
	}
	got := s.Requests()[0]
	Check(t, "sent", got, Want{Method: "PUT", Path: "/o", Body: `{"a":1}`,
		Header: map[string]string{"Content-Type": "application/json;charset=UTF-8", "X-Auth-Token": "tok"}})
	if _, sent := got.Header["X-Empty"]; sent {
		t.Error("an empty header was sent")
	}
	if m := Object(t, "empty", []byte(" \n")); m != nil {
		t.Errorf("empty answer decoded as %v", m)
	}
}

type closer struct{ closed *bool }

func (c closer) Close() error { *c.closed = true; return nil }

func TestOpenAndClosing(t *testing.T) {
	var closed, fakeClosed bool
	var got string
	t.Run("test", func(t *testing.T) {
		Open(t, func(cfg string) (closer, error) { got = cfg; return closer{&closed}, nil }, "a",
			func(c *string) { *c += "b" }, nil, func(c *string) { *c += "c" })
		Closing(t, &fakeServer{closed: &fakeClosed})
		if closed || fakeClosed {
			t.Fatal("closed before the test ended")
		}
	})
	if got != "abc" || !closed || !fakeClosed {
		t.Fatalf("config %q, adapter closed %v, fake closed %v", got, closed, fakeClosed)
	}
}

type fakeServer struct{ closed *bool }

func (f *fakeServer) Close() { *f.closed = true }

func TestConcurrently(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]bool{}
	Concurrently(t, 50, func(i int) error { mu.Lock(); seen[i] = true; mu.Unlock(); return nil })
	if len(seen) != 50 {
		t.Fatalf("%d of 50 calls ran", len(seen))
	}
	r := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		Concurrently(r, 3, func(i int) error {
			if i == 1 {
				return errors.New("boom")
			}
			return nil
		})
	}()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "call 1 of 3: boom") {
		t.Fatalf("failures %q", r.errs)
	}
}
