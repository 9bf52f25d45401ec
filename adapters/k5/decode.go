package k5

import (
	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/internal/novajson"
)

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

// k5Flavor is a flavor as K5's "List flavors with access type" and "Show
// flavor access type" answers carry it (guide 1.2.6.46, 1.2.6.47), decoded
// in one typed pass: gophercloud's flavors.Flavor goes through a map round
// trip in Extract and decodes each flavor twice (its UnmarshalJSON). It
// reads only what the adapter uses, so a field the adapter ignores (swap,
// which Nova sends as "" or a number, rxtx_factor, extra_specs) cannot fail
// the read.
type k5Flavor struct {
	// In the guide's order.
	Disk      int    `json:"disk"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsPublic  bool   `json:"os-flavor-access:is_public"`
	RAM       int    `json:"ram"`
	VCPUs     int    `json:"vcpus"`
	Ephemeral int    `json:"OS-FLV-EXT-DATA:ephemeral"`
}

// k5FlavorPage is one page of GET /flavors.
type k5FlavorPage struct {
	Flavors []k5Flavor         `json:"flavors"`
	Links   []gophercloud.Link `json:"flavors_links"`
}

// k5Attachment is a volume attachment as K5's attach / list / show answers
// carry it (guide 1.2.6.40 to 1.2.6.42; show adds availability_zone, which
// the adapter does not use), decoded in one typed pass.
type k5Attachment struct {
	ID       string `json:"id"`
	Device   string `json:"device"`
	VolumeID string `json:"volumeId"`
	ServerID string `json:"serverId"`
}
