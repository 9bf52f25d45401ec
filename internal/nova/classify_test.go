package nova

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
)

func testClassifier(other bool) Classifier {
	c := Classifier{
		What: func(op string) string { return "X " + op },
		HTTP: func(op string, ue gophercloud.ErrUnexpectedResponseCode) *driver.Error {
			e, _ := HTTPError(ue, time.Unix(0, 0))
			e.Message = "http " + op
			return e
		},
		Unexpected: "odd",
	}
	if other {
		c.Other = func(op string, err error) *driver.Error {
			if err.Error() == "mine" {
				return &driver.Error{Code: driver.CodeInternal, Message: "other " + op}
			}
			return nil
		}
	}
	return c
}

func TestClassifierOrder(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	own := &driver.Error{Code: driver.CodeNotFound, Message: "own"}
	ue := gophercloud.ErrUnexpectedResponseCode{Actual: 404, Body: []byte(`{"itemNotFound": {"message": "gone"}}`)}
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		err     error
		other   bool
		code    driver.Code
		message string
	}{
		{"driver error passes", context.Background(), fmt.Errorf("wrapped: %w", own), false, driver.CodeNotFound, "own"},
		{"HTTP answer", context.Background(), fmt.Errorf("w: %w", ue), false, driver.CodeNotFound, "http get"},
		{"transport", context.Background(), &url.Error{Op: "Get", URL: "http://x", Err: errors.New("refused")}, false, driver.CodeUnavailable, "X get: backend unreachable"},
		{"canceled", canceled, errors.New("mine"), true, driver.CodeCanceled, "X get: canceled"},
		{"deadline", context.Background(), context.DeadlineExceeded, false, driver.CodeDeadlineExceeded, "X get: backend did not answer before the deadline"},
		{"other hook", context.Background(), errors.New("mine"), true, driver.CodeInternal, "other get"},
		{"other hook declines", context.Background(), errors.New("theirs"), true, driver.CodeUnavailable, "X get: odd"},
		{"no hook", context.Background(), errors.New("mine"), false, driver.CodeUnavailable, "X get: odd"},
	} {
		got := testClassifier(tc.other).Classify(tc.ctx, "get", tc.err)
		if got == nil || got.Code != tc.code || got.Message != tc.message {
			t.Errorf("%s: got %+v, want %v %q", tc.name, got, tc.code, tc.message)
		}
	}
	if got := testClassifier(false).Classify(context.Background(), "get", nil); got != nil {
		t.Errorf("nil error classified as %+v", got)
	}
}

func TestHTTPError(t *testing.T) {
	h := func(v string) http.Header {
		if v == "" {
			return nil
		}
		return http.Header{"Retry-After": {v}}
	}
	for _, tc := range []struct {
		status int
		header string
		body   string
		code   driver.Code
		name   string
		retry  time.Duration
	}{
		{400, "", `{"badRequest": {"message": "bad"}}`, driver.CodeInvalidArgument, "badRequest", 0},
		{413, "", `{"overLimit": {"message": "q", "retryAfter": "59"}}`, driver.CodeResourceExhausted, "overLimit", 59 * time.Second},
		{429, "7", `{"overLimit": {"message": "q"}}`, driver.CodeResourceExhausted, "overLimit", 7 * time.Second},
		// Both given: the HTTP header wins, as for every other backend.
		{413, "5", `{"overLimit": {"message": "q", "retryAfter": "59"}}`, driver.CodeResourceExhausted, "overLimit", 5 * time.Second},
		{503, "30", `{"serviceUnavailable": {"message": "down", "retryAfter": "59"}}`, driver.CodeUnavailable, "serviceUnavailable", 30 * time.Second},
		{500, "", `{"computeFault": {"message": "x", "retryAfter": "59"}}`, driver.CodeUnavailable, "computeFault", 0},
		{404, "9", `{"itemNotFound": {"message": "gone"}}`, driver.CodeNotFound, "itemNotFound", 0},
		{401, "", `{"error": {"title": "Unauthorized", "message": "no"}}`, driver.CodeUnknown, "Unauthorized", 0},
	} {
		e, f := HTTPError(gophercloud.ErrUnexpectedResponseCode{Actual: tc.status, Body: []byte(tc.body), ResponseHeader: h(tc.header)}, time.Unix(0, 0))
		if e.Code != tc.code || e.VendorHTTPStatus != tc.status || e.VendorCode != tc.name || f.Name != tc.name || e.VendorMessage != f.Message || e.RetryAfter != tc.retry {
			t.Errorf("%d %s: got %+v, want %v %q retry %v", tc.status, tc.body, e, tc.code, tc.name, tc.retry)
		}
	}
}
