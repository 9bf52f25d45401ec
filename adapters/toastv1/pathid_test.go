package toastv1_test

import (
	"net/http"
	"testing"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/internal/pathtest"
)

// TestIDsAreOnePathSegment feeds "#", "?", "/", ".." and "%" to every ID
// parameter: each stays one escaped path segment (or one query value) of
// the vendor URL.
func TestIDsAreOnePathSegment(t *testing.T) {
	srv := newFake(t, fake.Options{Demo: true})
	rec := &pathtest.Recorder{Base: http.DefaultTransport}
	a := newAdapter(t, srv, func(c *toastv1.Config) { c.HTTPClient = &http.Client{Transport: rec} })
	pathtest.Run(t, a, rec)
}
