package nhnv2

import (
	"slices"
	"strings"

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

// toInstance converts a server body into the driver's Instance.
func toInstance(s *nhnServer) driver.Instance {
	in := driver.Instance{
		ID:           s.ID,
		Name:         s.Name,
		State:        mapState(s.Status, s.TaskState),
		VendorStatus: s.Status,
		TaskState:    s.TaskState,
		FlavorID:     s.Flavor.ID,
		ImageID:      s.Image.ID,
		Zone:         s.AvailabilityZone,
		KeyName:      s.KeyName,
		Created:      s.Created.Time,
		Updated:      s.Updated.Time,
		Launched:     s.LaunchedAt.Time,
	}
	if s.EphemeralDiskSize != nil {
		// The server names its flavor by ID only; NHN adds the ephemeral
		// disk size, which the portable layer completes from the flavor list.
		in.FlavorDetails = &driver.Flavor{ID: in.FlavorID, EphemeralGB: *s.EphemeralDiskSize}
	}
	if len(s.Metadata) > 0 {
		in.Metadata = s.Metadata // decoded for this instance alone
	}
	// Addresses: {"network name": [{addr, version, OS-EXT-IPS:type, mac}]},
	// in network-name order for stable output.
	n := 0
	for _, list := range s.Addresses {
		n += len(list)
	}
	if n > 0 {
		in.Addresses = make([]driver.Address, 0, n)
		nets := make([]string, 0, len(s.Addresses))
		for name := range s.Addresses {
			nets = append(nets, name)
		}
		slices.Sort(nets)
		for _, name := range nets {
			for _, a := range s.Addresses[name] {
				t := driver.AddressTypeUnspecified
				switch {
				case strings.EqualFold(a.Type, "fixed"):
					t = driver.AddressFixed
				case strings.EqualFold(a.Type, "floating"):
					t = driver.AddressFloating
				}
				in.Addresses = append(in.Addresses, driver.Address{Network: name, IP: a.Addr, Version: int(a.Version), Type: t, MAC: a.MAC})
			}
		}
	}
	for _, g := range s.SecurityGroups {
		if g.Name != "" && !slices.Contains(in.SecurityGroups, g.Name) {
			in.SecurityGroups = append(in.SecurityGroups, g.Name)
		}
	}
	for _, v := range s.AttachedVolumes {
		if v.ID != "" {
			in.VolumeIDs = append(in.VolumeIDs, v.ID)
		}
	}
	return in
}
