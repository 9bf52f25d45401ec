package k5

import (
	"net/http"
	"testing"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/internal/pathtest"
)

// TestIDsAreOnePathSegment feeds "#", "?", "/", ".." and "%" to every ID
// parameter: each stays one escaped path segment of the vendor URL (K5
// once sent DELETE …/servers/x for the ID "x#frag").
func TestIDsAreOnePathSegment(t *testing.T) {
	srv := newFake(t, fake.Options{})
	rec := &pathtest.Recorder{Base: http.DefaultTransport}
	a := fakeAdapter(t, srv, func(c *Config) { c.HTTPClient = &http.Client{Transport: rec} })
	pathtest.Run(t, a, rec)
}
