package nhnv2

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
)

// isUnauthorized reports whether the backend rejected the token (HTTP 401).
var isUnauthorized = nova.IsUnauthorized

// classify turns any error from a backend call into a *driver.Error (the
// order and the shared cases are nova.Classifier's; NHN's own are
// vendorError's). op names the operation for messages ("get instance 1234").
func (a *Adapter) classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	return nova.Classifier{
		What:       func(op string) string { return "NHN Cloud " + op },
		HTTP:       a.vendorError,
		Unexpected: "unexpected answer from the backend",
	}.Classify(ctx, op, err)
}

// vendorError classifies an HTTP error answer: nova.HTTPError, with a 401
// (reached only when a freshly issued token was refused too) rejecting the
// cloud's credentials and any other unmapped status UNAVAILABLE.
func (a *Adapter) vendorError(op string, ue gophercloud.ErrUnexpectedResponseCode) *driver.Error {
	e, f := nova.HTTPError(ue, a.cfg.Now())
	detail := f.Message
	if detail == "" {
		detail = fmt.Sprintf("HTTP %d %s", ue.Actual, http.StatusText(ue.Actual))
	}
	e.Message = fmt.Sprintf("NHN Cloud %s: %s", op, detail)
	switch {
	case ue.Actual == http.StatusUnauthorized:
		e.Code = driver.CodeCredentialsRejected
		e.Reason = "BACKEND_CREDENTIALS_REJECTED"
		e.Message = fmt.Sprintf("NHN Cloud %s: the compute endpoint rejected a freshly issued token of cloud %s", op, a.cfg.Name)
	case e.Code == driver.CodeUnknown:
		e.Code = driver.CodeUnavailable
	}
	return e
}
