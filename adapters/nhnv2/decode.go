package nhnv2

import "github.com/computegw/computegw/internal/novajson"

// nhnServer is a server as the guide's Get/List Instances and Update
// Instance answers show it, decoded in one typed pass (gophercloud's
// servers.Server is decoded through generic maps: Flavor, Image and
// Addresses are map[string]any, which cost a map round trip and a
// re-marshal per server). It keeps gophercloud's tolerance and adds NHN's:
//
//   - every timestamp in any shape the guides document ("…Z",
//     "….ssssss", zone-less), an unreadable or non-string one left zero
//     rather than failing the read (novajson.Time);
//   - "image" as an object, or as the empty string Nova answers for a
//     server booted from a volume (novajson.Ref);
//   - NHN's extension attribute NHN-EXT-ATTR:ephemeral_disk_size.
type nhnServer struct {
	ID               string                        `json:"id"`
	Name             string                        `json:"name"`
	Status           string                        `json:"status"`
	TaskState        string                        `json:"OS-EXT-STS:task_state"` // null: ""
	Flavor           novajson.Ref                  `json:"flavor"`
	Image            novajson.Ref                  `json:"image"`
	AvailabilityZone string                        `json:"OS-EXT-AZ:availability_zone"`
	KeyName          string                        `json:"key_name"`
	Created          novajson.Time                 `json:"created"`
	Updated          novajson.Time                 `json:"updated"`
	LaunchedAt       novajson.Time                 `json:"OS-SRV-USG:launched_at"`
	TerminatedAt     novajson.Time                 `json:"OS-SRV-USG:terminated_at"`
	Addresses        map[string][]novajson.Address `json:"addresses"`
	Metadata         map[string]string             `json:"metadata"`
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
