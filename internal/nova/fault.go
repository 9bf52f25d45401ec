package nova

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault is a decoded Nova fault body such as
// {"itemNotFound": {"code": 404, "message": "…"}}, a Keystone error
// {"error": {"code": 401, "title": "Unauthorized", "message": "…"}}, or a
// Neutron one {"NeutronError": {"type": …, "message": …}}.
type Fault struct {
	// Name is the fault's key ("itemNotFound", "conflictingRequest", …),
	// a Keystone error's title ("Unauthorized"); "" for a body that is no
	// fault.
	Name string
	// Message is the fault's message; for a body that is no fault, a short
	// excerpt of it (none of an HTML page).
	Message string
	// RetryAfter is overLimit's "retryAfter" (seconds, as a number or a
	// numeric string), when given.
	RetryAfter time.Duration
}

// maxExcerpt bounds the excerpt kept of a body that is no fault.
const maxExcerpt = 200

// ParseFault decodes an error answer's body. The first key (in sorted
// order) whose value is an object with a message or a title is the fault;
// a single key whose object has neither still names it. Anything else (a
// proxy's page, plain text) keeps a short excerpt as the message, none of
// an HTML page.
func ParseFault(body []byte) Fault {
	body = bytes.TrimSpace(body)
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		for _, name := range slices.Sorted(maps.Keys(top)) {
			var f struct {
				Message    string          `json:"message"`
				Title      string          `json:"title"`
				RetryAfter json.RawMessage `json:"retryAfter"`
			}
			if json.Unmarshal(top[name], &f) != nil || (f.Message == "" && f.Title == "" && len(top) > 1) {
				continue
			}
			out := Fault{Name: name, Message: f.Message}
			if name == "error" && f.Title != "" {
				out.Name = f.Title
			}
			if s := strings.Trim(string(f.RetryAfter), `" `); s != "" {
				if n, err := strconv.Atoi(s); err == nil && n > 0 {
					out.RetryAfter = time.Duration(n) * time.Second
				}
			}
			return out
		}
	}
	return Fault{Message: Excerpt(body)}
}

// Excerpt is a short, trimmed excerpt of a body that is no fault, for an
// error's vendor message; "" for an HTML page (a proxy's error page says
// nothing the status does not).
func Excerpt(body []byte) string {
	msg := strings.TrimSpace(string(body))
	if strings.HasPrefix(msg, "<") {
		return ""
	}
	if len(msg) > maxExcerpt {
		msg = msg[:maxExcerpt] + "…"
	}
	return msg
}
