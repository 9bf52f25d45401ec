package toastv1

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
)

// This file is the one place where TOAST result codes become driver codes.
//
// The API guide only documents resultCode 0 (SUCCESS) and points to the
// vendor's "Error Code" page, which defines:
//
//	-1  FAIL                      authentication module failed or cannot request
//	-2  UNKNOWN EXCEPTION         unexpected error
//	-3  Permission denied         unauthorised use, appkey or token ID
//	-4  Invalid parameters        bad URL or body values
//	-5  Nonexistent               the resource does not exist
//	-6  Failed to query internal db
//	-7  Not supported
//	-8  JSON parsing error        the request body was not valid JSON
//	20001 No available IP, 20004 No accessible network
//	FFHHH (FF = API family, HHH = an HTTP status 400..499): 10 instance,
//	11 API, 12 availability zone, 13 key pair, 20 network, 21 subnet,
//	22 floating IP, 23 load balancer, 24 security group, 30 image,
//	40 volume, 50 token.
//
// Family codes are read through their HTTP status like any other backend
// (backendhttp.CodeForStatus), 5xx included, with two TOAST-specific
// readings: a 401 means the token was refused (re-authenticate once, then
// retry), and a 409 from the key pair family is a name clash (a key pair has
// no other conflicting state). Anything else is CodeUnknown with the
// vendor's code and message kept: never success.

// result is how the adapter reads one failed TOAST answer.
type result struct {
	code driver.Code
	// tokenRefused: the backend did not accept the token; the caller
	// invalidates it, logs in again and retries the call once.
	tokenRefused bool
	// what says in plain words what the code means, for the error message.
	what string
}

// resultFamily names a documented FFHHH family.
func resultFamily(family int64) (string, bool) {
	switch family {
	case 10:
		return "instance", true
	case 11:
		return "API", true
	case 12:
		return "availability zone", true
	case 13:
		return "key pair", true
	case 20:
		return "network", true
	case 21:
		return "subnet", true
	case 22:
		return "floating IP", true
	case 23:
		return "load balancer", true
	case 24:
		return "security group", true
	case 30:
		return "image", true
	case 40:
		return "volume", true
	case 50:
		return "token", true
	}
	return "", false
}

// classifyResult maps a failed answer's resultCode to a driver code.
func classifyResult(resultCode int64) result {
	switch resultCode {
	case -1:
		return result{code: driver.CodeUnavailable, what: "the backend's authentication module failed or could not take the request"}
	case -2:
		return result{code: driver.CodeUnknown, what: "the backend hit an unexpected error"}
	case -3:
		return result{code: driver.CodePermissionDenied, tokenRefused: true, what: "the backend denied permission for the gateway's appkey or token"}
	case -4:
		return result{code: driver.CodeInvalidArgument, what: "the backend rejected the request's parameters"}
	case -5:
		return result{code: driver.CodeNotFound, what: "the resource does not exist"}
	case -6:
		return result{code: driver.CodeUnavailable, what: "the backend failed to query its database"}
	case -7:
		return result{code: driver.CodeUnimplemented, what: "the backend does not support this function"}
	case -8:
		// The gateway builds every body itself: an unparsable one is ours.
		return result{code: driver.CodeInternal, what: "the backend could not parse the gateway's JSON body"}
	case 20001:
		return result{code: driver.CodeResourceExhausted, what: "no IP address is available to allocate"}
	case 20004:
		return result{code: driver.CodeInvalidArgument, what: "no accessible network with that ID"}
	}
	family, status := resultCode/1000, resultCode%1000
	name, ok := resultFamily(family)
	if !ok || status < 400 || status > 599 {
		return result{code: driver.CodeUnknown, what: "the backend answered with a result code computegw does not know"}
	}
	switch {
	case status == http.StatusUnauthorized:
		return result{code: driver.CodePermissionDenied, tokenRefused: true, what: "the backend refused the gateway's token"}
	case status == http.StatusConflict && family == 13:
		return result{code: driver.CodeAlreadyExists, what: "a key pair with that name already exists"}
	}
	code := backendhttp.CodeForStatus(int(status))
	// The status is the one the result code encodes (FFHHH), not the
	// answer's HTTP status, which is usually 200 (vendor_http_status).
	return result{code: code, what: fmt.Sprintf("%s (TOAST %s API result code %d, a %d-class error)", describeCode(code), name, resultCode, status)}
}

func describeCode(c driver.Code) string {
	switch c {
	case driver.CodeInvalidArgument:
		return "invalid request"
	case driver.CodeNotFound:
		return "not found"
	case driver.CodeFailedPrecondition:
		return "not allowed in the resource's current state"
	case driver.CodeResourceExhausted:
		return "quota or rate limit exceeded"
	case driver.CodePermissionDenied:
		return "permission denied"
	case driver.CodeUnavailable:
		return "backend failure"
	case driver.CodeDeadlineExceeded:
		return "backend timed out"
	case driver.CodeUnimplemented:
		return "not implemented by the backend"
	}
	return "unclassified"
}

// errTokenRefused marks (in Error.Err) an answer saying the token was not
// accepted, so that the token source re-authenticates once and retries.
var errTokenRefused = errors.New("toastv1: backend refused the token")

// isTokenRefused is the tokensource.Source.Do predicate.
func isTokenRefused(err error) bool { return errors.Is(err, errTokenRefused) }

// vendorFailure builds the error for an answer whose envelope says
// isSuccessful: false (or whose header is inconsistent).
func vendorFailure(httpStatus int, resultCode int64, resultMessage string) *driver.Error {
	r := classifyResult(resultCode)
	msg := r.what
	if m := strings.TrimSpace(resultMessage); m != "" {
		// The vendor's own reason belongs in the message a caller reads
		// first ("volume is required for this flavor"), not only in
		// vendor_message.
		msg += ": TOAST says " + strconv.Quote(m)
	}
	e := &driver.Error{
		Code:             r.code,
		Message:          msg,
		VendorHTTPStatus: httpStatus,
		VendorCode:       strconv.FormatInt(resultCode, 10),
		VendorMessage:    resultMessage,
	}
	if r.tokenRefused {
		e.Err = errTokenRefused
	}
	return e
}
