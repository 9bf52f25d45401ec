package driver

import (
	"net/url"
	"strings"
)

// MaxIDLen is the longest vendor ID or key pair name accepted.
const MaxIDLen = 255

// CheckID says what is wrong with id as a vendor ID, key pair name or any
// other value that an adapter puts into a URL path, or returns "" when it is
// acceptable. IDs differ between vendors (UUIDs, "1101", key pair names with
// spaces), so anything printable is accepted except what would change the
// URL it is put into: a slash, "?", "#", "%", a backslash, and the dot
// segments "." and "..".
func CheckID(id string) string {
	switch {
	case id == "":
		return "must not be empty"
	case len(id) > MaxIDLen:
		return "is longer than 255 bytes"
	case id == "." || id == "..":
		return `must not be "." or ".."`
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return "must not contain control characters"
		}
	}
	if i := strings.IndexAny(id, `/?#%\`); i >= 0 {
		return "must not contain " + strconvQuote(id[i:i+1]) + ` (IDs contain none of / ? # % \)`
	}
	return ""
}

func strconvQuote(s string) string { return `"` + s + `"` }

// PathSegment escapes id for use as exactly one URL path segment. Adapters
// put every caller-supplied ID through it before it reaches a vendor URL, in
// addition to the portable layer's CheckID: "/", "?", "#" and "%" are
// escaped, and a dot segment is encoded so that it cannot climb the path.
func PathSegment(id string) string {
	switch id {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(id)
}
