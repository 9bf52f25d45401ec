package driver

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an adapter error. The portable layer turns each into the
// gRPC code of the same name (the table is in server/errors.go).
type Code int

// Error codes.
const (
	CodeUnknown             Code = iota // UNKNOWN (also: a vendor failure code nobody recognised)
	CodeNotFound                        // NOT_FOUND
	CodeInvalidArgument                 // INVALID_ARGUMENT
	CodeFailedPrecondition              // FAILED_PRECONDITION (vendor 409, wrong state)
	CodeAlreadyExists                   // ALREADY_EXISTS
	CodeResourceExhausted               // RESOURCE_EXHAUSTED (quota, 413, 429)
	CodePermissionDenied                // PERMISSION_DENIED (the gateway's account may not do this)
	CodeUnavailable                     // UNAVAILABLE (unreachable, 5xx, malformed answer)
	CodeDeadlineExceeded                // DEADLINE_EXCEEDED
	CodeUnimplemented                   // UNIMPLEMENTED
	CodeCredentialsRejected             // FAILED_PRECONDITION, reason BACKEND_CREDENTIALS_REJECTED
	CodeInternal                        // INTERNAL (a bug in computegw)
	CodeCanceled                        // CANCELLED (the caller went away)
)

var codeNames = [...]string{"Unknown", "NotFound", "InvalidArgument", "FailedPrecondition",
	"AlreadyExists", "ResourceExhausted", "PermissionDenied", "Unavailable", "DeadlineExceeded",
	"Unimplemented", "CredentialsRejected", "Internal", "Canceled"}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// FieldViolation names a bad request field by its portable (proto) path,
// e.g. "instance.display_name", and says what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is the classified error every adapter returns. Message is shown to
// callers, so it must be clear and must not contain secrets.
type Error struct {
	Code    Code
	Message string
	// Reason overrides the ErrorInfo reason (default derived from Code).
	Reason string
	// VendorHTTPStatus is the backend's HTTP status, when it answered.
	VendorHTTPStatus int
	// VendorCode and VendorMessage are the vendor's own error code (Nova
	// fault name, TOAST resultCode) and message, when it gave them.
	VendorCode    string
	VendorMessage string
	// RetryAfter, when positive, becomes a google.rpc.RetryInfo.
	RetryAfter time.Duration
	// Violations are the bad fields of an InvalidArgument error.
	Violations []FieldViolation
	// Err is the underlying cause, for logs and errors.Is/As. Its text is
	// not shown to callers.
	Err error
	// NotCreated marks a CreateInstance failure after which the instance
	// surely does not exist (see NotCreated and CreateOutcome).
	NotCreated bool
}

func (e *Error) Error() string {
	s := e.Code.String() + ": " + e.Message
	if e.VendorCode != "" || e.VendorMessage != "" {
		s += fmt.Sprintf(" (vendor %s: %s)", e.VendorCode, e.VendorMessage)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument returns a CodeInvalidArgument error for one field.
func InvalidArgument(field, description string) *Error {
	return &Error{
		Code:       CodeInvalidArgument,
		Message:    field + ": " + description,
		Violations: []FieldViolation{{Field: field, Description: description}},
	}
}

// Unsupported returns the CodeUnimplemented error for an operation the
// dialect does not have.
func Unsupported(dialect Dialect, op string) *Error {
	return &Error{
		Code:    CodeUnimplemented,
		Reason:  "UNSUPPORTED_BY_DIALECT",
		Message: fmt.Sprintf("%s is not supported by the %s dialect", op, dialect),
	}
}

// CodeOf returns the code of the first *Error in err's chain; CodeUnknown
// when there is none, and 0-cost CodeUnknown for nil is never asked for.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}

// IsNotFound reports whether err is classified as CodeNotFound.
func IsNotFound(err error) bool { return err != nil && CodeOf(err) == CodeNotFound }

// Violations collects the field violations of one request, so that a caller
// learns every problem at once instead of one per try.
type Violations []FieldViolation

// Add records one violation.
func (v *Violations) Add(field, description string) {
	*v = append(*v, FieldViolation{Field: field, Description: description})
}

// Err is nil without violations, else one CodeInvalidArgument error naming
// every one (in the message too, joined by "; ").
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	parts := make([]string, len(v))
	for i, fv := range v {
		parts[i] = fv.Field + ": " + fv.Description
	}
	return &Error{Code: CodeInvalidArgument, Message: strings.Join(parts, "; "), Violations: v}
}
