package nhnv2

import "github.com/computegw/computegw/internal/novajson"

// nhnServer is a server as the guide's Get/List Instances and Update
// Instance answers show it: novajson.Server (every timestamp shape the
// guides document, "image" as an object or the empty string Nova answers
// for a server booted from a volume) plus NHN's extension attribute
// NHN-EXT-ATTR:ephemeral_disk_size.
type nhnServer struct {
	novajson.Server
	// EphemeralDiskSize is NHN-EXT-ATTR:ephemeral_disk_size; nil when the
	// attribute is absent (or null).
	EphemeralDiskSize *int `json:"NHN-EXT-ATTR:ephemeral_disk_size"`
}
