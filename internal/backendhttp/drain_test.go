package backendhttp

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// countingServer answers every request with a chunked JSON list whose
// last chunk (json.Encoder's newline, then extra spaces) and terminating
// chunk come only after the client has decoded the value, as on a real
// network where the end of a large answer is still in flight when the
// decoder is done. A JSON decoder stops short of that rest. conns counts
// the TCP connections accepted; the client sends on proceed once it has
// decoded.
func countingServer(t *testing.T, extra int) (srv *httptest.Server, conns *atomic.Int64, proceed chan struct{}) {
	t.Helper()
	conns, proceed = new(atomic.Int64), make(chan struct{})
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"servers":[{"id":"a"},{"id":"b"}]}`))
		w.(http.Flusher).Flush() // no Content-Length: chunked
		select {
		case <-proceed:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte("\n" + strings.Repeat(" ", extra)))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns, proceed
}

// list does what gophercloud does with a list answer: decode the JSON value
// and close the body without reading on to EOF.
func list(t *testing.T, c *http.Client, url string, proceed chan<- struct{}) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Servers []struct{ ID string } }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || len(body.Servers) != 2 {
		t.Fatalf("decode: %v %+v", err, body)
	}
	proceed <- struct{}{}
	if err := res.Body.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestClosedBodiesAreDrainedSoConnectionsAreReused(t *testing.T) {
	srv, conns, proceed := countingServer(t, 0)
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{
		{"NewClient", NewClient()},
		{"WithoutRedirects of an embedder's client", WithoutRedirects(&http.Client{Transport: NewTransport()})},
		{"WithoutRedirects of NewClient", WithoutRedirects(NewClient())},
	} {
		conns.Store(0)
		for range 20 {
			list(t, tc.client, srv.URL, proceed)
		}
		if n := conns.Load(); n != 1 {
			t.Errorf("%s: 20 lists opened %d connections, want 1", tc.name, n)
		}
		tc.client.CloseIdleConnections()
	}

	// The same transport without the drain dials again per list on Go
	// releases whose transport does not drain a closed body itself (Go 1.27
	// began to); there the comparison shows the wrapper is what reuses.
	conns.Store(0)
	plain := &http.Client{Transport: NewTransport()}
	for range 5 {
		list(t, plain, srv.URL, proceed)
	}
	plain.CloseIdleConnections()
	if n := conns.Load(); n != 5 {
		t.Logf("without the wrapper, 5 lists opened %d connection(s): this Go release drains closed bodies itself", n)
	}
}

// TestDrainIsBounded: Close reads at most MaxDrain bytes of a larger rest
// and then closes the body (the connection is given up, not read to its end).
func TestDrainIsBounded(t *testing.T) {
	for _, rest := range []int{0, 100, MaxDrain, 4 * MaxDrain} {
		body := &countingBody{left: rest}
		rt := Drain(roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: body}, nil
		}))
		req, _ := http.NewRequest(http.MethodGet, "http://backend.invalid/", nil)
		res, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Body.Close(); err != nil {
			t.Fatal(err)
		}
		want := min(rest, MaxDrain)
		if body.read != want || !body.closed {
			t.Errorf("rest %d: Close read %d bytes (closed=%v), want %d and closed", rest, body.read, body.closed, want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// countingBody is a body with left bytes still unread.
type countingBody struct {
	left, read int
	closed     bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), b.left)
	b.left -= n
	b.read += n
	return n, nil
}

func (b *countingBody) Close() error { b.closed = true; return nil }

func TestDrainKeepsCloseIdleConnections(t *testing.T) {
	srv, conns, proceed := countingServer(t, 0)
	c := NewClient()
	list(t, c, srv.URL, proceed)
	c.CloseIdleConnections() // must reach the *http.Transport under the wrapper
	list(t, c, srv.URL, proceed)
	if n := conns.Load(); n != 2 {
		t.Errorf("after CloseIdleConnections: %d connections, want 2 (idle one closed)", n)
	}
	c.CloseIdleConnections()
	if Drain(Drain(nil)) != Drain(nil) {
		t.Error("Drain of a draining transport wraps it again")
	}
}
