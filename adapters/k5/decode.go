package k5

import "github.com/computegw/computegw/internal/novajson"

// k5Server is a server as K5's List details / Show server / Update server
// answers carry it (guide 1.1.6.2, 1.2.6.22, 1.2.6.36), decoded in one typed
// pass instead of through gophercloud's servers.Server (generic maps for
// flavor, image, addresses and security groups, and a map round trip in
// Extract). It is at least as tolerant: any Nova timestamp shape
// (novajson.Time; unreadable ones are zero instead of failing the read),
// "image" as an object or "" (novajson.Ref), address versions as numbers
// or numeric strings (novajson.Int).
type k5Server struct {
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
	Addresses        map[string][]novajson.Address `json:"addresses"`
	Metadata         map[string]string             `json:"metadata"`
	SecurityGroups   []struct {
		Name string `json:"name"`
	} `json:"security_groups"`
	AttachedVolumes []struct {
		ID string `json:"id"`
	} `json:"os-extended-volumes:volumes_attached"`
}
