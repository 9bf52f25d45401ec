package demo

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/eventually"
)

// countedConn counts itself out of open when it is closed.
type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}

// TestCloseReleasesTheGivenClientsConnections: every dialect's Close
// closes the idle connections of the HTTP client it was given (the gateway
// gives each cloud its own), not only of one it made itself.
func TestCloseReleasesTheGivenClientsConnections(t *testing.T) {
	for _, c := range Clouds {
		t.Run(c.Name, func(t *testing.T) {
			var open atomic.Int64
			tr := backendhttp.NewTransport()
			dial := tr.DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				conn, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				open.Add(1)
				return &countedConn{Conn: conn, open: &open}, nil
			}
			a, stop, err := c.Start(nil, &http.Client{Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10}); err != nil {
				t.Fatal(err)
			}
			if open.Load() == 0 {
				t.Fatal("no connection open after a list: the adapter did not use the given client")
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			eventually.Nil(t, 5*time.Second, "every connection of the given client closed", func() error {
				if n := open.Load(); n != 0 {
					return eventually.NotYet("%d still open", n)
				}
				return nil
			})
		})
	}
}
