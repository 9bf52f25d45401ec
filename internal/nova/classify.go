package nova

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
)

// Classifier turns any failure of a backend call made through gophercloud
// into a *driver.Error. The order is fixed: a *driver.Error passes
// through; an HTTP error answer goes to HTTP; a failure to get an answer
// (transport, cancellation, deadline) is backendhttp.TransportError; the
// rest goes to Other, then to an UNAVAILABLE "unexpected" error.
type Classifier struct {
	// What names the operation for messages ("NHN Cloud get instance 1",
	// `ListInstances on k5 cloud "x"`).
	What func(op string) string
	// HTTP classifies an HTTP error answer: the dialect's own cases on top
	// of HTTPError. Required.
	HTTP func(op string, ue gophercloud.ErrUnexpectedResponseCode) *driver.Error
	// Other, when set, may classify a failure that is neither an HTTP
	// answer nor a transport failure (a malformed body, say); nil: not its.
	Other func(op string, err error) *driver.Error
	// Unexpected is the message's tail for whatever is left.
	Unexpected string
}

// Classify classifies err (nil: nil).
func (c Classifier) Classify(ctx context.Context, op string, err error) *driver.Error {
	if err == nil {
		return nil
	}
	if de, ok := errors.AsType[*driver.Error](err); ok {
		return de
	}
	if ue, ok := errors.AsType[gophercloud.ErrUnexpectedResponseCode](err); ok {
		return c.HTTP(op, ue)
	}
	if IsTransport(ctx, err) {
		return backendhttp.TransportError(ctx, c.What(op), err)
	}
	if c.Other != nil {
		if de := c.Other(op, err); de != nil {
			return de
		}
	}
	return &driver.Error{Code: driver.CodeUnavailable, Message: c.What(op) + ": " + c.Unexpected, Err: err}
}

// IsTransport reports whether err is a failure to get an HTTP answer at
// all (a *url.Error or net.Error, the context's end).
func IsTransport(ctx context.Context, err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || ctx.Err() != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// IsUnauthorized reports whether the backend answered HTTP 401.
func IsUnauthorized(err error) bool {
	return gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)
}

// HTTPError is what every Nova dialect reads from an HTTP error answer:
// the code backendhttp.CodeForStatus gives, the vendor's status, fault name
// and message, and how long to wait: on 413 and 429 the Retry-After header
// or else the fault's retryAfter, on 5xx the Retry-After header. The
// dialect then settles its own cases (401 after a fresh token, a fault
// name that means another code) and writes the message.
func HTTPError(ue gophercloud.ErrUnexpectedResponseCode, now time.Time) (*driver.Error, Fault) {
	f := ParseFault(ue.Body)
	e := &driver.Error{
		Code:             backendhttp.CodeForStatus(ue.Actual),
		VendorHTTPStatus: ue.Actual,
		VendorCode:       f.Name,
		VendorMessage:    f.Message,
	}
	switch {
	case ue.Actual == http.StatusRequestEntityTooLarge || ue.Actual == http.StatusTooManyRequests:
		e.RetryAfter = backendhttp.RetryAfter(ue.ResponseHeader, now)
		if e.RetryAfter == 0 {
			e.RetryAfter = f.RetryAfter
		}
	case ue.Actual >= 500:
		e.RetryAfter = backendhttp.RetryAfter(ue.ResponseHeader, now)
	}
	return e, f
}
