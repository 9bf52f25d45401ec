// Package faulttest injects backend faults below an adapter: an
// http.RoundTripper that, for the requests it matches, refuses the
// connection (a real dial to a closed port), answers 503, or sends the
// request on and then cuts the connection before the answer arrives (the
// vendor acted, the gateway never heard).
package faulttest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// Fault is what happens to a matched request.
type Fault int

const (
	// Refuse dials a port nothing listens on: the request is never written.
	Refuse Fault = iota
	// Answer503 answers 503 without passing the request on.
	Answer503
	// ResetAfterSend passes the request on (the vendor acts on it) and
	// then fails as if the connection was reset before the answer.
	ResetAfterSend
)

// Transport applies Fault to the requests Match selects and passes the
// others to Base.
type Transport struct {
	Base  http.RoundTripper
	Match func(*http.Request) bool
	Fault Fault
	hits  atomic.Int32
}

// Hits reports how many requests were faulted.
func (t *Transport) Hits() int { return int(t.hits.Load()) }

// ClosedAddr is a loopback host:port nothing listens on (a port just
// released), for a backend that refuses connections.
func ClosedAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !t.Match(r) {
		return t.Base.RoundTrip(r)
	}
	t.hits.Add(1)
	switch t.Fault {
	case Refuse:
		r2 := r.Clone(r.Context())
		r2.URL.Host = ClosedAddr()
		r2.Host = ""
		return t.Base.RoundTrip(r2)
	case Answer503:
		if r.Body != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(io.MultiReader()), Request: r}, nil
	default:
		res, err := t.Base.RoundTrip(r)
		if err == nil {
			res.Body.Close()
		}
		return nil, errors.New("read tcp: connection reset by peer")
	}
}
