package nova

import (
	"context"
	"fmt"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v2/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/pagination"

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

// All reads every page of pager (gophercloud's AllPages) and extracts its
// items with extract (networks.ExtractNetworks, images.ExtractImages, …).
func All[T any](ctx context.Context, pager pagination.Pager, extract func(pagination.Page) ([]T, error)) ([]T, error) {
	pages, err := pager.AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return extract(pages)
}

// Convert maps items to driver values; nil when there are none.
func Convert[T, U any](items []T, to func(*T) U) []U {
	if len(items) == 0 {
		return nil
	}
	out := make([]U, 0, len(items))
	for i := range items {
		out = append(out, to(&items[i]))
	}
	return out
}

// MaxPages bounds a list that keeps linking a next page.
const MaxPages = 1000

// LinkedPage is one page of a Nova list that links the next one, such as
// {"flavors": […], "flavors_links": [{"rel": "next", "href": …}]}: a
// dialect's page type returns its entries and its links.
type LinkedPage[T any] interface {
	Entries() ([]T, []gophercloud.Link)
}

// FollowLinks GETs url and each next page it links (rel "next"), decoding
// every page once into P, until a page links none or holds no entry (at
// most MaxPages), and returns all the entries in order. ok lists the
// statuses a page may come with.
func FollowLinks[T, P any, PP interface {
	*P
	LinkedPage[T]
}](ctx context.Context, sc *gophercloud.ServiceClient, url string, ok []int) ([]T, error) {
	var out []T
	for range MaxPages {
		var page P
		if _, err := sc.Get(ctx, url, &page, &gophercloud.RequestOpts{OkCodes: ok}); err != nil {
			return nil, err
		}
		items, links := PP(&page).Entries()
		if out == nil {
			out = items
		} else {
			out = append(out, items...)
		}
		next, err := gophercloud.ExtractNextURL(links)
		if err != nil {
			return nil, err
		}
		if next == "" || len(items) == 0 {
			return out, nil
		}
		url = next
	}
	return nil, fmt.Errorf("the list did not end after %d pages", MaxPages)
}

// ListZones is Nova's GET /os-availability-zone as driver zones. Its error
// is the backend's, unclassified (a dialect may read a 404 as "no zone
// listing").
func ListZones(ctx context.Context, sc *gophercloud.ServiceClient) ([]driver.Zone, error) {
	zones, err := All(ctx, availabilityzones.List(sc), availabilityzones.ExtractAvailabilityZones)
	return Convert(zones, func(z *availabilityzones.AvailabilityZone) driver.Zone {
		return driver.Zone{Name: z.ZoneName, Available: z.ZoneState.Available}
	}), err
}

// ListVolumes is Cinder v2's GET {block storage}/volumes/detail, every page,
// as driver volumes (bootable when Cinder says "true" in any case; attached
// to the servers of its attachments).
func ListVolumes(ctx context.Context, sc *gophercloud.ServiceClient) ([]driver.Volume, error) {
	vs, err := All(ctx, volumes.List(sc, volumes.ListOpts{}), volumes.ExtractVolumes)
	return Convert(vs, func(v *volumes.Volume) driver.Volume {
		dv := driver.Volume{ID: v.ID, Name: v.Name, Status: v.Status, SizeGB: v.Size, Type: v.VolumeType,
			Zone: v.AvailabilityZone, Bootable: strings.EqualFold(v.Bootable, "true")}
		for _, at := range v.Attachments {
			if at.ServerID != "" {
				dv.AttachedTo = append(dv.AttachedTo, at.ServerID)
			}
		}
		return dv
	}), err
}
