package k5

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/nova"
)

// Limits K5 (Nova) imposes on create/rebuild fields.
const (
	maxNameLen       = 255   // Nova's server name limit
	maxMetadataLen   = 255   // guide 1.2.6.2: "maximum size of the metadata key and value is 255 bytes each"
	maxUserDataLen   = 65535 // Nova's limit on base64-encoded user_data
	adminPassMetaKey = "admin_pass"
)

// states maps K5's statuses (Nova's, nova.NovaStatuses; README.md,
// "States"): task_state refines any listed status
// but DELETED/SOFT_DELETED into STARTING, STOPPING or DELETING.
var states = nova.NewStates(nova.Overrides{})

func mapState(status, task string) driver.State { return states.State(status, task) }

// converter reads K5's server bodies: the guide's fixed addresses carry
// no OS-EXT-IPS:type, so an untyped address is fixed.
var converter = nova.Converter{States: states, UntypedAddress: driver.AddressFixed}

func toInstance(s *k5Server) driver.Instance {
	in := converter.Instance(s)
	if in.Metadata != nil {
		// The Windows administrator password K5 takes as metadata is a
		// secret: never echo it back on reads.
		delete(in.Metadata, adminPassMetaKey)
		if len(in.Metadata) == 0 {
			in.Metadata = nil
		}
	}
	return in
}

// serverPage is one page of GET /servers/detail.
type serverPage struct {
	Servers []k5Server         `json:"servers"`
	Links   []gophercloud.Link `json:"servers_links"`
}

// Entries implements nova.LinkedPage.
func (p *serverPage) Entries() ([]k5Server, []gophercloud.Link) { return p.Servers, p.Links }

// ListInstances lists servers with K5's documented filters pushed down
// (changes-since, image, flavor, name, status), then pages locally: K5's
// guide documents no limit/marker for servers. Pages after the first are
// cut from the first page's list while it is fresh (listsnap.go).
func (a *Adapter) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	if page, ok := a.snaps.page(opts); ok {
		return page, nil
	}
	f := opts.Filter
	lo := servers.ListOpts{Image: f.ImageID, Flavor: f.FlavorID, Status: states.PushdownStatus(f.State)}
	if !f.ChangesSince.IsZero() {
		lo.ChangesSince = f.ChangesSince.UTC().Format(time.RFC3339)
	}
	// K5's name filter is Nova's regular expression match; push it down only
	// when the name has no regex metacharacters, so it can only widen.
	if f.Name != "" && regexp.QuoteMeta(f.Name) == f.Name {
		lo.Name = f.Name
	}
	query, err := lo.ToServerListQuery()
	if err != nil {
		return nil, &driver.Error{Code: driver.CodeInternal, Message: a.what("ListInstances") + ": building the list query", Err: err}
	}
	// Every page of GET /servers/detail (following servers_links "next"
	// as gophercloud's pager would), each decoded once into k5Server.
	var list []k5Server
	err = a.call(ctx, "ListInstances", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		list, err = nova.FollowLinks[k5Server, serverPage](ctx, sc, sc.ServiceURL("servers", "detail")+query,
			[]int{http.StatusOK, http.StatusNonAuthoritativeInfo})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := a.checkPartialServers(list); err != nil {
		return nil, err
	}
	all := make([]driver.Instance, 0, len(list))
	for i := range list {
		all = append(all, toInstance(&list[i]))
	}
	whole := driver.PageLocally(all, driver.ListInstancesOptions{Filter: opts.Filter})
	return a.snaps.put(whole.Instances, opts), nil
}

// unplacedStatuses are the K5 (Nova) statuses of servers that may have no
// host, and so legitimately no availability zone, in a detail list: not yet
// scheduled (BUILD), failed scheduling (ERROR), offloaded from their host
// (SHELVED_OFFLOADED) or gone (DELETED, SOFT_DELETED, which a changes-since
// list includes).
var unplacedStatuses = []string{"BUILD", "ERROR", "SHELVED_OFFLOADED", "DELETED", "SOFT_DELETED"}

// checkPartialServers applies the adapter's rule for K5's maintenance
// quirk (guide 1.1.5, 1.2.5: a list may come back with only some of the
// availability zone information). The detail list always carries
// OS-EXT-AZ:availability_zone for a placed server (guide 1.1.2), so a
// server outside unplacedStatuses without a zone means the list is
// partial. It is reported as UNAVAILABLE with RetryAfter 60s, never shown
// as a complete list.
func (a *Adapter) checkPartialServers(list []k5Server) error {
	missing := 0
	for i := range list {
		st := strings.ToUpper(list[i].Status)
		if list[i].AvailabilityZone == "" && !slices.Contains(unplacedStatuses, st) {
			missing++
		}
	}
	if missing == 0 {
		return nil
	}
	a.log.Warn("k5: partial server list (maintenance)", "servers", len(list), "without_zone", missing)
	return &driver.Error{
		Code:       driver.CodeUnavailable,
		RetryAfter: maintenanceRetry,
		Message: fmt.Sprintf("%s: K5 returned %d servers of which %d lack availability-zone information; "+
			"K5 documents this as a list that may be partial during K5 infrastructure maintenance; retry after at least one minute",
			a.what("ListInstances"), len(list), missing),
	}
}

// GetInstance reads one server.
func (a *Adapter) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	var body struct {
		Server *k5Server `json:"server"`
	}
	err := callOne(a, ctx, "GetInstance", &body.Server, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		_, err := sc.Get(ctx, sc.ServiceURL("servers", driver.PathSegment(id)), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK, http.StatusNonAuthoritativeInfo}})
		return err
	})
	if err != nil {
		return nil, err
	}
	in := toInstance(body.Server)
	return &in, nil
}

func validateName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return driver.InvalidArgument(field, "must not be empty")
	}
	if len(name) > maxNameLen {
		return driver.InvalidArgument(field, fmt.Sprintf("K5 accepts at most %d bytes", maxNameLen))
	}
	return nil
}

func validateMetadata(field string, md map[string]string) error {
	for k, v := range md {
		switch {
		case k == "":
			return driver.InvalidArgument(field, "keys must not be empty")
		case len(k) > maxMetadataLen:
			return driver.InvalidArgument(field, fmt.Sprintf("key %.20q… is longer than K5's %d bytes", k, maxMetadataLen))
		case len(v) > maxMetadataLen:
			return driver.InvalidArgument(field, fmt.Sprintf("value of %q is longer than K5's %d bytes", k, maxMetadataLen))
		}
	}
	return nil
}

// validateCreate applies what K5's guide (section 1.2.6.2) imposes before
// anything is sent, reporting every violation at once (a caller learns all
// that is wrong in one try, as on the other dialects).
func validateCreate(req *driver.CreateInstanceRequest) error {
	if req == nil {
		return driver.InvalidArgument("instance", "is required")
	}
	var v driver.Violations
	addErr := func(err error) {
		var e *driver.Error
		if errors.As(err, &e) {
			v = append(v, e.Violations...)
		}
	}
	v = append(v, driver.CheckCreateRequest(req)...)
	if strings.TrimSpace(req.Name) != "" { // else CheckCreateRequest said so
		addErr(validateName("instance.display_name", req.Name))
	}
	if len(req.Networks) == 0 {
		v.Add("instance.networks", "K5 requires at least one network or port (guide 1.2.6.2: \"Ensure that the network is specified\")")
	}
	for i, n := range req.Networks {
		field := fmt.Sprintf("instance.networks[%d]", i)
		set := 0
		for _, id := range []string{n.NetworkID, n.SubnetID, n.PortID} {
			if id != "" {
				set++
			}
		}
		switch {
		case n.SubnetID != "":
			v.Add(field+".subnet", "K5 cannot attach a server to a subnet directly; create a port on the subnet and pass it as port (guide 1.2.6.2)")
		case set != 1:
			v.Add(field, "set exactly one of network or port")
		case n.FixedIP != "" && n.PortID != "":
			v.Add(field+".fixed_ip", "K5 takes a fixed IP with a network, not with a port")
		case n.FixedIP != "":
			if ip := net.ParseIP(n.FixedIP); ip == nil || ip.To4() == nil {
				v.Add(field+".fixed_ip", "K5 takes a fixed IPv4 address")
			}
		}
	}
	for i, g := range req.SecurityGroups {
		if strings.TrimSpace(g) == "" {
			v.Add(fmt.Sprintf("instance.security_groups[%d]", i), "must not be empty")
		}
	}
	if n := base64.StdEncoding.EncodedLen(len(req.UserData)); n > maxUserDataLen {
		v.Add("instance.user_data", fmt.Sprintf("is %d bytes once base64-encoded; K5 accepts at most %d", n, maxUserDataLen))
	}
	addErr(validateMetadata("instance.metadata", req.Metadata))
	if bv := req.BootVolume; bv != nil {
		if bv.SizeGB < 0 {
			v.Add("instance.boot_volume.size_gb", "must not be negative")
		}
		if bv.Type != "" {
			v.Add("instance.boot_volume.type", "K5's create server call has no volume type for the boot volume (guide 1.2.6.2); leave it empty")
		}
	}
	return v.Err()
}

// CreateInstance creates one server booting from a new volume made from the
// image (K5 flavors have no local disk). When the request gives no boot
// volume size, the adapter reads the image's minDisk (GET /images/{id}) and
// uses it. The one-time adminPass K5 returns is passed on as AdminPass.
// The create is never retried.
func (a *Adapter) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	size, deleteOnTermination := 0, true
	if req.BootVolume != nil {
		size, deleteOnTermination = req.BootVolume.SizeGB, req.BootVolume.DeleteOnTermination
	}
	if size == 0 {
		var err error
		if size, err = a.imageMinDisk(ctx, req.ImageID); err != nil {
			return nil, driver.NotCreated(err) // the create was never sent
		}
	}
	nets := make([]servers.Network, 0, len(req.Networks))
	for _, n := range req.Networks {
		nets = append(nets, servers.Network{UUID: n.NetworkID, Port: n.PortID, FixedIP: n.FixedIP})
	}
	opts := keypairs.CreateOptsExt{
		CreateOptsBuilder: createOpts{
			CreateOpts: servers.CreateOpts{
				Name:             req.Name,
				ImageRef:         req.ImageID,
				FlavorRef:        req.FlavorID,
				SecurityGroups:   req.SecurityGroups,
				AvailabilityZone: req.Zone,
				Networks:         nets,
				Metadata:         req.Metadata,
			},
			UserData:     req.UserData,
			BlockDevices: []blockDevice{bootDevice(req.ImageID, size, deleteOnTermination)},
		},
		KeyName: req.KeyName,
	}
	var created *servers.Server
	// A create must not be retried blindly; tokensource.Do retries only
	// after a 401, which K5 answers before doing anything.
	// Log in first, so that the write tracking below sees only the create.
	if err := a.call(ctx, "CreateInstance", func(context.Context, *gophercloud.ServiceClient) error { return nil }); err != nil {
		return nil, driver.NotCreated(err)
	}
	sendCtx, wrote := backendhttp.TrackWrites(ctx)
	err := a.call(sendCtx, "CreateInstance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		created, err = servers.Create(ctx, sc, opts, nil).Extract()
		if err == nil && (created == nil || created.ID == "") {
			err = errMalformed
		}
		return err
	})
	if err != nil {
		return nil, driver.CreateOutcome(redactSecret(err, req.Metadata[adminPassMetaKey]), wrote())
	}
	in := driver.Instance{
		ID:               created.ID,
		Name:             req.Name,
		State:            driver.StateProvisioning,
		VendorStatus:     "BUILD", // K5's create answer has no status; every new server starts in BUILD
		FlavorID:         req.FlavorID,
		ImageID:          req.ImageID,
		Zone:             req.Zone,
		KeyName:          req.KeyName,
		SecurityGroups:   slices.Clone(req.SecurityGroups),
		BootVolumeSizeGB: size,
		AdminPass:        created.AdminPass,
		Created:          a.now().UTC(),
	}
	for _, g := range created.SecurityGroups {
		if name, _ := g["name"].(string); name != "" && !slices.Contains(in.SecurityGroups, name) {
			in.SecurityGroups = append(in.SecurityGroups, name)
		}
	}
	if len(req.Metadata) > 0 {
		in.Metadata = make(map[string]string, len(req.Metadata))
		for k, v := range req.Metadata {
			if k != adminPassMetaKey {
				in.Metadata[k] = v
			}
		}
	}
	a.log.InfoContext(ctx, "k5: server created", "id", in.ID)
	return &in, nil
}

// imageMinDisk reads the image's minDisk to size the boot volume. K5
// answers 500 where the caller's role may not read the image (guide
// 1.2.5): that is PERMISSION_DENIED with the explanation. Only the image
// read's own answer is mapped so: a 500 or 404 from the login that may
// precede it keeps its ordinary meaning.
func (a *Adapter) imageMinDisk(ctx context.Context, imageID string) (int, error) {
	const op = "CreateInstance (reading the image's minimum disk)"
	var im *k5Image
	err := a.call(ctx, op, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		im, err = getImage(ctx, sc, imageID)
		ue, ok := errorsAsUnexpected(err)
		switch {
		case ok && ue.Actual == http.StatusInternalServerError:
			e := a.statusError(op, ue)
			e.Code = driver.CodePermissionDenied
			e.RetryAfter = 0
			e.Message = fmt.Sprintf("%s: K5 answered 500 to reading image %s, which K5 documents as the answer when the "+
				"gateway's K5 role may not read the image (guide 1.2.5); grant the role read access or give bootVolume.sizeGb explicitly",
				a.what("CreateInstance"), imageID)
			return e
		case ok && ue.Actual == http.StatusNotFound:
			return driver.InvalidArgument("instance.image", fmt.Sprintf("K5 has no image %s", imageID))
		}
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case im.MinDisk <= 0:
		return 0, driver.InvalidArgument("instance.boot_volume.size_gb",
			fmt.Sprintf("K5 needs a boot volume size and image %s declares no minimum disk; set it (ask the image provider for the minimum)", imageID))
	}
	return im.MinDisk, nil
}

// DeleteInstance deletes a server (204).
func (a *Adapter) DeleteInstance(ctx context.Context, id string) error {
	return a.call(ctx, "DeleteInstance", nova.Act(id, servers.Delete))
}

// StartInstance is action os-start.
func (a *Adapter) StartInstance(ctx context.Context, id string) error {
	return a.call(ctx, "StartInstance", nova.Act(id, servers.Start))
}

// StopInstance is action os-stop.
func (a *Adapter) StopInstance(ctx context.Context, id string) error {
	return a.call(ctx, "StopInstance", nova.Act(id, servers.Stop))
}

// RebootInstance is action reboot with the requested type; K5 ignores the
// type and always reboots HARD (guide 1.2.6.6).
func (a *Adapter) RebootInstance(ctx context.Context, id string, hard bool) error {
	t := servers.SoftReboot
	if hard {
		t = servers.HardReboot
	}
	return a.call(ctx, "RebootInstance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Reboot(ctx, sc, driver.PathSegment(id), servers.RebootOpts{Type: t}).ExtractErr()
	})
}

// ResizeInstance is action resize; the server then waits in VERIFY_RESIZE
// for ConfirmResize or RevertResize.
func (a *Adapter) ResizeInstance(ctx context.Context, id, flavorID string) error {
	if flavorID == "" {
		return driver.InvalidArgument("flavor", "must not be empty")
	}
	return a.call(ctx, "ResizeInstance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Resize(ctx, sc, driver.PathSegment(id), servers.ResizeOpts{FlavorRef: flavorID}).ExtractErr()
	})
}

// ConfirmResize is action confirmResize (204).
func (a *Adapter) ConfirmResize(ctx context.Context, id string) error {
	return a.call(ctx, "ConfirmResize", nova.Act(id, servers.ConfirmResize))
}

// RevertResize is action revertResize (202).
func (a *Adapter) RevertResize(ctx context.Context, id string) error {
	return a.call(ctx, "RevertResize", nova.Act(id, servers.RevertResize))
}

// ShelveInstance is action shelve.
func (a *Adapter) ShelveInstance(ctx context.Context, id string) error {
	return a.call(ctx, "ShelveInstance", nova.Act(id, servers.Shelve))
}

// UnshelveInstance is action unshelve ({"unshelve": null}).
func (a *Adapter) UnshelveInstance(ctx context.Context, id string) error {
	return a.call(ctx, "UnshelveInstance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Unshelve(ctx, sc, driver.PathSegment(id), servers.UnshelveOpts{}).ExtractErr()
	})
}

// RebuildInstance is action rebuild {imageRef, name, metadata}.
func (a *Adapter) RebuildInstance(ctx context.Context, id string, req driver.RebuildRequest) error {
	if req.ImageID == "" {
		return driver.InvalidArgument("image", "must not be empty")
	}
	if req.Name != "" {
		if err := validateName("name", req.Name); err != nil {
			return err
		}
	}
	if err := validateMetadata("metadata", req.Metadata); err != nil {
		return err
	}
	err := a.call(ctx, "RebuildInstance", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return servers.Rebuild(ctx, sc, driver.PathSegment(id), servers.RebuildOpts{ImageRef: req.ImageID, Name: req.Name, Metadata: req.Metadata}).Err
	})
	return redactSecret(err, req.Metadata[adminPassMetaKey])
}

// redactSecret removes secret (the Windows admin_pass sent as metadata)
// from every text of err that reaches callers or logs. Nova's validation
// faults quote the offending request values, so a rejected create could
// otherwise carry the password back in its VendorMessage.
func redactSecret(err error, secret string) error {
	de, ok := errors.AsType[*driver.Error](err)
	if !ok || secret == "" {
		return err
	}
	pairs := []string{secret, "[redacted]"}
	if b, _ := json.Marshal(secret); string(b[1:len(b)-1]) != secret {
		pairs = append(pairs, string(b[1:len(b)-1]), "[redacted]") // as it appears inside a JSON body
	}
	r := strings.NewReplacer(pairs...)
	de.Message, de.VendorMessage = r.Replace(de.Message), r.Replace(de.VendorMessage)
	for i := range de.Violations {
		de.Violations[i].Description = r.Replace(de.Violations[i].Description)
	}
	if de.Err != nil {
		if text := de.Err.Error(); text != r.Replace(text) {
			de.Err = errors.New(r.Replace(text))
		}
	}
	return de
}

// RenameInstance is PUT /servers/{id} {"server": {"name": ...}}.
func (a *Adapter) RenameInstance(ctx context.Context, id, name string) (*driver.Instance, error) {
	if err := validateName("instance.display_name", name); err != nil {
		return nil, err
	}
	var body struct {
		Server *k5Server `json:"server"`
	}
	err := callOne(a, ctx, "RenameInstance", &body.Server, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		req, err := servers.UpdateOpts{Name: name}.ToServerUpdateMap()
		if err != nil {
			return err
		}
		_, err = sc.Put(ctx, sc.ServiceURL("servers", driver.PathSegment(id)), req, &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
		return err
	})
	if err != nil {
		return nil, err
	}
	in := toInstance(body.Server)
	return &in, nil
}
