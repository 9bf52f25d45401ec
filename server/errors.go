package server

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every computegw error.
const ErrorDomain = "computegw"

var grpcCodes = map[driver.Code]codes.Code{
	driver.CodeUnknown:             codes.Unknown,
	driver.CodeNotFound:            codes.NotFound,
	driver.CodeInvalidArgument:     codes.InvalidArgument,
	driver.CodeFailedPrecondition:  codes.FailedPrecondition,
	driver.CodeAlreadyExists:       codes.AlreadyExists,
	driver.CodeResourceExhausted:   codes.ResourceExhausted,
	driver.CodePermissionDenied:    codes.PermissionDenied,
	driver.CodeUnavailable:         codes.Unavailable,
	driver.CodeDeadlineExceeded:    codes.DeadlineExceeded,
	driver.CodeUnimplemented:       codes.Unimplemented,
	driver.CodeCredentialsRejected: codes.FailedPrecondition,
	driver.CodeInternal:            codes.Internal,
	driver.CodeCanceled:            codes.Canceled,
}

var defaultReasons = map[driver.Code]string{
	driver.CodeUnknown:             "BACKEND_ERROR",
	driver.CodeNotFound:            "NOT_FOUND",
	driver.CodeInvalidArgument:     "INVALID_ARGUMENT",
	driver.CodeFailedPrecondition:  "STATE_CONFLICT",
	driver.CodeAlreadyExists:       "ALREADY_EXISTS",
	driver.CodeResourceExhausted:   "BACKEND_QUOTA_EXCEEDED",
	driver.CodePermissionDenied:    "BACKEND_PERMISSION_DENIED",
	driver.CodeUnavailable:         "BACKEND_UNAVAILABLE",
	driver.CodeDeadlineExceeded:    "BACKEND_TIMEOUT",
	driver.CodeUnimplemented:       "UNSUPPORTED_BY_DIALECT",
	driver.CodeCredentialsRejected: "BACKEND_CREDENTIALS_REJECTED",
	driver.CodeInternal:            "INTERNAL",
	driver.CodeCanceled:            "CANCELLED",
}

// Status is the gRPC status, with the contract's details, of an error the
// transport layer raises before any RPC runs (no cloud known): the REST
// front end uses it so that its own refusals look like the service's.
func Status(err error) *status.Status {
	return status.Convert(toStatus(context.Background(), nil, err))
}

// toStatus converts any error from the portable layer or an adapter into a
// gRPC status with the contract's details. cl may be nil (no cloud known).
func toStatus(ctx context.Context, cl *cloud, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err // already a status (built by this package)
	}
	var de *driver.Error
	if !errors.As(err, &de) {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			de = &driver.Error{Code: driver.CodeDeadlineExceeded, Message: "deadline exceeded", Err: err}
		case errors.Is(err, context.Canceled):
			de = &driver.Error{Code: driver.CodeCanceled, Message: "canceled", Err: err}
		default:
			// An adapter broke its contract; say so without leaking text
			// that might carry backend detail.
			de = &driver.Error{Code: driver.CodeUnknown, Message: "backend call failed with an unclassified error", Err: err}
		}
	}
	// A caller deadline that expired while the adapter was working is the
	// caller's DEADLINE_EXCEEDED, whatever the transport said.
	if ctx != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && de.Code == driver.CodeUnavailable {
		de = &driver.Error{Code: driver.CodeDeadlineExceeded, Message: "deadline exceeded: " + de.Message, Err: de}
	}
	code := grpcCodes[de.Code]
	reason := de.Reason
	if reason == "" {
		reason = defaultReasons[de.Code]
	}
	msg := de.Message
	if cl != nil {
		msg = "cloud " + cl.name + ": " + msg
	}
	st := status.New(code, msg)
	info := &errdetails.ErrorInfo{Domain: ErrorDomain, Reason: reason, Metadata: map[string]string{}}
	if cl != nil {
		info.Metadata["cloud"] = cl.name
		info.Metadata["dialect"] = string(cl.dialect)
	}
	if de.VendorHTTPStatus != 0 {
		info.Metadata["vendor_http_status"] = strconv.Itoa(de.VendorHTTPStatus)
	}
	if de.VendorCode != "" {
		info.Metadata["vendor_code"] = de.VendorCode
	}
	if de.VendorMessage != "" {
		info.Metadata["vendor_message"] = de.VendorMessage
	}
	withDetails := []protoadapt.MessageV1{info}
	if len(de.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range de.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		withDetails = append(withDetails, br)
	}
	if de.RetryAfter > 0 {
		withDetails = append(withDetails, &errdetails.RetryInfo{RetryDelay: durationpb.New(de.RetryAfter)})
	}
	if st2, err2 := st.WithDetails(withDetails...); err2 == nil {
		st = st2
	}
	return st.Err()
}

// unreachableDetail says why a cloud of a cross-cloud list failed: the
// status the call on that cloud alone would have answered.
func unreachableDetail(ctx context.Context, cl *cloud, err error) *pb.UnreachableCloud {
	st := status.Convert(toStatus(ctx, cl, err))
	out := &pb.UnreachableCloud{Code: strings.ToUpper(toSnake(st.Code().String())), Message: st.Message()}
	if cl != nil {
		out.Cloud = "clouds/" + cl.name
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			out.Reason = info.GetReason()
		}
	}
	return out
}

// toSnake turns a Go code name (DeadlineExceeded) into its proto spelling
// (DEADLINE_EXCEEDED, upper-cased by the caller).
func toSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}
