// Package flexjson holds the strict-but-lenient JSON scalar types the
// non-Nova adapters (toastv1, gcore) decode vendor answers with: numbers
// and booleans that a guide prints as strings, IDs printed without quotes,
// and the timestamp shapes those APIs print. Unlike novajson's types,
// which read anything unreadable as zero, these report a malformed value
// as an error, so a broken answer is not silently read as zero.
package flexjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Int decodes a JSON number or a string holding an integer (an integral
// float such as "20.0" too). null and "" decode to 0; anything else is an
// error.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	*n = 0
	s, err := scalar(b)
	if err != nil || s == "" {
		return err
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return fmt.Errorf("%q is not an integer", s)
	}
	*n = Int(int64(f))
	return nil
}

// Bool decodes a JSON boolean or the strings "true"/"false" (any case).
// null and "" decode to false; anything else is an error.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	*v = false
	s, err := scalar(b)
	if err != nil {
		return err
	}
	switch strings.ToLower(s) {
	case "true":
		*v = true
	case "false", "":
		*v = false
	default:
		return fmt.Errorf("%q is not a boolean", s)
	}
	return nil
}

// scalar is the text of the JSON scalar b for Int and Bool: "" for null
// or nothing, a string's content trimmed of space.
func scalar(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return "", nil
	}
	s, err := ScalarText(b)
	if b[0] == '"' {
		s = strings.TrimSpace(s)
	}
	return s, err
}

// String decodes a JSON string, or a number kept as its literal text (IDs
// a backend prints without quotes). null decodes to ""; anything else
// (an object, an array, a boolean) is an error.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (v *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*v = ""
		return nil
	case b[0] == '"':
		s, err := ScalarText(b)
		if err != nil {
			return err
		}
		*v = String(s)
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*v = String(num.String())
		return nil
	}
	return fmt.Errorf("%s is not a string", b)
}

// ScalarText returns the text of a non-empty JSON scalar: a string literal
// unquoted (without encoding/json when it holds no escapes), anything else
// as is.
func ScalarText(b []byte) (string, error) {
	if b[0] != '"' {
		return string(b), nil
	}
	if s, ok := PlainString(b); ok {
		return s, nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// PlainString returns the JSON string literal b without its quotes when it
// holds no escapes or control characters and is valid UTF-8; ok is false
// otherwise (encoding/json must unquote it).
func PlainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

// Strings is a decoded JSON object of scalars (instance metadata) as
// strings: a string as is, null as "", anything else as fmt.Sprint prints
// it. nil for an empty object.
func Strings(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// ParseTime reads an ISO 8601 / RFC 3339 time as these APIs print it: with
// a zone ("Z", "+09:00", "+0900"), or without one, which is UTC; "T" or a
// space between date and time; any fraction. The result is in UTC. An
// empty or unreadable value is the zero time: one bad timestamp should not
// fail a listing.
func ParseTime(s string) time.Time {
	v := strings.TrimSpace(s)
	if v == "" {
		return time.Time{}
	}
	for _, layout := range [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999", // no zone: UTC
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
