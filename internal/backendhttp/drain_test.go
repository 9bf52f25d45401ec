package backendhttp

import (
	"encoding/json"
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

	// The same transport without the drain: each list dials again (the
	// test can tell the difference).
	conns.Store(0)
	plain := &http.Client{Transport: NewTransport()}
	for range 5 {
		list(t, plain, srv.URL, proceed)
	}
	if n := conns.Load(); n != 5 {
		t.Errorf("without draining, 5 lists opened %d connection(s), want 5", n)
	}
	plain.CloseIdleConnections()
}

// TestDrainIsBounded: a rest larger than MaxDrain is not read; the
// connection is given up instead.
func TestDrainIsBounded(t *testing.T) {
	srv, conns, proceed := countingServer(t, 4*MaxDrain)
	c := NewClient()
	defer c.CloseIdleConnections()
	for range 3 {
		list(t, c, srv.URL, proceed)
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("3 lists with a %d-byte rest opened %d connections, want 3 (rest not drained)", 4*MaxDrain, n)
	}
}

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
