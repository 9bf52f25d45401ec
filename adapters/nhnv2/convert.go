package nhnv2

import (
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

// converter reads NHN's server bodies: an address without
// OS-EXT-IPS:type has no type (AddressTypeUnspecified).
var converter = nova.Converter{States: states, UntypedAddress: driver.AddressTypeUnspecified}

// toInstance converts a server body into the driver's Instance.
func toInstance(s *nhnServer) driver.Instance {
	in := converter.Instance(&s.Server)
	if s.EphemeralDiskSize != nil {
		// The server names its flavor by ID only; NHN adds the ephemeral
		// disk size, which the portable layer completes from the flavor list.
		in.FlavorDetails = &driver.Flavor{ID: in.FlavorID, EphemeralGB: *s.EphemeralDiskSize}
	}
	return in
}
