package fakekit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listener is a fake's HTTP server on a random loopback port.
type Listener struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string
	srv *http.Server
}

// Listen serves h on 127.0.0.1 (a random port) until Close. Like
// httptest.NewServer, it panics if it cannot listen.
func Listen(h http.Handler) *Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fake: listen on 127.0.0.1: %v", err))
	}
	l := &Listener{URL: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = l.srv.Serve(ln) }()
	return l
}

// Close stops the server, giving requests in flight two seconds. A nil
// Listener (a fake made without one) closes as a no-op.
func (l *Listener) Close() {
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}
