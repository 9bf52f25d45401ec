package backendhttp

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadBody: the whole body with or without a Content-Length, and at
// most max+1 bytes of a larger one (so the caller can tell it is too large).
func TestReadBody(t *testing.T) {
	for _, c := range []struct {
		name   string
		body   string
		length int64
		max    int64
		want   string
	}{
		{"sized", "hello", 5, 100, "hello"},
		{"chunked", "hello", -1, 100, "hello"},
		{"larger than max, sized", "hello world", 11, 4, "hello"},
		{"larger than max, chunked", "hello world", -1, 4, "hello"},
	} {
		resp := &http.Response{ContentLength: c.length, Body: io.NopCloser(strings.NewReader(c.body))}
		got, err := ReadBody(resp, c.max)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: ReadBody = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	short := &http.Response{ContentLength: 10, Body: io.NopCloser(strings.NewReader("abc"))}
	if _, err := ReadBody(short, 100); err == nil {
		t.Error("a body shorter than its Content-Length read without error")
	}
}
