package nhnv2

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/secgroups"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/tokensource"
)

// listQuery maps ListInstancesOptions to GET /servers/detail parameters:
// limit and marker page; name (as an anchored, escaped regular expression,
// since NHN treats it as one), status (only when one NHN status stands for
// the unified state), image, flavor and changes-since
// ("YYYY-MM-DDThh:mm:ss", UTC) narrow. The portable layer re-applies the
// filter, so what is pushed down only has to be a superset.
func listQuery(opts driver.ListInstancesOptions) servers.ListOpts {
	q := servers.ListOpts{
		Limit:  opts.PageSize,
		Marker: opts.Marker,
		Image:  opts.Filter.ImageID,
		Flavor: opts.Filter.FlavorID,
		Status: vendorStatusFor(opts.Filter.State),
	}
	if f := opts.Filter; f.Name != "" {
		q.Name = "^" + regexp.QuoteMeta(f.Name) + "$"
	}
	if t := opts.Filter.ChangesSince; !t.IsZero() {
		q.ChangesSince = t.UTC().Format("2006-01-02T15:04:05")
	}
	return q
}

// ListInstances returns one page of GET /servers/detail. More is true when
// the answer carries a "next" link in servers_links.
//
// The page is fetched with the ServiceClient directly rather than through
// servers.List's pager: the pager checks every page with
// servers.ExtractServers, which fails on timestamps in formats the guide
// documents, and decodes through generic maps; the page is decoded once,
// straight into nhnServer.
func (a *Adapter) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	query, err := listQuery(opts).ToServerListQuery()
	if err != nil {
		return nil, &driver.Error{Code: driver.CodeInternal, Message: "nhnv2: building the list query", Err: err}
	}
	page := &driver.InstancePage{}
	err = a.call(ctx, "list instances", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var body struct {
			Servers []nhnServer        `json:"servers"`
			Links   []gophercloud.Link `json:"servers_links"`
		}
		if _, err := sc.Get(ctx, sc.ServiceURL("servers", "detail")+query, &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}}); err != nil {
			return err
		}
		page.Instances, page.More = nil, false
		for i := range body.Servers {
			// Nova excludes the marker; the guide's wording ("from the
			// instance specified as the marker") allows including it.
			if i == 0 && opts.Marker != "" && body.Servers[i].ID == opts.Marker {
				continue
			}
			page.Instances = append(page.Instances, toInstance(&body.Servers[i]))
		}
		next, err := gophercloud.ExtractNextURL(body.Links)
		if err != nil {
			return err
		}
		page.More = next != ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// getOK are the statuses a GET /servers/{id} answer may come with.
var getOK = []int{http.StatusOK, http.StatusNonAuthoritativeInfo}

// GetInstance is GET /servers/{id}.
func (a *Adapter) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	if id == "" {
		return nil, driver.Errorf(driver.CodeNotFound, "instance ID is empty")
	}
	// Decoded straight into nhnServer (servers.Get's ExtractInto would
	// decode into a map, re-marshal it and decode it twice more).
	var body struct {
		Server nhnServer `json:"server"`
	}
	// The request is built directly (getJSON), not through a ServiceClient.
	path := "servers/" + esc(id)
	err := a.tokens.Do(ctx, isUnauthorized, func(ctx context.Context, tok tokensource.Token) error {
		return a.getJSON(ctx, tok, path, getOK, &body)
	})
	if err != nil {
		return nil, a.secrets.Error(a.classify(ctx, "get instance "+id, err))
	}
	in := toInstance(&body.Server)
	return &in, nil
}

// CreateInstance is POST /servers. It validates everything the guide
// constrains first, then takes the flavor from req.Flavor, or looks it up
// (GET /flavors/detail) when the gateway's cache did not know it, to know
// whether it is a U2 flavor (no block_device_mapping_v2) or needs a root
// volume, creates, and reads the new server back. The create itself is never
// retried, except by tokensource on a 401 (which NHN answers before doing
// anything).
func (a *Adapter) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	name, disk := "", 0
	if f := req.Flavor; f != nil && f.ID == req.FlavorID {
		name, disk = f.Name, f.DiskGB // the gateway's flavor cache knows it
	} else {
		fl, err := a.findFlavor(ctx, req.FlavorID)
		if err != nil {
			if driver.IsNotFound(err) {
				return nil, driver.InvalidArgument("instance.flavor", fmt.Sprintf("NHN Cloud has no flavor %q", req.FlavorID))
			}
			return nil, driver.NotCreated(err) // the create was never sent
		}
		name, disk = fl.Name, fl.Disk
	}
	opts := createOptsFor(req, isU2(name), disk)
	if err := opts.validate(); err != nil {
		return nil, err
	}
	// Log in first, so that the write tracking below sees only the create.
	if err := a.call(ctx, "create instance (login)", func(context.Context, *gophercloud.ServiceClient) error { return nil }); err != nil {
		return nil, driver.NotCreated(err)
	}
	sendCtx, wrote := backendhttp.TrackWrites(ctx)
	created, err := a.createServers(sendCtx, opts)
	if err != nil {
		return nil, driver.CreateOutcome(err, wrote())
	}
	in, err := a.GetInstance(ctx, created.ID)
	if err != nil {
		// The server exists: report it as NHN does right after a create
		// rather than failing a create that happened.
		a.log.WarnContext(ctx, "created instance but could not read it back", "id", created.ID, "err", err)
		return &driver.Instance{
			ID: created.ID, Name: req.Name, State: driver.StateProvisioning, VendorStatus: "BUILD",
			FlavorID: req.FlavorID, ImageID: req.ImageID, Zone: req.Zone, KeyName: req.KeyName,
			SecurityGroups: req.SecurityGroups, Metadata: req.Metadata, AdminPass: created.AdminPass,
		}, nil
	}
	in.AdminPass = created.AdminPass
	return in, nil
}

// createResult is the POST /servers answer: the first server's ID (and
// adminPass when NHN returns one), or the reservation ID when
// return_reservation_id was set.
type createResult struct {
	ID            string
	AdminPass     string
	ReservationID string
}

// createServers sends one create request, possibly for several servers
// (min_count/max_count).
func (a *Adapter) createServers(ctx context.Context, opts serverCreateOpts) (*createResult, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var out createResult
	err := a.call(ctx, "create instance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		res := servers.Create(ctx, sc, opts, nil)
		if res.Err != nil {
			return res.Err
		}
		var body struct {
			Server *struct {
				ID        string `json:"id"`
				AdminPass string `json:"adminPass"`
			} `json:"server"`
			ReservationID string `json:"reservation_id"`
		}
		if err := res.Result.ExtractInto(&body); err != nil {
			return err
		}
		switch {
		case body.Server != nil && body.Server.ID != "":
			out.ID, out.AdminPass = body.Server.ID, body.Server.AdminPass
		case body.ReservationID != "":
			out.ReservationID = body.ReservationID
		default:
			return fmt.Errorf("create answer has neither server.id nor reservation_id")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RenameInstance is PUT /servers/{id} {"server": {"name": …}}.
func (a *Adapter) RenameInstance(ctx context.Context, id, name string) (*driver.Instance, error) {
	if strings.TrimSpace(name) == "" {
		return nil, driver.InvalidArgument("instance.display_name", "is required")
	}
	if utf8.RuneCountInString(name) > maxNameLen {
		return nil, driver.InvalidArgument("instance.display_name", fmt.Sprintf("must be at most %d characters (NHN Cloud limit)", maxNameLen))
	}
	var body struct {
		Server nhnServer `json:"server"`
	}
	err := a.call(ctx, "rename instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		req, err := servers.UpdateOpts{Name: name}.ToServerUpdateMap()
		if err != nil {
			return err
		}
		_, err = sc.Put(ctx, sc.ServiceURL("servers", esc(id)), req, &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
		return err
	})
	if err != nil {
		return nil, err
	}
	in := toInstance(&body.Server)
	return &in, nil
}

// DeleteInstance is DELETE /servers/{id}.
func (a *Adapter) DeleteInstance(ctx context.Context, id string) error {
	return a.call(ctx, "delete instance "+id, nova.Act(id, servers.Delete))
}

// StartInstance is action {"os-start": null}.
func (a *Adapter) StartInstance(ctx context.Context, id string) error {
	return a.call(ctx, "start instance "+id, nova.Act(id, servers.Start))
}

// StopInstance is action {"os-stop": null}.
func (a *Adapter) StopInstance(ctx context.Context, id string) error {
	return a.call(ctx, "stop instance "+id, nova.Act(id, servers.Stop))
}

// RebootInstance is action {"reboot": {"type": "SOFT"|"HARD"}}.
func (a *Adapter) RebootInstance(ctx context.Context, id string, hard bool) error {
	method := servers.SoftReboot
	if hard {
		method = servers.HardReboot
	}
	return a.call(ctx, "reboot instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Reboot(ctx, sc, esc(id), servers.RebootOpts{Type: method}).ExtractErr()
	})
}

// ResizeInstance is action {"resize": {"flavorRef": …}}. NHN confirms the
// resize itself (VERIFY_RESIZE turns ACTIVE), so there is no
// ConfirmResize/RevertResize.
func (a *Adapter) ResizeInstance(ctx context.Context, id, flavorID string) error {
	if flavorID == "" {
		return driver.InvalidArgument("flavor", "is required")
	}
	return a.call(ctx, "resize instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Resize(ctx, sc, esc(id), servers.ResizeOpts{FlavorRef: flavorID}).ExtractErr()
	})
}

// ShelveInstance is action {"shelve": null}, which the guide calls
// "Terminate Instance" (status SHELVED_OFFLOADED).
func (a *Adapter) ShelveInstance(ctx context.Context, id string) error {
	return a.call(ctx, "shelve instance "+id, nova.Act(id, servers.Shelve))
}

// UnshelveInstance is action {"unshelve": null} ("Start Terminated
// Instance").
func (a *Adapter) UnshelveInstance(ctx context.Context, id string) error {
	return a.call(ctx, "unshelve instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Unshelve(ctx, sc, esc(id), servers.UnshelveOpts{}).ExtractErr()
	})
}

// CreateInstanceImage is action {"createImage": {"name", "metadata"}}; the
// new image's ID is the last segment of the Location header. (gophercloud's
// ExtractImageID insists on an X-OpenStack-Nova-API-Version header, which
// the guide does not promise, so the header is read here.)
func (a *Adapter) CreateInstanceImage(ctx context.Context, id, imageName string, metadata map[string]string) (string, error) {
	if strings.TrimSpace(imageName) == "" {
		return "", driver.InvalidArgument("image_name", "is required")
	}
	var imageID string
	err := a.call(ctx, "create image of instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		res := servers.CreateImage(ctx, sc, esc(id), servers.CreateImageOpts{Name: imageName, Metadata: metadata})
		if res.Err != nil {
			return res.Err
		}
		loc := res.Header.Get("Location")
		u, err := url.Parse(loc)
		if loc == "" || err != nil {
			return fmt.Errorf("createImage answer has no usable Location header (%q)", loc)
		}
		imageID = path.Base(strings.TrimRight(u.Path, "/"))
		if imageID == "" || imageID == "." || imageID == "/" {
			return fmt.Errorf("createImage Location header %q names no image", loc)
		}
		return nil
	})
	return imageID, err
}

// AddSecurityGroup is action {"addSecurityGroup": {"name": …}}.
func (a *Adapter) AddSecurityGroup(ctx context.Context, id, group string) error {
	if strings.TrimSpace(group) == "" {
		return driver.InvalidArgument("security_group", "is required")
	}
	return a.call(ctx, "add security group to instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return secgroups.AddServer(ctx, sc, esc(id), group).ExtractErr()
	})
}

// RemoveSecurityGroup is action {"removeSecurityGroup": {"name": …}}.
func (a *Adapter) RemoveSecurityGroup(ctx context.Context, id, group string) error {
	if strings.TrimSpace(group) == "" {
		return driver.InvalidArgument("security_group", "is required")
	}
	return a.call(ctx, "remove security group from instance "+id, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return secgroups.RemoveServer(ctx, sc, esc(id), group).ExtractErr()
	})
}

// findFlavor returns one flavor from GET /flavors/detail (the guide
// documents no single-flavor call); CodeNotFound when absent.
func (a *Adapter) findFlavor(ctx context.Context, id string) (*flavors.Flavor, error) {
	all, err := a.listFlavors(ctx, driver.FlavorFilter{})
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, driver.Errorf(driver.CodeNotFound, "NHN Cloud has no flavor %q", id)
}
