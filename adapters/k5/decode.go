package k5

import (
	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/internal/novajson"
)

// k5Server is a server as K5's List details / Show server / Update server
// answers carry it (guide 1.1.6.2, 1.2.6.22, 1.2.6.36): Nova's server body
// with no K5 extension attribute (novajson.Server).
type k5Server = novajson.Server

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

// Entries implements nova.LinkedPage.
func (p *k5FlavorPage) Entries() ([]k5Flavor, []gophercloud.Link) { return p.Flavors, p.Links }

// k5Attachment is a volume attachment as K5's attach / list / show answers
// carry it (guide 1.2.6.40 to 1.2.6.42; show adds availability_zone, which
// the adapter does not use), decoded in one typed pass.
type k5Attachment struct {
	ID       string `json:"id"`
	Device   string `json:"device"`
	VolumeID string `json:"volumeId"`
	ServerID string `json:"serverId"`
}
