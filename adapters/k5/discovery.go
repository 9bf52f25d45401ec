package k5

import (
	"context"
	"fmt"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/tokensource"
)

// Discovery on K5, from what its guide documents: images through the
// compute API's image calls (Part 1 section 1.2.6.11 "List images details"
// and 1.2.6.12 "Get image details"), volumes through System storage (Part 2
// section 2.1, "blockstoragev2" endpoint of the token's catalog). K5's
// networks and security groups are in its separate Network API reference,
// not in this guide, so ListNetworks and ListSecurityGroups are not
// implemented (UNSUPPORTED_BY_DIALECT).

var (
	_ driver.ImageLister  = (*Adapter)(nil)
	_ driver.VolumeLister = (*Adapter)(nil)
)

func (im *k5Image) driver() driver.Image {
	out := driver.Image{ID: im.ID, Name: im.Name, Status: im.Status, MinDiskGB: im.MinDisk, MinRAMMB: im.MinRAM}
	if t, err := time.Parse(time.RFC3339, im.Created); err == nil {
		out.Created = t
	}
	return out
}

// ListImages implements driver.ImageLister: GET /v2/{tenant}/images/detail
// (200 or 203).
func (a *Adapter) ListImages(ctx context.Context) ([]driver.Image, error) {
	var out []driver.Image
	err := a.call(ctx, "list images", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var body struct {
			Images []k5Image `json:"images"`
		}
		if _, err := sc.Get(ctx, sc.ServiceURL("images", "detail"), &body, &gophercloud.RequestOpts{OkCodes: []int{200, 203}}); err != nil {
			return err
		}
		out = out[:0]
		for i := range body.Images {
			out = append(out, body.Images[i].driver())
		}
		return nil
	})
	return out, err
}

// GetImage implements driver.ImageLister: GET /v2/{tenant}/images/{id}.
func (a *Adapter) GetImage(ctx context.Context, id string) (*driver.Image, error) {
	var out driver.Image
	err := a.call(ctx, "get image "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		im, err := getImage(ctx, sc, id)
		if err != nil {
			return err
		}
		out = im.driver()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListVolumes implements driver.VolumeLister: GET
// {blockstoragev2}/volumes/detail (guide 2.1.6.4).
func (a *Adapter) ListVolumes(ctx context.Context) ([]driver.Volume, error) {
	var out []driver.Volume
	err := a.serviceCall(ctx, "list volumes", "blockstoragev2", func(tok tokensource.Token) (*gophercloud.ServiceClient, error) {
		s, _ := tok.Catalog.(session)
		if s.blockStorage == "" {
			return nil, &driver.Error{Code: driver.CodeFailedPrecondition,
				Message: fmt.Sprintf("k5 cloud %q: the K5 token's service catalog has no public blockstoragev2 endpoint%s, so volumes cannot be listed",
					a.cfg.Name, regionHint(a.cfg.Region))}
		}
		if err := a.endpoints.Check("blockstoragev2", s.blockStorage); err != nil {
			return nil, err
		}
		return &gophercloud.ServiceClient{ProviderClient: a.provider, Endpoint: s.blockStorage,
			ResourceBase: s.blockStorage, MoreHeaders: map[string]string{"X-Auth-Token": tok.Value}}, nil
	}, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		out, err = nova.ListVolumes(ctx, sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
