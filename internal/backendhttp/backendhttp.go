// Package backendhttp holds what every dialect adapter needs from HTTP: a
// client whose connections stay alive under gateway concurrency, and the
// classification of transport failures and HTTP statuses into driver codes,
// and, for the adapters that speak HTTP themselves, one JSON exchange
// (Exchange).
package backendhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/computegw/computegw/driver"
)

// DefaultMaxIdleConnsPerHost is sized for the gateway's expected concurrency
// per cloud (Go's default of 2 makes every burst re-dial and re-handshake).
const DefaultMaxIdleConnsPerHost = 64

// NewClient returns an HTTP client for one backend. It has no overall
// Timeout: every request carries the caller's context, which holds the
// deadline. It never follows a redirect: Go would re-send X-Auth-Token (and,
// on 307/308, a login body with the password) to wherever the redirect
// points, so the 3xx answer itself comes back and the adapter reports it.
// Response bodies are drained before they are closed (see Drain).
func NewClient() *http.Client {
	return &http.Client{Transport: Drain(NewTransport()), CheckRedirect: NoRedirects}
}

// NoRedirects is an http.Client CheckRedirect that hands the redirect answer
// back to the caller instead of following it.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// WithoutRedirects returns a shallow copy of c (same transport, so the same
// keep-alive pool) that does not follow redirects, for adapters given a
// client by their embedder: no vendor answers an API call with a redirect,
// so one is a misconfigured endpoint or something in between, and following
// it would hand the token or the password to wherever it points. Its
// response bodies are drained before they are closed (see Drain).
func WithoutRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = NoRedirects
	cp.Transport = Drain(c.Transport)
	return &cp
}

// MaxDrain bounds how much of an unread response body Close reads and
// discards so that the connection can go back to the keep-alive pool. A
// larger rest is not worth reading: the connection is closed instead.
const MaxDrain = 64 << 10

// Drain wraps base (nil: http.DefaultTransport) so that closing a response
// body first reads and discards what is left of it, up to MaxDrain bytes.
// Go's transport reuses a connection only when the body was read to its
// end; gophercloud (and any JSON decoder) stops at the end of the JSON
// value and closes, leaving the last chunk of a chunked answer unread, so
// without this nearly every list would dial (and handshake) again. Wrapping
// a transport that already drains returns it unchanged.
func Drain(base http.RoundTripper) http.RoundTripper {
	if _, ok := base.(drainingTransport); ok {
		return base
	}
	return drainingTransport{base: base}
}

type drainingTransport struct{ base http.RoundTripper }

func (d drainingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := d.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if resp != nil && resp.Body != nil && resp.Body != http.NoBody && resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body = &drainOnClose{ReadCloser: resp.Body}
	}
	return resp, err
}

// CloseIdleConnections passes on to the wrapped transport (http.Client's
// CloseIdleConnections looks for it).
func (d drainingTransport) CloseIdleConnections() {
	base := d.base
	if base == nil {
		base = http.DefaultTransport
	}
	if ci, ok := base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type drainOnClose struct{ io.ReadCloser }

func (b *drainOnClose) Close() error { return drainAndClose(b.ReadCloser) }

// drainAndClose reads and discards up to MaxDrain bytes of what is left of
// body, so that its connection can be reused, then closes it.
func drainAndClose(body io.ReadCloser) error {
	_, _ = io.CopyN(io.Discard, body, MaxDrain)
	return body.Close()
}

// NewTransport returns the keep-alive transport NewClient uses.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: DefaultMaxIdleConnsPerHost,
		// A hanging backend must not take a connection per waiting call.
		MaxConnsPerHost:       DefaultMaxConcurrent,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// ReasonCircuitOpen is the ErrorInfo reason of a call refused by the
// cloud's open circuit breaker (see Guard).
const ReasonCircuitOpen = "BACKEND_CIRCUIT_OPEN"

// TransportError classifies an error from http.Client.Do (no response):
// the caller's deadline is DEADLINE_EXCEEDED, cancellation is CANCELLED,
// anything else is UNAVAILABLE.
func TransportError(ctx context.Context, what string, err error) *driver.Error {
	if oe, ok := errors.AsType[*OpenError](err); ok {
		return &driver.Error{Code: driver.CodeUnavailable, Reason: ReasonCircuitOpen, RetryAfter: oe.RetryAfter, Err: err,
			Message: fmt.Sprintf("%s: not sent: the cloud's last %d backend calls failed or timed out, so calls are refused for %s (circuit breaker open)",
				what, oe.Failures, oe.RetryAfter.Round(100*time.Millisecond))}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &driver.Error{Code: driver.CodeDeadlineExceeded, Message: what + ": backend did not answer before the deadline", Err: err}
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return &driver.Error{Code: driver.CodeCanceled, Message: what + ": canceled", Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &driver.Error{Code: driver.CodeDeadlineExceeded, Message: what + ": backend timed out", Err: err}
	}
	return &driver.Error{Code: driver.CodeUnavailable, Message: what + ": backend unreachable", Err: err}
}

// StripURL drops the URL from a *url.Error, keeping its cause.
func StripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// CodeForStatus maps a vendor HTTP error status to a driver code: 400, 405,
// 415 and 422 are INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404 NOT_FOUND,
// 409 FAILED_PRECONDITION, 413 and 429 RESOURCE_EXHAUSTED, 501
// UNIMPLEMENTED, 504 DEADLINE_EXCEEDED, other 5xx and 3xx UNAVAILABLE. 401 maps to CodeUnknown here: adapters treat it as an
// expired token first (re-authenticate once) and decide after that.
func CodeForStatus(status int) driver.Code {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity,
		status == http.StatusUnsupportedMediaType, status == http.StatusMethodNotAllowed:
		return driver.CodeInvalidArgument
	case status == http.StatusForbidden:
		return driver.CodePermissionDenied
	case status == http.StatusNotFound:
		return driver.CodeNotFound
	case status == http.StatusConflict:
		return driver.CodeFailedPrecondition
	case status == http.StatusRequestEntityTooLarge, status == http.StatusTooManyRequests:
		return driver.CodeResourceExhausted
	case status == http.StatusNotImplemented:
		return driver.CodeUnimplemented
	case status == http.StatusGatewayTimeout:
		return driver.CodeDeadlineExceeded
	case status >= 500:
		return driver.CodeUnavailable
	case status >= 300 && status < 400:
		// A redirect, not followed (see NewClient): the endpoint in the
		// config is not where the API answers.
		return driver.CodeUnavailable
	}
	return driver.CodeUnknown
}

// RetryAfter parses a Retry-After header (seconds or HTTP date); 0 if absent.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// MaxAnswer bounds how much of one answer Exchange reads.
const MaxAnswer = 16 << 20

// ReadBody reads resp's body whole, at most max+1 bytes (so that a caller
// can tell an answer larger than max): into one buffer of the answer's
// Content-Length when it sends one up to min(max, 1 MiB) (a header alone
// never makes it allocate more), else growing as it reads.
func ReadBody(resp *http.Response, max int64) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= min(max, 1<<20) {
		raw := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, raw); err != nil {
			return nil, err
		}
		return raw, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, max+1))
}

// Request is one JSON exchange for the adapters that speak HTTP themselves
// (toastv1, gcore).
type Request struct {
	Method string
	URL    string      // full URL, path and query escaped
	Body   any         // encoded as JSON; nil for no body
	Header http.Header // sent as is (Accept is application/json unless set)
	// ContentType of a JSON body; "" is application/json.
	ContentType string
}

// Answer is the backend's answer, read whole.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Exchange sends r with client and reads the whole answer (at most
// MaxAnswer bytes). Its error is a *driver.Error whose message leaves the
// operation out (the caller adds it): INTERNAL when the request cannot be
// encoded or built; TransportError when no answer came or it could not be
// read, with the URL dropped from the cause (it may carry credentials, such
// as TOAST's appkey, and says less than the operation); UNAVAILABLE with
// the answer's status when it is larger than MaxAnswer. The answer is
// returned with the too-large error (Body empty), for logging.
func Exchange(ctx context.Context, client *http.Client, r Request) (*Answer, *driver.Error) {
	var body io.Reader
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return nil, &driver.Error{Code: driver.CodeInternal, Message: "could not encode the request body", Err: err}
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, &driver.Error{Code: driver.CodeInternal, Message: "could not build the request", Err: err}
	}
	for k, v := range r.Header {
		hr.Header[k] = v
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	if r.Body != nil {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, TransportError(ctx, "calling the backend", StripURL(err))
	}
	defer resp.Body.Close()
	raw, err := ReadBody(resp, MaxAnswer)
	if err != nil {
		return nil, TransportError(ctx, "reading the backend's answer", StripURL(err))
	}
	ans := &Answer{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if len(raw) > MaxAnswer {
		ans.Body = nil
		return ans, &driver.Error{Code: driver.CodeUnavailable, VendorHTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("the backend's answer is larger than %d bytes", MaxAnswer)}
	}
	return ans, nil
}
