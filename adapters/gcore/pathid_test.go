package gcore_test

import (
	"net/http"
	"testing"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/internal/pathtest"
)

// TestIDsAreOnePathSegment feeds "#", "?", "/", ".." and "%" to every ID
// parameter: each stays one escaped path segment of the Gcore URL.
func TestIDsAreOnePathSegment(t *testing.T) {
	rec := &pathtest.Recorder{Base: http.DefaultTransport}
	a, _ := fakeAdapter(t, fake.Options{Seed: true}, func(c *gcore.Config) { c.HTTPClient = &http.Client{Transport: rec} })
	pathtest.Run(t, a, rec)
}
