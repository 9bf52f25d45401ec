// Package rpcdetail reads the google.rpc error details a gRPC status
// carries (ErrorInfo, RetryInfo, BadRequest), for tests that check what
// the gateway answers. It is test support: no production code imports it.
package rpcdetail

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// first is the first detail of err's status that is a T.
func first[T any](err error) (T, bool) {
	for _, d := range status.Convert(err).Details() {
		if v, ok := d.(T); ok {
			return v, true
		}
	}
	var none T
	return none, false
}

// Reason is the reason of err's first ErrorInfo, "" when it carries none.
func Reason(err error) string {
	info, _ := first[*errdetails.ErrorInfo](err)
	return info.GetReason()
}

// ErrorInfo is err's first ErrorInfo; the test stops at once when err
// carries none.
func ErrorInfo(t testing.TB, err error) *errdetails.ErrorInfo {
	t.Helper()
	info, ok := first[*errdetails.ErrorInfo](err)
	if !ok {
		t.Fatalf("no ErrorInfo in %v", err)
	}
	return info
}

// RetryDelay is the delay err's first RetryInfo asks for; ok is false when
// err carries no RetryInfo.
func RetryDelay(err error) (delay time.Duration, ok bool) {
	retry, ok := first[*errdetails.RetryInfo](err)
	return retry.GetRetryDelay().AsDuration(), ok
}

// Fields lists the field of every BadRequest violation err carries, in
// the order the status holds them.
func Fields(err error) []string {
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}
