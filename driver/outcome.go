package driver

import (
	"errors"
	"net/http"
)

// notCreated marks a CreateInstance error after which the instance surely
// does not exist: the failure happened before the create request could
// reach the vendor (a failed preliminary read, a refused connection) or the
// vendor refused it before acting (a 503 answer).
type notCreated struct{ err error }

func (e *notCreated) Error() string { return e.err.Error() }
func (e *notCreated) Unwrap() error { return e.err }

// NotCreated marks err (a CreateInstance failure) as one after which
// nothing was created; nil stays nil. The error keeps its code and text.
func NotCreated(err error) error {
	if err == nil || IsNotCreated(err) {
		return err
	}
	return &notCreated{err: err}
}

// IsNotCreated reports whether err was marked with NotCreated.
func IsNotCreated(err error) bool {
	var nc *notCreated
	return errors.As(err, &nc)
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
