package nhnv2

import (
	"slices"
	"strings"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
)

// states maps every instance status of both guide revisions to the
// unified state (the table in README.md, "States"): Nova's
// statuses plus the older revision's BUILDING and RESIZED, and RESCUED; not
// SHELVED (NHN's shelve goes straight to SHELVED_OFFLOADED) nor
// SOFT_DELETED, which read as UNKNOWN. task_state powering-on means
// STARTING only on an ACTIVE, SHUTOFF or STOPPED server (the guide starts
// only those); powering-off → STOPPING and deleting → DELETING on any
// listed status but DELETED (the guide allows stopping an ERROR server,
// which then reports ERROR + powering-off). See nova.States.
var states = nova.NewStates(nova.Overrides{
	Add: map[string]driver.State{
		"BUILDING": driver.StateProvisioning, // older revision
		"RESIZED":  driver.StateResizing,     // older revision
		"RESCUED":  driver.StateRescued,
	},
	Drop:         []string{"SHELVED", "SOFT_DELETED"},
	StartingFrom: []string{"ACTIVE", "SHUTOFF", "STOPPED"},
})

// mapState returns the unified state of a status refined by its task state.
func mapState(status, taskState string) driver.State { return states.State(status, taskState) }

// vendorStatusFor returns the single NHN status that a unified state
// filter can be pushed down as, or "" when the state has several sources.
func vendorStatusFor(s driver.State) string { return states.PushdownStatus(s) }

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
