// Package novajson holds the tolerant scalar types the Nova-derived adapters
// (nhnv2, k5) decode server answers with in one typed pass, instead of
// gophercloud's servers.Server, which decodes Flavor, Image, Addresses and
// security groups through generic maps (a map round trip and a re-marshal
// per server) and refuses timestamp shapes the vendor guides document.
package novajson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Ref is a {"id": …, "links": […]} reference (a server's flavor or image).
// A JSON string is taken as the ID itself (Nova answers "image": "" for a
// server booted from a volume), null as no reference.
type Ref struct{ ID string }

// UnmarshalJSON implements json.Unmarshaler.
func (r *Ref) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || b[0] == 'n':
		r.ID = ""
		return nil
	case b[0] == '"':
		if s, ok := simpleString(b); ok {
			r.ID = s
			return nil
		}
		return json.Unmarshal(b, &r.ID)
	}
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	r.ID = v.ID
	return nil
}

// Time is a server timestamp in any shape Nova-derived APIs print
// (ParseTime); anything else (null, a number, an unreadable string) is the
// zero time, so one odd timestamp never fails a whole list.
type Time struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	if len(b) < 2 || b[0] != '"' {
		return nil
	}
	s, ok := simpleString(b)
	if !ok && json.Unmarshal(b, &s) != nil {
		return nil
	}
	t.Time, _ = ParseTime(s)
	return nil
}

// ParseTime reads RFC 3339 (with a zone, any fraction), or the zone-less
// "YYYY-MM-DDThh:mm:ss[.ffffff]" Nova prints for launched_at and
// terminated_at (UTC).
func ParseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Int is a number that may also come as a numeric string ("4"); null and
// anything unreadable are 0.
type Int int

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	*n = 0
	if len(b) > 1 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	if v, err := strconv.Atoi(string(b)); err == nil {
		*n = Int(v)
	}
	return nil
}

// Address is one entry of a server's "addresses" map.
type Address struct {
	Addr    string `json:"addr"`
	Version Int    `json:"version"`
	Type    string `json:"OS-EXT-IPS:type"`
	MAC     string `json:"OS-EXT-IPS-MAC:mac_addr"`
}

// simpleString returns the JSON string literal b without its quotes when
// it holds no escapes or control characters and is valid UTF-8 (the common
// case, read without encoding/json's unquoting); ok is false otherwise.
func simpleString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
		return "", false
	}
	for _, c := range inner {
		if c < 0x20 {
			return "", false
		}
	}
	return string(inner), true
}

// Server is the part of a server body (List details, Show, Update server)
// every Nova-derived API answers, decoded in one typed pass instead of
// through gophercloud's servers.Server (generic maps for flavor, image,
// addresses and security groups, and a map round trip in Extract). It is
// at least as tolerant: any Nova timestamp shape (Time: an unreadable one
// is zero instead of failing the read), "image" as an object or "" (Ref),
// address versions as numbers or numeric strings (Int). A dialect embeds
// it and adds its own extension attributes.
type Server struct {
	ID               string               `json:"id"`
	Name             string               `json:"name"`
	Status           string               `json:"status"`
	TaskState        string               `json:"OS-EXT-STS:task_state"` // null: ""
	Flavor           Ref                  `json:"flavor"`
	Image            Ref                  `json:"image"`
	AvailabilityZone string               `json:"OS-EXT-AZ:availability_zone"`
	KeyName          string               `json:"key_name"`
	Created          Time                 `json:"created"`
	Updated          Time                 `json:"updated"`
	LaunchedAt       Time                 `json:"OS-SRV-USG:launched_at"`
	TerminatedAt     Time                 `json:"OS-SRV-USG:terminated_at"`
	Addresses        map[string][]Address `json:"addresses"`
	Metadata         map[string]string    `json:"metadata"`
	SecurityGroups   []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	AttachedVolumes []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
}
