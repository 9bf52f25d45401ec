package memory

import (
	"context"
	"sort"

	"github.com/computegw/computegw/driver"
)

// Subnet of the seeded network.
const (
	SubnetID   = "subnet-private"
	SubnetCIDR = "10.0.0.0/24"
)

func imageOf(id string) driver.Image {
	return driver.Image{ID: id, Name: id, Status: "ACTIVE", MinDiskGB: 10, Visibility: "public"}
}

// ListImages implements driver.ImageLister: the seeded images and every
// image CreateInstanceImage made.
func (a *Adapter) ListImages(ctx context.Context) ([]driver.Image, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, driver.Errorf(driver.CodeUnavailable, "adapter closed")
	}
	out := make([]driver.Image, 0, len(a.images))
	for id := range a.images {
		out = append(out, imageOf(id))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetImage implements driver.ImageLister.
func (a *Adapter) GetImage(ctx context.Context, id string) (*driver.Image, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.images[id] {
		return nil, driver.Errorf(driver.CodeNotFound, "image %q not found", id)
	}
	im := imageOf(id)
	return &im, nil
}

// ListNetworks implements driver.NetworkLister.
func (a *Adapter) ListNetworks(ctx context.Context) ([]driver.Network, error) {
	return []driver.Network{{ID: NetworkID, Name: "private", Status: "ACTIVE",
		Subnets: []driver.Subnet{{ID: SubnetID, Name: "private-subnet", CIDR: SubnetCIDR}}}}, nil
}

// ListVolumes implements driver.VolumeLister.
func (a *Adapter) ListVolumes(ctx context.Context) ([]driver.Volume, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]driver.Volume, 0, len(a.volumes))
	for id, owner := range a.volumes {
		v := driver.Volume{ID: id, Name: id, SizeGB: 10, Status: "available", Zone: Zone}
		if owner != "" {
			v.Status, v.AttachedTo = "in-use", []string{owner}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ListSecurityGroups implements driver.SecurityGroupLister.
func (a *Adapter) ListSecurityGroups(ctx context.Context) ([]driver.SecurityGroup, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]driver.SecurityGroup, 0, len(a.groups))
	for g := range a.groups {
		out = append(out, driver.SecurityGroup{ID: "sg-" + g, Name: g})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
