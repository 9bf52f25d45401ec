package toastv1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/flexjson"
)

// decodeResponse turns one HTTP answer into nil (success, with the payload
// decoded into out when out is not nil) or a classified *driver.Error. It is
// the single place that decides whether TOAST said yes, and it is careful:
//
//   - HTTP 401, with or without an envelope, is a refused token;
//   - a body that is not exactly one TOAST envelope (not JSON, truncated,
//     an HTML error page, no header, a header without a readable
//     isSuccessful, a header key given twice) is UNAVAILABLE (or
//     RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED for a bare 429 / 504; a bare
//     3xx says it was a redirect, which the adapter does not follow);
//   - isSuccessful false is never success: it is classified from
//     resultCode (see errors.go), and so is isSuccessful true with a
//     non-zero resultCode;
//   - an envelope that says success on a non-2xx HTTP status is an error;
//   - a success whose payload does not fit the documented shape is
//     UNAVAILABLE.
//
// The returned error's Message says what failed in plain words; callers
// prefix it with the operation.
func decodeResponse(status int, h http.Header, body []byte, out any, now time.Time) *driver.Error {
	hd, envErr := parseEnvelope(body)
	if status == http.StatusUnauthorized {
		e := &driver.Error{
			Code:             driver.CodePermissionDenied,
			Message:          "the backend refused the gateway's token (HTTP 401)",
			VendorHTTPStatus: status,
			Err:              errTokenRefused,
		}
		if envErr == nil {
			e.VendorCode, e.VendorMessage = fmt.Sprint(hd.code), hd.message
		}
		return e
	}
	if envErr != nil {
		e := &driver.Error{
			Code:             driver.CodeUnavailable,
			VendorHTTPStatus: status,
			Message: fmt.Sprintf("the backend answered HTTP %d with %s, which is not a TOAST response envelope (%v)",
				status, describeBody(h, body), envErr),
			Err: envErr,
		}
		switch {
		case status >= 300 && status <= 399:
			// The adapter does not follow redirects (backendhttp.WithoutRedirects).
			e.Message = fmt.Sprintf("the backend answered HTTP %d, a redirect, which computegw does not follow "+
				"(TOAST answers every call itself): check the cloud's endpoint", status)
		case status == http.StatusTooManyRequests:
			e.Code = driver.CodeResourceExhausted
			e.Message = "the backend is rate limiting the gateway (HTTP 429)"
			e.RetryAfter = retryAfter(h, now)
		case status == http.StatusGatewayTimeout:
			e.Code = driver.CodeDeadlineExceeded
			e.Message = "the backend timed out (HTTP 504)"
		}
		return e
	}
	if !hd.successful || hd.code != 0 {
		e := vendorFailure(status, hd.code, hd.message)
		if hd.successful {
			// isSuccessful true with a failure code: believe the failure.
			e.Message = "the backend answered isSuccessful with a non-zero resultCode; " + e.Message
		}
		if e.Code == driver.CodeResourceExhausted {
			e.RetryAfter = retryAfter(h, now)
		}
		return e
	}
	if status < 200 || status > 299 {
		return &driver.Error{
			Code:             driver.CodeUnavailable,
			VendorHTTPStatus: status,
			VendorCode:       "0",
			VendorMessage:    hd.message,
			Message:          fmt.Sprintf("the backend answered HTTP %d with a success envelope; treating it as a failure", status),
		}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &driver.Error{
			Code:             driver.CodeUnavailable,
			VendorHTTPStatus: status,
			Message:          "the backend's answer does not have the documented shape: " + jsonProblem(err),
			Err:              err,
		}
	}
	return nil
}

// envelopeHeader is the header of a well-formed envelope.
type envelopeHeader struct {
	successful bool
	code       int64
	message    string
}

// parseEnvelope checks that body is exactly one JSON object with exactly one
// "header" object holding a readable isSuccessful, and returns the header.
// Key matching is case-insensitive (as encoding/json's is), and a key given
// twice in any spelling makes the envelope ambiguous, hence malformed: no
// later "isSuccessful": true can hide an earlier false.
func parseEnvelope(body []byte) (envelopeHeader, error) {
	var hd envelopeHeader
	if len(bytes.TrimSpace(body)) == 0 {
		return hd, errors.New("empty body")
	}
	if !json.Valid(body) {
		var v json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&v); errors.Is(err, io.ErrUnexpectedEOF) {
			return hd, errors.New("not valid JSON: truncated, it ends mid-document")
		}
		return hd, errors.New("not valid JSON")
	}
	raw, err := uniqueKey(body, "header")
	if err != nil {
		return hd, err
	}
	if raw == nil {
		return hd, errors.New(`no "header"`)
	}
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' {
		return hd, errors.New(`"header" is not an object`)
	}
	succ, err := uniqueKey(raw, "isSuccessful")
	if err != nil {
		return hd, err
	}
	if succ == nil {
		return hd, errors.New(`no "header.isSuccessful"`)
	}
	switch v := strings.ToLower(string(bytes.TrimSpace(succ))); v {
	case "true", `"true"`:
		hd.successful = true
	case "false", `"false"`:
		hd.successful = false
	default:
		return hd, errors.New(`"header.isSuccessful" is not a boolean`)
	}
	if rc, err := uniqueKey(raw, "resultCode"); err != nil {
		return hd, err
	} else if rc != nil {
		var n flexInt
		if err := json.Unmarshal(rc, &n); err != nil {
			return hd, errors.New(`"header.resultCode" is not an integer`)
		}
		hd.code = int64(n)
	} else if !hd.successful {
		hd.code = -2 // a failure without a code: unknown
	}
	if rm, err := uniqueKey(raw, "resultMessage"); err != nil {
		return hd, err
	} else if rm != nil {
		var s flexString
		if err := json.Unmarshal(rm, &s); err != nil {
			return hd, errors.New(`"header.resultMessage" is not a string`)
		}
		hd.message = string(s)
	}
	return hd, nil
}

// uniqueKey returns the raw value of the one member of the JSON object obj
// whose key equals name case-insensitively; nil when there is none; an
// error when there are several. obj must be valid JSON (json.Valid): it is
// walked in place, without decoding or copying the members' values.
func uniqueKey(obj []byte, name string) (json.RawMessage, error) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var found json.RawMessage
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		end := skipValue(obj, i) // the key, a string
		key := obj[i:end]
		i = skipSpace(obj, end)
		i = skipSpace(obj, i+1) // past ':'
		end = skipValue(obj, i)
		val := obj[i:end]
		if keyEqualFold(key, name) {
			if found != nil {
				return nil, fmt.Errorf("%q given more than once", name)
			}
			found = val
		}
		i = skipSpace(obj, end)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return found, nil
}

// keyEqualFold reports whether the JSON string literal key equals name
// case-insensitively (as encoding/json matches keys).
func keyEqualFold(key []byte, name string) bool {
	if s, ok := flexjson.PlainString(key); ok {
		return strings.EqualFold(s, name)
	}
	var s string
	return json.Unmarshal(key, &s) == nil && strings.EqualFold(s, name)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at b[i];
// b must be valid JSON.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index just past the string literal at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// describeBody says what kind of body came back, without quoting it (it may
// be long, and it is not ours to echo).
func describeBody(h http.Header, body []byte) string {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("a %d-byte body (%s)", len(body), ct)
}

// jsonProblem describes a payload decoding error without echoing data.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q holds a JSON %s where %s was expected", te.Field, te.Value, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated JSON"
	}
	return "malformed field"
}

func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	return backendhttp.RetryAfter(h, now)
}
