package nova

import (
	"context"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v2/volumes"

	"github.com/computegw/computegw/driver"
)

// Act is the body of a call that runs one of gophercloud's server actions
// (servers.Start, servers.Stop, servers.Shelve, …) on server id, escaped as
// one path segment, and returns its error.
func Act[R interface{ ExtractErr() error }](id string, action func(context.Context, *gophercloud.ServiceClient, string) R) func(context.Context, *gophercloud.ServiceClient) error {
	return func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return action(ctx, sc, driver.PathSegment(id)).ExtractErr()
	}
}

// ListVolumes is Cinder v2's GET {block storage}/volumes/detail, every page,
// as driver volumes (bootable when Cinder says "true" in any case; attached
// to the servers of its attachments).
func ListVolumes(ctx context.Context, sc *gophercloud.ServiceClient) ([]driver.Volume, error) {
	pages, err := volumes.List(sc, volumes.ListOpts{}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, err
	}
	var out []driver.Volume // nil when there is none, as before
	for _, v := range vs {
		dv := driver.Volume{ID: v.ID, Name: v.Name, Status: v.Status, SizeGB: v.Size, Type: v.VolumeType,
			Zone: v.AvailabilityZone, Bootable: strings.EqualFold(v.Bootable, "true")}
		for _, at := range v.Attachments {
			if at.ServerID != "" {
				dv.AttachedTo = append(dv.AttachedTo, at.ServerID)
			}
		}
		out = append(out, dv)
	}
	return out, nil
}
