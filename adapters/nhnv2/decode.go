package nhnv2

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// nhnServer is a server as the guide's Get/List Instances and Update
// Instance answers show it, decoded in one typed pass (gophercloud's
// servers.Server is decoded through generic maps: Flavor, Image and
// Addresses are map[string]any, which cost a map round trip and a
// re-marshal per server). It keeps gophercloud's tolerance and adds NHN's:
//
//   - every timestamp in any shape the guides document ("…Z",
//     "….ssssss", zone-less), an unreadable or non-string one left zero
//     rather than failing the read (see novaTime);
//   - "image" as an object, or as the empty string Nova answers for a
//     server booted from a volume (see idRef);
//   - NHN's extension attribute NHN-EXT-ATTR:ephemeral_disk_size.
type nhnServer struct {
	ID               string                  `json:"id"`
	Name             string                  `json:"name"`
	Status           string                  `json:"status"`
	TaskState        string                  `json:"OS-EXT-STS:task_state"` // null: ""
	Flavor           idRef                   `json:"flavor"`
	Image            idRef                   `json:"image"`
	AvailabilityZone string                  `json:"OS-EXT-AZ:availability_zone"`
	KeyName          string                  `json:"key_name"`
	Created          novaTime                `json:"created"`
	Updated          novaTime                `json:"updated"`
	LaunchedAt       novaTime                `json:"OS-SRV-USG:launched_at"`
	TerminatedAt     novaTime                `json:"OS-SRV-USG:terminated_at"`
	Addresses        map[string][]nhnAddress `json:"addresses"`
	Metadata         map[string]string       `json:"metadata"`
	SecurityGroups   []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	AttachedVolumes []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
	// EphemeralDiskSize is NHN-EXT-ATTR:ephemeral_disk_size; nil when the
	// attribute is absent (or null).
	EphemeralDiskSize *int `json:"NHN-EXT-ATTR:ephemeral_disk_size"`
}

// nhnAddress is one entry of a server's "addresses" map.
type nhnAddress struct {
	Addr    string `json:"addr"`
	Version int    `json:"version"`
	Type    string `json:"OS-EXT-IPS:type"`
	MAC     string `json:"OS-EXT-IPS-MAC:mac_addr"`
}

// idRef is a {"id": …, "links": […]} reference. A JSON string is taken as
// the ID itself (Nova answers "image": "" for a server booted from a
// volume), null as no reference.
type idRef struct{ ID string }

func (r *idRef) UnmarshalJSON(b []byte) error {
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

// novaTime is a server timestamp. The guides document several shapes
// (created "…Z", launched_at "….ssssss" without a zone, terminated_at
// "…Z", which gophercloud refuses), so any shape parseTime knows is read;
// anything else (null, a number, an unreadable string) is the zero time:
// one odd timestamp must not fail a whole list.
type novaTime struct{ time.Time }

func (t *novaTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	if len(b) < 2 || b[0] != '"' {
		return nil
	}
	s, ok := simpleString(b)
	if !ok {
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
	}
	t.Time, _ = parseTime(s)
	return nil
}

// simpleString returns the JSON string literal b without its quotes when it
// holds no escapes and is valid UTF-8 (the common case, decoded without
// encoding/json's unquoting); ok false otherwise.
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
