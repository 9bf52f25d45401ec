package nhnv2

import (
	"net/http"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/internal/pathtest"
)

// TestIDsAreOnePathSegment feeds "#", "?", "/", ".." and "%" to every ID
// parameter: each stays one escaped path segment of the vendor URL.
func TestIDsAreOnePathSegment(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	rec := &pathtest.Recorder{Base: http.DefaultTransport}
	a := newAdapter(t, srv, func(c *Config) { c.HTTPClient = &http.Client{Transport: rec} })
	pathtest.Run(t, a, rec)
}
