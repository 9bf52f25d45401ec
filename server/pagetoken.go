package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/computegw/computegw/driver"
)

// pageState is what a page token carries. Tokens are opaque to callers and
// tamper-evident: the payload is signed with the gateway's page-token key,
// and bound to the list (kind, parent) and its filters, so a modified token,
// or one reused with different filters, is INVALID_ARGUMENT.
type pageState struct {
	Kind   string `json:"k"`           // which list: "instances", "flavors", ...
	Parent string `json:"p"`           // the request's parent
	Filter string `json:"f,omitempty"` // hash of the filters in force
	Offset int    `json:"o,omitempty"` // for lists paged locally
	// Cursors: for instance lists, the clouds still to read and the marker
	// (last instance ID seen) in each, in configuration order.
	Cursors []cursor `json:"c,omitempty"`
}

type cursor struct {
	Cloud  string `json:"n"`
	Marker string `json:"m,omitempty"`
}

type pageTokens struct{ key []byte }

var tokenEncoding = base64.RawURLEncoding.Strict()

func (p pageTokens) encode(st pageState) string {
	payload, _ := json.Marshal(st)
	mac := hmac.New(sha256.New, p.key)
	mac.Write(payload)
	sum := mac.Sum(nil)[:16]
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sum)
}

// decode checks a token against the list it is used with. An empty token is
// the first page (ok=false).
func (p pageTokens) decode(token, kind, parent, filter string) (st pageState, ok bool, err error) {
	if token == "" {
		return pageState{}, false, nil
	}
	bad := func(why string) error { return driver.InvalidArgument("page_token", why) }
	payloadB64, sumB64, found := strings.Cut(token, ".")
	if !found {
		return st, false, bad("malformed page token")
	}
	// Strict: the unused low bits of a last character must be zero, so a
	// changed character never decodes to the same bytes (a lenient decoder
	// read 30 one-character changes per token as the original).
	payload, err1 := tokenEncoding.DecodeString(payloadB64)
	sum, err2 := tokenEncoding.DecodeString(sumB64)
	if err1 != nil || err2 != nil {
		return st, false, bad("malformed page token")
	}
	mac := hmac.New(sha256.New, p.key)
	mac.Write(payload)
	if !hmac.Equal(mac.Sum(nil)[:16], sum) {
		return st, false, bad("page token was modified or was issued by another gateway")
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return st, false, bad("malformed page token")
	}
	if st.Kind != kind || st.Parent != parent {
		return st, false, bad("page token belongs to a different list")
	}
	if st.Filter != filter {
		return st, false, bad("page token was issued for different filters; start again without it")
	}
	return st, true, nil
}

func hashFilter(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// pageSize applies AIP-158 defaults: 0 means the default, more than the
// maximum is capped, negative is INVALID_ARGUMENT.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, driver.InvalidArgument("page_size", "must not be negative")
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageLocal pages a complete list held in memory.
func pageLocal[T any](p pageTokens, items []T, kind, parent, filter, token string, size int32) ([]T, string, error) {
	n, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	st, ok, err := p.decode(token, kind, parent, filter)
	if err != nil {
		return nil, "", err
	}
	off := 0
	if ok {
		off = st.Offset
	}
	if off < 0 || off > len(items) {
		off = len(items)
	}
	end := min(off+n, len(items))
	next := ""
	if end < len(items) {
		next = p.encode(pageState{Kind: kind, Parent: parent, Filter: filter, Offset: end})
	}
	return items[off:end], next, nil
}
