package nova

import (
	"maps"
	"slices"
	"strings"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/novajson"
)

// Converter turns a decoded Nova server body into a driver.Instance with a
// dialect's readings.
type Converter struct {
	// States maps status and task state.
	States *States
	// UntypedAddress is the type of an address that carries no
	// OS-EXT-IPS:type (K5's guide omits it on fixed addresses; NHN's says
	// nothing about it).
	UntypedAddress driver.AddressType
}

// Instance converts s. Addresses come in network-name order (stable
// output), typed by OS-EXT-IPS:type in any case, their IP version kept
// when it is 4 or 6; security group names once each in answer order;
// attached volume IDs in answer order, empty ones dropped; the metadata map
// is s's own (decoded for this instance alone, so not copied). The
// dialect adds its extension attributes afterwards.
func (c Converter) Instance(s *novajson.Server) driver.Instance {
	in := driver.Instance{
		ID:           s.ID,
		Name:         s.Name,
		State:        c.States.State(s.Status, s.TaskState),
		VendorStatus: s.Status,
		TaskState:    s.TaskState,
		FlavorID:     s.Flavor.ID,
		ImageID:      s.Image.ID,
		Zone:         s.AvailabilityZone,
		KeyName:      s.KeyName,
		Created:      s.Created.Time,
		Updated:      s.Updated.Time,
		Launched:     s.LaunchedAt.Time,
		Addresses:    c.addresses(s.Addresses),
	}
	if len(s.Metadata) > 0 {
		in.Metadata = s.Metadata
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

// addresses converts {"network name": [{addr, version, OS-EXT-IPS:type,
// mac}]}; nil when there is none.
func (c Converter) addresses(m map[string][]novajson.Address) []driver.Address {
	n := 0
	for _, list := range m {
		n += len(list)
	}
	if n == 0 {
		return nil
	}
	out := make([]driver.Address, 0, n)
	for _, name := range slices.Sorted(maps.Keys(m)) {
		for _, a := range m[name] {
			addr := driver.Address{Network: name, IP: a.Addr, MAC: a.MAC, Type: c.UntypedAddress}
			switch {
			case strings.EqualFold(a.Type, "fixed"):
				addr.Type = driver.AddressFixed
			case strings.EqualFold(a.Type, "floating"):
				addr.Type = driver.AddressFloating
			}
			if a.Version == 4 || a.Version == 6 {
				addr.Version = int(a.Version)
			}
			out = append(out, addr)
		}
	}
	return out
}
