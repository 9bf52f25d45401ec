package nhnv2

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

// statusStates maps every instance status of both guide revisions to the
// unified state (dialects.md, nhnv2 column). Anything else is UNKNOWN.
var statusStates = map[string]driver.State{
	"BUILD":             driver.StateProvisioning, // newer revision
	"BUILDING":          driver.StateProvisioning, // older revision
	"ACTIVE":            driver.StateRunning,
	"PASSWORD":          driver.StateRunning,
	"SHUTOFF":           driver.StateStopped,
	"STOPPED":           driver.StateStopped,
	"REBOOT":            driver.StateRebooting,
	"HARD_REBOOT":       driver.StateRebooting,
	"RESIZE":            driver.StateResizing,
	"RESIZED":           driver.StateResizing,
	"VERIFY_RESIZE":     driver.StateVerifyResize,
	"REVERT_RESIZE":     driver.StateRevertingResize,
	"MIGRATING":         driver.StateMigrating,
	"REBUILD":           driver.StateRebuilding,
	"SHELVED_OFFLOADED": driver.StateShelved,
	"PAUSED":            driver.StatePaused,
	"SUSPENDED":         driver.StateSuspended,
	"RESCUED":           driver.StateRescued,
	"RESCUE":            driver.StateRescued,
	"DELETED":           driver.StateDeleted,
	"ERROR":             driver.StateError,
	"UNKNOWN":           driver.StateUnknown,
}

// mapState returns the unified state of a status, refined by Nova's
// OS-EXT-STS:task_state as dialects.md says: powering-on → STARTING on an
// ACTIVE/SHUTOFF/STOPPED server; powering-off → STOPPING and deleting →
// DELETING on any status of the guide but DELETED (the guide allows
// stopping an ERROR server, which then reports ERROR + powering-off). A
// status the guide does not list stays UNKNOWN whatever its task state.
func mapState(status, taskState string) driver.State {
	status = strings.ToUpper(strings.TrimSpace(status))
	st, ok := statusStates[status]
	if !ok {
		return driver.StateUnknown
	}
	switch strings.ToLower(taskState) {
	case "deleting":
		if st != driver.StateDeleted {
			return driver.StateDeleting
		}
	case "powering-on":
		if status == "ACTIVE" || status == "SHUTOFF" || status == "STOPPED" {
			return driver.StateStarting
		}
	case "powering-off":
		if st != driver.StateDeleted {
			return driver.StateStopping
		}
	}
	return st
}

// vendorStatusFor returns the single NHN status that a unified state
// filter can be pushed down as, or "" when the state has several sources
// (several statuses, or a task_state refinement) and must be filtered by the
// portable layer only.
func vendorStatusFor(s driver.State) string {
	var found string
	switch s {
	case driver.StateStarting, driver.StateStopping, driver.StateDeleting, driver.StateUnknown:
		return ""
	}
	for status, st := range statusStates {
		if st == s {
			if found != "" {
				return ""
			}
			found = status
		}
	}
	return found
}

// nhnServer is gophercloud's servers.Server plus NHN's extension attribute
// NHN-EXT-ATTR:ephemeral_disk_size (Get Instance in the guide).
type nhnServer struct {
	servers.Server
	EphemeralDiskSize int
	hasEphemeral      bool // the attribute was present
}

// serverTimes are the server timestamps the adapter parses itself rather
// than through gophercloud: the guide documents OS-SRV-USG:terminated_at as
// "YYYY-MM-DDThh:mm:ssZ" while gophercloud accepts only the zone-less
// "YYYY-MM-DDThh:mm:ss.ssssss" there (and launched_at, created and updated
// could equally come in the other shape). One deleted server in a
// changes-since list must not fail the whole list, so every one of these is
// read with parseTime, and an unreadable value is left zero.
var serverTimes = []string{"created", "updated", "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at"}

func (s *nhnServer) UnmarshalJSON(b []byte) error {
	var ext struct {
		Created    json.RawMessage `json:"created"`
		Updated    json.RawMessage `json:"updated"`
		Launched   json.RawMessage `json:"OS-SRV-USG:launched_at"`
		Terminated json.RawMessage `json:"OS-SRV-USG:terminated_at"`
		Ephemeral  *int            `json:"NHN-EXT-ATTR:ephemeral_disk_size"`
	}
	if err := json.Unmarshal(b, &ext); err != nil {
		return err
	}
	s.Server = servers.Server{}
	if err := json.Unmarshal(b, &s.Server); err != nil {
		// gophercloud refused a timestamp shape (the common case decodes
		// in one pass); decode the rest without them.
		if err := s.decodeWithoutTimes(b); err != nil {
			return err
		}
	}
	s.Created, s.Updated = rawTime(ext.Created), rawTime(ext.Updated)
	s.LaunchedAt, s.TerminatedAt = rawTime(ext.Launched), rawTime(ext.Terminated)
	s.EphemeralDiskSize, s.hasEphemeral = 0, ext.Ephemeral != nil
	if ext.Ephemeral != nil {
		s.EphemeralDiskSize = *ext.Ephemeral
	}
	return nil
}

// decodeWithoutTimes decodes b into s.Server with the serverTimes keys
// removed, for an answer whose timestamps gophercloud cannot parse.
func (s *nhnServer) decodeWithoutTimes(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, k := range serverTimes {
		delete(raw, k)
	}
	rest, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	s.Server = servers.Server{}
	return json.Unmarshal(rest, &s.Server)
}

// rawTime reads a JSON timestamp in any shape parseTime knows; anything
// else (absent, null, unreadable) is the zero time.
func rawTime(v json.RawMessage) time.Time {
	var str string
	if len(v) == 0 || json.Unmarshal(v, &str) != nil {
		return time.Time{}
	}
	t, _ := parseTime(str)
	return t
}

// nhnAddress is one entry of a server's "addresses" map.
type nhnAddress struct {
	Addr    string `json:"addr"`
	Version int    `json:"version"`
	Type    string `json:"OS-EXT-IPS:type"`
	MAC     string `json:"OS-EXT-IPS-MAC:mac_addr"`
}

func stringField(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// toInstance converts a server body into the driver's Instance.
func toInstance(s *nhnServer) driver.Instance {
	in := driver.Instance{
		ID:           s.ID,
		Name:         s.Name,
		State:        mapState(s.Status, s.TaskState),
		VendorStatus: s.Status,
		TaskState:    s.TaskState,
		FlavorID:     stringField(s.Flavor, "id"),
		ImageID:      stringField(s.Image, "id"),
		Zone:         s.AvailabilityZone,
		KeyName:      s.KeyName,
		Created:      s.Created,
		Updated:      s.Updated,
		Launched:     s.LaunchedAt,
	}
	if s.hasEphemeral {
		// The server names its flavor by ID only; NHN adds the ephemeral
		// disk size, which the portable layer completes from the flavor list.
		in.FlavorDetails = &driver.Flavor{ID: in.FlavorID, EphemeralGB: s.EphemeralDiskSize}
	}
	if len(s.Metadata) > 0 {
		in.Metadata = make(map[string]string, len(s.Metadata))
		for k, v := range s.Metadata {
			in.Metadata[k] = v
		}
	}
	// Addresses: {"network name": [{addr, version, OS-EXT-IPS:type, mac}]},
	// in network-name order for stable output.
	nets := make([]string, 0, len(s.Addresses))
	for n := range s.Addresses {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	for _, n := range nets {
		raw, err := json.Marshal(s.Addresses[n])
		if err != nil {
			continue
		}
		var list []nhnAddress
		if json.Unmarshal(raw, &list) != nil {
			continue
		}
		for _, a := range list {
			t := driver.AddressTypeUnspecified
			switch strings.ToLower(a.Type) {
			case "fixed":
				t = driver.AddressFixed
			case "floating":
				t = driver.AddressFloating
			}
			in.Addresses = append(in.Addresses, driver.Address{Network: n, IP: a.Addr, Version: a.Version, Type: t, MAC: a.MAC})
		}
	}
	for _, g := range s.SecurityGroups {
		if name, _ := g["name"].(string); name != "" && !slices.Contains(in.SecurityGroups, name) {
			in.SecurityGroups = append(in.SecurityGroups, name)
		}
	}
	for _, v := range s.AttachedVolumes {
		if v.ID != "" {
			in.VolumeIDs = append(in.VolumeIDs, v.ID)
		}
	}
	return in
}
