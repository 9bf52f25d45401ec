package wiretest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/computegw/computegw/driver"
)

// Untrusted starts a server (closed when the test ends) that answers 404
// to everything, standing for a host a vendor's service catalog names but
// the gateway must not trust. Carried counts the requests that reached it
// with the header set (X-Auth-Token: the token leaked).
type Untrusted struct {
	URL     string
	Host    string
	carried atomic.Int32
}

// NewUntrusted starts an Untrusted server counting header.
func NewUntrusted(t testing.TB, header string) *Untrusted {
	u := &Untrusted{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(header) != "" {
			u.carried.Add(1)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(hs.Close)
	u.URL, u.Host = hs.URL, strings.TrimPrefix(hs.URL, "http://")
	return u
}

// Carried reports how many requests arrived with the header.
func (u *Untrusted) Carried() int { return int(u.carried.Load()) }

// WantNotAllowed stops the test unless err is the FAILED_PRECONDITION
// (reason BACKEND_ENDPOINT_NOT_ALLOWED) naming the host and the
// allowed_endpoint_hosts config key, and the host got no request with the
// header.
func (u *Untrusted) WantNotAllowed(t testing.TB, err error) {
	t.Helper()
	de, _ := err.(*driver.Error)
	if de == nil || de.Code != driver.CodeFailedPrecondition || de.Reason != "BACKEND_ENDPOINT_NOT_ALLOWED" ||
		!strings.Contains(de.Message, u.Host) || !strings.Contains(de.Message, "allowed_endpoint_hosts") {
		t.Fatalf("got %#v, want FAILED_PRECONDITION naming %s and allowed_endpoint_hosts", err, u.Host)
	}
	if n := u.Carried(); n != 0 {
		t.Fatalf("the untrusted host received the token %d times", n)
	}
}
