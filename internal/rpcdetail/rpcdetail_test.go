package rpcdetail

import (
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// fatals records a Fatalf instead of stopping the test.
type fatals struct {
	testing.TB
	msgs []string
}

func (f *fatals) Helper() {}
func (f *fatals) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, format)
}

func withDetails(t *testing.T, details ...*errdetails.ErrorInfo) error {
	t.Helper()
	st := status.New(codes.Unavailable, "down")
	for _, d := range details {
		var err error
		if st, err = st.WithDetails(d); err != nil {
			t.Fatal(err)
		}
	}
	return st.Err()
}

func TestReasonAndErrorInfo(t *testing.T) {
	err := withDetails(t, &errdetails.ErrorInfo{Reason: "FIRST", Domain: "d"}, &errdetails.ErrorInfo{Reason: "SECOND"})
	if r := Reason(err); r != "FIRST" {
		t.Errorf("Reason = %q, want the first ErrorInfo's FIRST", r)
	}
	if info := ErrorInfo(t, err); info.GetReason() != "FIRST" || info.GetDomain() != "d" {
		t.Errorf("ErrorInfo = %v", info)
	}
	for _, none := range []error{nil, errors.New("plain"), withDetails(t)} {
		if r := Reason(none); r != "" {
			t.Errorf("Reason(%v) = %q, want \"\"", none, r)
		}
		f := &fatals{TB: t}
		if info := ErrorInfo(f, none); info != nil || len(f.msgs) != 1 {
			t.Errorf("ErrorInfo(%v) = %v with %d fatals, want nil and one", none, info, len(f.msgs))
		}
	}
}

func TestRetryDelayAndFields(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "bad").WithDetails(
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "a"}, {Field: "b.c"}}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(30 * time.Second)},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "d"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := RetryDelay(st.Err()); !ok || d != 30*time.Second {
		t.Errorf("RetryDelay = %v %v, want 30s true", d, ok)
	}
	if got := Fields(st.Err()); !slices.Equal(got, []string{"a", "b.c", "d"}) {
		t.Errorf("Fields = %v, want [a b.c d]", got)
	}
	plain := status.Error(codes.InvalidArgument, "bad")
	if d, ok := RetryDelay(plain); ok || d != 0 {
		t.Errorf("RetryDelay without RetryInfo = %v %v, want 0 false", d, ok)
	}
	if got := Fields(plain); got != nil {
		t.Errorf("Fields without BadRequest = %v", got)
	}
}
