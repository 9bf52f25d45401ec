package driver

import (
	"errors"
	"testing"
)

func TestCreateOutcome(t *testing.T) {
	unavailable := &Error{Code: CodeUnavailable, Message: "x"}
	if !IsNotCreated(CreateOutcome(unavailable, false)) {
		t.Error("a request never written is not marked not created")
	}
	if IsNotCreated(CreateOutcome(unavailable, true)) {
		t.Error("a written request without a 503 is marked not created")
	}
	if !IsNotCreated(CreateOutcome(&Error{Code: CodeUnavailable, VendorHTTPStatus: 503}, true)) {
		t.Error("a 503 answer is not marked not created")
	}
	if IsNotCreated(CreateOutcome(&Error{Code: CodeUnavailable, VendorHTTPStatus: 502}, true)) {
		t.Error("a 502 answer is marked not created")
	}
	wrapped := NotCreated(unavailable)
	if _, ok := wrapped.(*Error); !ok || CodeOf(wrapped) != CodeUnavailable || wrapped.Error() != unavailable.Error() {
		t.Error("NotCreated changed the error")
	}
	if unavailable.NotCreated {
		t.Error("NotCreated modified its argument")
	}
	if !IsNotCreated(NotCreated(errors.New("dial: refused"))) {
		t.Error("a plain error is not marked")
	}
	if NotCreated(nil) != nil || CreateOutcome(nil, true) != nil {
		t.Error("nil is not nil")
	}
}
