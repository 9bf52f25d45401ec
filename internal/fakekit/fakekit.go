// Package fakekit is the machinery the vendor fakes (adapters/*/fake) share:
// their listener, JSON answers and strict request decoding, random IDs,
// issued tokens, clocked state transitions and SSH key pairs. It holds no
// vendor's wire format: each fake keeps its own paths, field names, error
// bodies and quirks, as its vendor guide writes them, and uses the kit only
// for what is the same everywhere.
package fakekit

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// RandomHex returns n random bytes in hex (2n characters).
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewUUID returns a random (version 4) UUID in its canonical form.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// SortedKeys returns m's keys in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SortedValues returns m's values in the order of their keys.
func SortedValues[V any](m map[string]V) []V {
	values := make([]V, 0, len(m))
	for _, k := range SortedKeys(m) {
		values = append(values, m[k])
	}
	return values
}

// JSONErrorText describes a json error briefly, as a vendor's parser would:
// where the syntax broke, or which field has the wrong type.
func JSONErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	}
	return "unreadable body"
}
