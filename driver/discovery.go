package driver

import (
	"context"
	"time"
)

// Discovery: what a caller needs to build a valid create request (images,
// networks and their subnets, volumes, security groups). Each lister is an
// optional interface: a dialect implements one only where its vendor
// documents the listing, and the portable layer answers UNIMPLEMENTED with
// reason UNSUPPORTED_BY_DIALECT otherwise. Listers return every item; the
// portable layer pages.

// Image is an image instances boot from.
type Image struct {
	ID        string
	Name      string
	Status    string // the vendor's status string, as reported
	MinDiskGB int
	MinRAMMB  int
	SizeBytes int64
	Created   time.Time
	// Visibility is "public", "private", "shared" or "community" when the
	// vendor reports it.
	Visibility string
}

// ImageLister is implemented by dialects that can list their images.
type ImageLister interface {
	// ListImages returns every image the tenant can boot from.
	ListImages(ctx context.Context) ([]Image, error)
	// GetImage returns one image; CodeNotFound when it does not exist.
	GetImage(ctx context.Context, id string) (*Image, error)
}

// Subnet is one subnet of a network.
type Subnet struct {
	ID   string
	Name string
	CIDR string
}

// Network is a network instances can be attached to.
type Network struct {
	ID      string
	Name    string
	Status  string
	Subnets []Subnet
}

// NetworkLister is implemented by dialects that can list networks.
type NetworkLister interface {
	// ListNetworks returns every network with its subnets.
	ListNetworks(ctx context.Context) ([]Network, error)
}

// Volume is a block-storage volume.
type Volume struct {
	ID     string
	Name   string
	Status string // the vendor's status string, as reported
	SizeGB int
	Type   string
	Zone   string
	// AttachedTo holds the IDs of the instances the volume is attached to.
	AttachedTo []string
	Bootable   bool
}

// VolumeLister is implemented by dialects that can list volumes.
type VolumeLister interface {
	ListVolumes(ctx context.Context) ([]Volume, error)
}

// SecurityGroup is a security group. Name is what create and
// AddSecurityGroup take.
type SecurityGroup struct {
	ID          string
	Name        string
	Description string
}

// SecurityGroupLister is implemented by dialects that can list security
// groups.
type SecurityGroupLister interface {
	ListSecurityGroups(ctx context.Context) ([]SecurityGroup, error)
}

// CreateRequirements is what a create needs on a dialect: GetCloud shows it
// so that a client can build a valid request in one try. RequiredFields
// are request field paths ("instance.key_pair"); each must be one the
// adapter's own validation reports as missing when it is.
type CreateRequirements struct {
	RequiredFields  []string
	DisplayNameRule string
	BootVolumeRule  string
}

// CreateRequirer is implemented by dialects that state their create
// requirements. It makes no backend call.
type CreateRequirer interface {
	CreateRequirements() CreateRequirements
}
