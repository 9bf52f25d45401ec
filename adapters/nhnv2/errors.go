package nhnv2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
)

// fault is a decoded Nova fault body such as
// {"itemNotFound": {"code": 404, "message": "…"}} or a Keystone error
// {"error": {"code": 401, "title": "Unauthorized", "message": "…"}}.
type fault struct {
	name       string // "itemNotFound", "conflictingRequest", … ("Unauthorized" for Keystone)
	message    string
	retryAfter time.Duration // overLimit's "retryAfter", when given
}

func parseFault(body []byte) fault {
	body = bytes.TrimSpace(body)
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		for name, raw := range top {
			var f struct {
				Message    string          `json:"message"`
				Title      string          `json:"title"`
				RetryAfter json.RawMessage `json:"retryAfter"`
			}
			if json.Unmarshal(raw, &f) != nil || (f.Message == "" && f.Title == "") {
				continue
			}
			out := fault{name: name, message: f.Message}
			if name == "error" && f.Title != "" {
				out.name = f.Title
			}
			if s := strings.Trim(string(f.RetryAfter), `"`); s != "" {
				if n, err := strconv.Atoi(s); err == nil && n > 0 {
					out.retryAfter = time.Duration(n) * time.Second
				}
			}
			return out
		}
	}
	// Not a fault body (a proxy's HTML page, say): keep a short excerpt.
	msg := string(body)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if strings.HasPrefix(msg, "<") {
		msg = ""
	}
	return fault{message: msg}
}

// isUnauthorized reports whether the backend rejected the token (HTTP 401).
func isUnauthorized(err error) bool {
	return gophercloud.ResponseCodeIs(err, http.StatusUnauthorized)
}

// isTransport reports whether err is a failure to get an HTTP answer.
func isTransport(ctx context.Context, err error) bool {
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || ctx.Err() != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// classify turns any error from a backend call into a *driver.Error,
// following contract section 5. op names the operation for messages
// ("get instance 1234").
func (a *Adapter) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var de *driver.Error
	if errors.As(err, &de) {
		return de
	}
	var rc gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &rc) {
		return a.vendorError(op, rc.Actual, rc.Body, rc.ResponseHeader)
	}
	if isTransport(ctx, err) {
		return backendhttp.TransportError(ctx, "NHN Cloud "+op, err)
	}
	return &driver.Error{Code: driver.CodeUnavailable,
		Message: fmt.Sprintf("NHN Cloud %s: unexpected answer from the backend", op), Err: err}
}

// vendorError classifies an HTTP error answer.
func (a *Adapter) vendorError(op string, status int, body []byte, h http.Header) *driver.Error {
	f := parseFault(body)
	e := &driver.Error{
		Code:             backendhttp.CodeForStatus(status),
		VendorHTTPStatus: status,
		VendorCode:       f.name,
		VendorMessage:    f.message,
	}
	detail := f.message
	if detail == "" {
		detail = fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	}
	e.Message = fmt.Sprintf("NHN Cloud %s: %s", op, detail)
	switch {
	case status == http.StatusUnauthorized:
		// Only reached when a freshly issued token was refused too.
		e.Code = driver.CodeCredentialsRejected
		e.Reason = "BACKEND_CREDENTIALS_REJECTED"
		e.Message = fmt.Sprintf("NHN Cloud %s: the compute endpoint rejected a freshly issued token of cloud %s", op, a.cfg.Name)
	case status == http.StatusRequestEntityTooLarge || status == http.StatusTooManyRequests:
		e.RetryAfter = backendhttp.RetryAfter(h, a.cfg.Now())
		if e.RetryAfter == 0 {
			e.RetryAfter = f.retryAfter
		}
	case status >= 500:
		e.RetryAfter = backendhttp.RetryAfter(h, a.cfg.Now())
	case e.Code == driver.CodeUnknown:
		e.Code = driver.CodeUnavailable
	}
	return e
}
