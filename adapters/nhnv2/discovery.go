package nhnv2

import (
	"context"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v2/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/tokensource"
)

// Discovery (images, networks, volumes, security groups) is not part of
// NHN Cloud's Instance API: it lives in the OpenStack services an NHN
// Cloud token's service catalog lists beside "compute" — the Image
// service (Glance v2, type "image"), the Network service (Neutron v2.0,
// type "network") and Block Storage (Cinder v2, type "volumev2"). The
// adapter reads them with gophercloud's clients for those services, with
// the same token (and the same single re-login on a 401) as compute calls.

var (
	_ driver.ImageLister         = (*Adapter)(nil)
	_ driver.NetworkLister       = (*Adapter)(nil)
	_ driver.VolumeLister        = (*Adapter)(nil)
	_ driver.SecurityGroupLister = (*Adapter)(nil)
)

// catalogService describes one catalog service type and where gophercloud's
// resources live under its endpoint.
type catalogService struct {
	types   []string // catalog types, in preference order
	label   string   // for messages
	version string   // appended to the endpoint unless it ends with it ("" for Cinder, whose URL has the tenant)
}

var (
	imageService   = catalogService{types: []string{"image"}, label: "image (Glance)", version: "v2"}
	networkService = catalogService{types: []string{"network"}, label: "network (Neutron)", version: "v2.0"}
	volumeService  = catalogService{types: []string{"volumev2", "volumev3", "block-storage"}, label: "block storage (Cinder)"}
)

// catalogURL returns the public URL of svc in region (any region when
// empty), without a trailing slash.
func catalogURL(entries []tokens.CatalogEntry, svc catalogService, region string) string {
	for _, typ := range svc.types {
		for _, e := range entries {
			if e.Type != typ {
				continue
			}
			for _, ep := range e.Endpoints {
				if ep.PublicURL == "" || (region != "" && !strings.EqualFold(ep.Region, region)) {
					continue
				}
				if u, err := baseURL(ep.PublicURL); err == nil {
					return u
				}
			}
		}
	}
	return ""
}

// serviceCall runs fn with a client for svc from the token's catalog,
// re-logging in once on a 401 like compute calls.
func (a *Adapter) serviceCall(ctx context.Context, op string, svc catalogService, fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	return a.callWith(ctx, op, func(tok tokensource.Token) (*gophercloud.ServiceClient, error) {
		sess, _ := tok.Catalog.(*session)
		var u string
		if sess != nil {
			u = catalogURL(sess.catalog, svc, a.cfg.Region)
		}
		if u == "" {
			return nil, &driver.Error{Code: driver.CodeFailedPrecondition,
				Message: "NHN Cloud token's service catalog has no " + svc.label + " endpoint" + regionHint(a.cfg.Region) +
					", so " + op + " cannot be answered on cloud " + a.cfg.Name}
		}
		if err := a.endpoints.Check(svc.label, u); err != nil {
			return nil, err
		}
		sc := &gophercloud.ServiceClient{ProviderClient: a.provider(tok), Endpoint: u + "/", ResourceBase: u + "/"}
		if svc.version != "" && !strings.HasSuffix(u, "/"+svc.version) {
			sc.ResourceBase = u + "/" + svc.version + "/"
		}
		return sc, nil
	}, fn)
}

func imageFrom(im *images.Image) driver.Image {
	return driver.Image{ID: im.ID, Name: im.Name, Status: string(im.Status), MinDiskGB: im.MinDiskGigabytes,
		MinRAMMB: im.MinRAMMegabytes, SizeBytes: im.SizeBytes, Created: im.CreatedAt, Visibility: string(im.Visibility)}
}

// ListImages implements driver.ImageLister: GET {image}/v2/images, every
// page (Glance pages with limit/marker and a "next" link).
func (a *Adapter) ListImages(ctx context.Context) ([]driver.Image, error) {
	var out []driver.Image
	err := a.serviceCall(ctx, "list images", imageService, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		ims, err := nova.All(ctx, images.List(sc, images.ListOpts{Limit: 100}), images.ExtractImages)
		out = nova.Convert(ims, imageFrom)
		return err
	})
	return out, err
}

// GetImage implements driver.ImageLister: GET {image}/v2/images/{id}.
func (a *Adapter) GetImage(ctx context.Context, id string) (*driver.Image, error) {
	var out driver.Image
	err := a.serviceCall(ctx, "get image "+id, imageService, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		im, err := images.Get(ctx, sc, id).Extract()
		if err != nil {
			return err
		}
		out = imageFrom(im)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListNetworks implements driver.NetworkLister: GET {network}/v2.0/networks
// and /v2.0/subnets, joined on network_id.
func (a *Adapter) ListNetworks(ctx context.Context) ([]driver.Network, error) {
	var out []driver.Network
	err := a.serviceCall(ctx, "list networks", networkService, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		out = out[:0]
		nets, err := nova.All(ctx, networks.List(sc, networks.ListOpts{}), networks.ExtractNetworks)
		if err != nil {
			return err
		}
		subs, err := nova.All(ctx, subnets.List(sc, subnets.ListOpts{}), subnets.ExtractSubnets)
		if err != nil {
			return err
		}
		byNet := map[string][]driver.Subnet{}
		for _, s := range subs {
			byNet[s.NetworkID] = append(byNet[s.NetworkID], driver.Subnet{ID: s.ID, Name: s.Name, CIDR: s.CIDR})
		}
		for _, n := range nets {
			out = append(out, driver.Network{ID: n.ID, Name: n.Name, Status: n.Status, Subnets: byNet[n.ID]})
		}
		return nil
	})
	return out, err
}

// ListSecurityGroups implements driver.SecurityGroupLister: GET
// {network}/v2.0/security-groups.
func (a *Adapter) ListSecurityGroups(ctx context.Context) ([]driver.SecurityGroup, error) {
	var out []driver.SecurityGroup
	err := a.serviceCall(ctx, "list security groups", networkService, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		gs, err := nova.All(ctx, groups.List(sc, groups.ListOpts{}), groups.ExtractGroups)
		out = nova.Convert(gs, func(g *groups.SecGroup) driver.SecurityGroup {
			return driver.SecurityGroup{ID: g.ID, Name: g.Name, Description: g.Description}
		})
		return err
	})
	return out, err
}

// ListVolumes implements driver.VolumeLister: GET
// {volumev2}/volumes/detail.
func (a *Adapter) ListVolumes(ctx context.Context) ([]driver.Volume, error) {
	var out []driver.Volume
	err := a.serviceCall(ctx, "list volumes", volumeService, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		out, err = nova.ListVolumes(ctx, sc)
		return err
	})
	return out, err
}
