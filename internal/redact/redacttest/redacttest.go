// Package redacttest is a vendor (or a WAF in front of it) that echoes the
// request in its error answers, for the adapters' redaction tests.
package redacttest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
)

// Echo is an http.RoundTripper: requests that Match are answered with
// Status and Body(dump of the request: line, headers, body) without being
// sent; the others go to Base. It records the tokens it sees.
type Echo struct {
	Base   http.RoundTripper
	Match  func(*http.Request) bool
	Status int
	// Body builds the answer from the dump; nil answers the dump itself
	// as text/html (a WAF page).
	Body        func(dump string) string
	ContentType string

	mu     sync.Mutex
	tokens []string
	echoed int
}

// RoundTrip implements http.RoundTripper.
func (e *Echo) RoundTrip(r *http.Request) (*http.Response, error) {
	if t := r.Header.Get("X-Auth-Token"); t != "" {
		e.mu.Lock()
		e.tokens = append(e.tokens, t)
		e.mu.Unlock()
	}
	if !e.Match(r) {
		return e.Base.RoundTrip(r)
	}
	dump, err := httputil.DumpRequestOut(r, true)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.echoed++
	e.mu.Unlock()
	body, ct := string(dump), "text/html"
	if e.Body != nil {
		body, ct = e.Body(string(dump)), e.ContentType
	}
	return &http.Response{
		StatusCode:    e.Status,
		Status:        http.StatusText(e.Status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {ct}},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// Tokens returns the X-Auth-Token values seen so far.
func (e *Echo) Tokens() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.tokens...)
}

// Echoed reports how many requests were answered with an echo.
func (e *Echo) Echoed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.echoed
}

// Leaks returns the secrets that appear in text.
func Leaks(text string, secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	return out
}
