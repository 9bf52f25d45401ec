// Package conncount starts a test HTTP server that counts the TCP
// connections it accepts, to check that clients reuse their keep-alive
// connections. It is meant for tests only.
package conncount

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Server is an httptest.Server that counts accepted connections.
type Server struct {
	*httptest.Server
	accepted atomic.Int64
}

// Start serves h on a loopback port until t ends.
func Start(t testing.TB, h http.Handler) *Server {
	t.Helper()
	s := &Server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.accepted.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// StartFake serves a fake vendor whose links and service catalog name its
// own URL (SetURL) until t ends.
func StartFake(t testing.TB, fake interface {
	http.Handler
	SetURL(string)
}) *Server {
	t.Helper()
	s := Start(t, fake)
	fake.SetURL(s.URL)
	return s
}

// Accepted is how many connections the server has accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }
