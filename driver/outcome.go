package driver

import (
	"errors"
	"net/http"
)

// NotCreated marks err (a CreateInstance failure) as one after which the
// instance surely does not exist: the failure happened before the create
// request could reach the vendor (a failed preliminary read, a refused
// connection) or the vendor refused it before acting (a 503 answer). A
// *driver.Error comes back as a copy with Error.NotCreated set, its code
// and text unchanged; nil stays nil.
func NotCreated(err error) error {
	if err == nil || IsNotCreated(err) {
		return err
	}
	var de *Error
	if errors.As(err, &de) {
		cp := *de
		cp.NotCreated = true
		return &cp
	}
	return &Error{Code: CodeUnavailable, Message: err.Error(), Err: err, NotCreated: true}
}

// IsNotCreated reports whether err was marked with NotCreated.
func IsNotCreated(err error) bool {
	var de *Error
	return errors.As(err, &de) && de.NotCreated
}

// CreateOutcome classifies the error of a create request the adapter sent:
// wrote reports whether the request was written to the connection (see
// backendhttp.TrackWrites). A request never written, or answered 503 (the
// vendor, or the proxy in front of it, did not act), created nothing: the
// error comes back marked NotCreated. Anything else (a timeout or a reset
// after the request went out, another 5xx) leaves the outcome unknown and
// err unchanged.
func CreateOutcome(err error, wrote bool) error {
	if err == nil {
		return nil
	}
	var de *Error
	if !wrote || (errors.As(err, &de) && de.VendorHTTPStatus == http.StatusServiceUnavailable) {
		return NotCreated(err)
	}
	return err
}
