package gcore

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
)

// This file is the one place where Gcore's HTTP errors become driver codes
// (gcore.md, "Errors"). Every error answer is the HTTP status plus
// {"exception_class": "NotFoundError", "message": "…"}, sometimes with
// request_id, and invalid_fields on a ValidationError.
//
//	400 ValidationError  INVALID_ARGUMENT (invalid_fields named in the message)
//	401 —                FAILED_PRECONDITION, reason BACKEND_CREDENTIALS_REJECTED:
//	                     the key is static, so nothing is retried
//	403 ForbiddenError   on a write: RESOURCE_EXHAUSTED (Gcore answers 403 when
//	                     the project's quota or the region's capacity is used
//	                     up: the caller can free resources, ask for more quota
//	                     or pick another region, and the message says so);
//	                     on a read, where no quota applies: PERMISSION_DENIED
//	404 NotFoundError    NOT_FOUND
//	409 ConflictError    FAILED_PRECONDITION: a running task holds the
//	                     resource (or its state does not allow the call)
//	429 —                RESOURCE_EXHAUSTED with RetryInfo from Retry-After
//	5xx, 3xx             UNAVAILABLE (504 DEADLINE_EXCEEDED)

// errorBody is Gcore's error answer.
type errorBody struct {
	ExceptionClass string          `json:"exception_class"`
	Message        string          `json:"message"`
	RequestID      string          `json:"request_id"`
	InvalidFields  json.RawMessage `json:"invalid_fields"`
	// Some gateways in front of the API answer {"detail": "…"}.
	Detail string `json:"detail"`
}

// classify maps one error answer to a *driver.Error (message without the
// operation; call adds it).
func classify(method string, status int, h http.Header, raw []byte, now time.Time) *driver.Error {
	var b errorBody
	_ = json.Unmarshal(raw, &b) // a non-JSON body still has a status
	msg := strings.TrimSpace(b.Message)
	if msg == "" {
		msg = strings.TrimSpace(b.Detail)
	}
	if msg == "" && !json.Valid(raw) {
		msg = strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
	}
	e := &driver.Error{
		Code:             backendhttp.CodeForStatus(status),
		VendorHTTPStatus: status,
		VendorCode:       b.ExceptionClass,
		VendorMessage:    msg,
	}
	say := func(what string) {
		if msg != "" {
			what += ": " + msg
		}
		e.Message = what
	}
	switch {
	case status == http.StatusBadRequest:
		e.Code = driver.CodeInvalidArgument
		what := "Gcore refused the request as invalid"
		if f := fieldNames(b.InvalidFields); f != "" {
			what += " (invalid fields: " + f + ")"
		}
		say(what)
	case status == http.StatusUnauthorized:
		e.Code, e.Reason = driver.CodeCredentialsRejected, "BACKEND_CREDENTIALS_REJECTED"
		e.Message = "Gcore rejected the gateway's API key (HTTP 401); check the cloud's api_key_env or api_key_file " +
			"(a permanent API token of the Gcore account, sent as \"Authorization: APIKey …\")"
	case status == http.StatusForbidden && method != http.MethodGet:
		e.Code = driver.CodeResourceExhausted
		say("Gcore refused the request (HTTP 403 ForbiddenError), which it answers when the project's quota or the region's " +
			"capacity is exhausted: free resources, ask Gcore to raise the quota, or use another region")
	case status == http.StatusForbidden:
		e.Code = driver.CodePermissionDenied
		say("Gcore refused the gateway's API key access to this project or region (HTTP 403)")
	case status == http.StatusNotFound:
		say("not found")
	case status == http.StatusConflict:
		e.Code = driver.CodeFailedPrecondition
		say("Gcore refused the call because a running task holds the instance or its state does not allow it " +
			"(HTTP 409 ConflictError); wait until its task has finished (watch the instance) and try again")
	case status == http.StatusTooManyRequests:
		e.Code = driver.CodeResourceExhausted
		e.RetryAfter = backendhttp.RetryAfter(h, now)
		what := "Gcore's rate limit was hit (HTTP 429)"
		if e.RetryAfter > 0 {
			what += fmt.Sprintf("; retry after %v", e.RetryAfter)
		}
		say(what)
	case status >= 300 && status < 400:
		e.Message = fmt.Sprintf("the backend answered with a redirect (HTTP %d), which the gateway does not follow; check the cloud's endpoint", status)
	case status >= 500:
		say(fmt.Sprintf("Gcore failed (HTTP %d)", status))
	default:
		say(fmt.Sprintf("Gcore answered HTTP %d", status))
	}
	return e
}

// fieldNames lists the keys of invalid_fields (an object of field ->
// reason in Gcore's answers), sorted.
func fieldNames(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
