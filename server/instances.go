package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/telemetry"
)

// AllClouds is the wildcard cloud of a cross-cloud ListInstances.
const AllClouds = "-"

// ListInstances implements pb.ComputeServiceServer.
func (s *Server) ListInstances(ctx context.Context, req *pb.ListInstancesRequest) (*pb.ListInstancesResponse, error) {
	var out *pb.ListInstancesResponse
	err := s.do(ctx, "ListInstances", func(ctx context.Context, c *call) error {
		ids, err := parseName("parent", req.GetParent())
		if err != nil {
			return err
		}
		filter, err := parseFilter(req.GetFilter())
		if err != nil {
			return err
		}
		size, err := pageSize(req.GetPageSize())
		if err != nil {
			return err
		}
		fh := hashFilter(req.GetFilter())
		var targets []*cloud
		if ids[0] == AllClouds {
			targets, c.label = c.visible(s.clouds), telemetry.CloudAll
		} else {
			cl, err := c.lookup(ids[0])
			if err != nil {
				return err
			}
			targets = []*cloud{cl}
		}
		st, resumed, err := s.tokens.decode(req.GetPageToken(), "instances", req.GetParent(), fh)
		if err != nil {
			return err
		}
		cursors := make([]cursor, 0, len(targets))
		if resumed {
			for _, cu := range st.Cursors {
				if !c.sees(cu.Cloud) {
					continue // a token made for another caller; never named
				}
				if _, ok := s.byName[cu.Cloud]; !ok {
					return driver.InvalidArgument("page_token", "page token names cloud "+cu.Cloud+", which is no longer configured")
				}
				cursors = append(cursors, cu)
			}
		} else {
			for _, cl := range targets {
				cursors = append(cursors, cursor{Cloud: cl.name})
			}
		}
		out, err = s.listAcross(ctx, ids[0] == AllClouds, cursors, filter, size, req.GetParent(), fh)
		return err
	})
	return out, err
}

type cloudPage struct {
	items   []driver.Instance // after the gateway's own filtering
	rawLast string            // ID of the last instance the adapter returned
	more    bool
	err     error
}

// fillPage reads up to size instances of cl after marker that pass filter,
// from as many consecutive vendor pages as that takes (a vendor may cap its
// pages below size, and the gateway's filter may drop some): it stops when
// the page is full, the vendor has no more, or the next vendor page would
// likely not come back before ctx's deadline. A failure after the first
// vendor page ends the page early instead of failing it (the next page
// resumes there); a failure of the first is the page's error.
func (s *Server) fillPage(ctx context.Context, cl *cloud, filter driver.InstanceFilter, size int, marker string) cloudPage {
	var p cloudPage
	// The whole fill is bounded like one backend call: by the cloud's
	// timeout and the caller's deadline, whichever comes first.
	until := time.Now().Add(cl.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
		until = dl
	}
	for {
		start := time.Now()
		page, err := backend(ctx, cl, func(ctx context.Context) (*driver.InstancePage, error) {
			return cl.adapter.ListInstances(ctx, driver.ListInstancesOptions{Filter: filter, PageSize: size - len(p.items), Marker: marker})
		})
		if err != nil {
			if p.rawLast == "" {
				p.err = err
			} else {
				s.log.WarnContext(ctx, "list page ends early: the next vendor page failed", "cloud", cl.name, "error", err.Error())
				p.more = true
			}
			return p
		}
		if n := len(page.Instances); n > 0 {
			p.rawLast = page.Instances[n-1].ID
		}
		p.more = page.More && len(page.Instances) > 0
		if p.items == nil {
			p.items = make([]driver.Instance, 0, min(size, max(len(page.Instances), 1)))
		}
		for j := range page.Instances {
			if filter.Match(&page.Instances[j]) {
				p.items = append(p.items, page.Instances[j])
			}
		}
		if len(p.items) >= size || !p.more {
			return p
		}
		// Another vendor page only when it can be back in time: allow twice
		// what this one took.
		if time.Until(until) < 2*time.Since(start) {
			return p
		}
		marker = p.rawLast
	}
}

// listAcross reads one page from each cloud in cursors concurrently
// (filling it from consecutive vendor pages), merges them in configuration
// order, at most size instances, and converts only the instances it
// returns. For a cross-cloud list a failing cloud is reported in
// unreachable and dropped from the rest of the listing; for a single cloud
// its error is the answer.
func (s *Server) listAcross(ctx context.Context, wildcard bool, cursors []cursor, filter driver.InstanceFilter, size int, parent, fh string) (*pb.ListInstancesResponse, error) {
	pages := make([]cloudPage, len(cursors))
	fanCtx := ctx
	if wildcard {
		// Leave headroom before the caller's deadline so that a slow cloud
		// is reported unreachable instead of failing the whole call.
		var cancel context.CancelFunc
		if dl, ok := ctx.Deadline(); ok {
			margin := min(time.Until(dl)/10, time.Second)
			fanCtx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		} else {
			// No caller deadline: not the clouds' own (30 s by default)
			// either, but the cross-cloud one.
			fanCtx, cancel = context.WithTimeout(ctx, s.opt.CrossCloudTimeout)
		}
		defer cancel()
	}
	if len(cursors) == 1 {
		pages[0] = s.fillPage(fanCtx, s.byName[cursors[0].Cloud], filter, size, cursors[0].Marker)
	} else {
		var wg sync.WaitGroup
		for i, cu := range cursors {
			wg.Go(func() { pages[i] = s.fillPage(fanCtx, s.byName[cu.Cloud], filter, size, cu.Marker) })
		}
		wg.Wait()
	}

	out := &pb.ListInstancesResponse{}
	var next []cursor
	takes := make([]int, len(cursors))
	total := 0
	for i, cu := range cursors {
		p := pages[i]
		if p.err != nil {
			if !wildcard {
				return nil, p.err
			}
			s.log.WarnContext(ctx, "cloud unreachable in cross-cloud list", "cloud", cu.Cloud, "error", p.err.Error())
			out.Unreachable = append(out.Unreachable, "clouds/"+cu.Cloud)
			out.UnreachableDetails = append(out.UnreachableDetails, unreachableDetail(ctx, s.byName[cu.Cloud], p.err))
			continue
		}
		take := min(size-total, len(p.items))
		takes[i] = take
		total += take
		switch {
		case take < len(p.items):
			marker := cu.Marker
			if take > 0 {
				marker = p.items[take-1].ID
			}
			next = append(next, cursor{Cloud: cu.Cloud, Marker: marker})
		case p.more:
			next = append(next, cursor{Cloud: cu.Cloud, Marker: p.rawLast})
		}
	}
	// Convert what is returned, each cloud's share concurrently (so clouds
	// fill their flavor caches concurrently).
	out.Instances = make([]*pb.Instance, total)
	var wg sync.WaitGroup
	at := 0
	for i, cu := range cursors {
		if takes[i] == 0 {
			continue
		}
		cl, items, dst := s.byName[cu.Cloud], pages[i].items[:takes[i]], out.Instances[at:at+takes[i]]
		at += takes[i]
		convert := func() {
			for j := range items {
				dst[j] = s.instanceOut(fanCtx, cl, &items[j])
			}
		}
		if takes[i] == total { // one cloud's share: no goroutine
			convert()
			continue
		}
		wg.Go(convert)
	}
	wg.Wait()
	if len(next) > 0 {
		out.NextPageToken = s.tokens.encode(pageState{Kind: "instances", Parent: parent, Filter: fh, Cursors: next})
	}
	return out, nil
}

// resolve parses a resource name under clouds/{cloud}, resolves the cloud
// and returns the IDs after it.
func (c *call) resolve(field, name string, collections ...string) (*cloud, []string, error) {
	ids, err := parseName(field, name, collections...)
	if err != nil {
		return nil, nil, err
	}
	c.resource = name
	if ids[0] == AllClouds {
		c.label = telemetry.CloudAll
		// AIP-159: only ListInstances reads across clouds.
		return nil, nil, driver.InvalidArgument(field, "the cloud wildcard \"-\" (every cloud) is only supported by ListInstances; name one cloud")
	}
	cl, err := c.lookup(ids[0])
	if err != nil {
		return nil, nil, err
	}
	return cl, ids[1:], nil
}

// instance parses an instance name and resolves its cloud.
func (c *call) instance(field, name string) (*cloud, string, error) {
	cl, ids, err := c.resolve(field, name, "instances")
	if err != nil {
		return nil, "", err
	}
	return cl, ids[0], nil
}

// GetInstance implements pb.ComputeServiceServer.
func (s *Server) GetInstance(ctx context.Context, req *pb.GetInstanceRequest) (*pb.Instance, error) {
	return unary(ctx, s, "GetInstance", func(ctx context.Context, c *call) (*pb.Instance, error) {
		cl, id, err := c.instance("name", req.GetName())
		if err != nil {
			return nil, err
		}
		in, err := backend(ctx, cl, func(ctx context.Context) (*driver.Instance, error) { return cl.adapter.GetInstance(ctx, id) })
		if err != nil {
			return nil, err
		}
		return s.instanceOut(ctx, cl, in), nil
	})
}

// reservedMarker refuses the marker key in a caller's metadata.
const reservedMarker = "the key " + driver.MarkerKey + " is reserved: the gateway sets it to the request_id of the create (remove it, and pass request_id instead)"

// requestIDPattern: AIP-155 request IDs are UUIDs (any version, any case).
var requestIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validateCreate checks what every dialect needs and returns the adapter's
// request. Dialect-specific limits are the adapter's to check.
func validateCreate(req *pb.CreateInstanceRequest) (*driver.CreateInstanceRequest, error) {
	var v []driver.FieldViolation
	add := func(field, why string) { v = append(v, driver.FieldViolation{Field: field, Description: why}) }
	if id := req.GetRequestId(); id != "" && !requestIDPattern.MatchString(id) {
		add("request_id", fmt.Sprintf("must be a UUID (AIP-155), e.g. 3f1c5a9e-7b2d-4c8e-9a61-2d4f8b0c1e57; got %q", id))
	}
	in := req.GetInstance()
	if in == nil {
		add("instance", "required")
		return nil, violations(v)
	}
	if len(in.GetDisplayName()) > 255 {
		add("instance.display_name", "at most 255 characters")
	}
	// Display name, flavor and image, in the wording adapters use too.
	v = append(v, driver.CheckCreateRequest(&driver.CreateInstanceRequest{
		Name: in.GetDisplayName(), FlavorID: in.GetFlavor(), ImageID: in.GetImage()})...)
	out := &driver.CreateInstanceRequest{
		Name: in.GetDisplayName(), FlavorID: in.GetFlavor(), ImageID: in.GetImage(),
		Zone: in.GetZone(), KeyName: in.GetKeyPair(), SecurityGroups: in.GetSecurityGroups(),
		UserData: in.GetUserData(), RequestID: req.GetRequestId(),
		// The request_id goes to the vendor as a metadata marker, so that
		// an unknown outcome can be settled by asking the vendor.
		Metadata: driver.WithMarker(in.GetMetadata(), req.GetRequestId()),
	}
	for i, n := range in.GetNetworks() {
		field := fmt.Sprintf("instance.networks[%d]", i)
		set := 0
		for _, s := range []string{n.GetNetwork(), n.GetSubnet(), n.GetPort()} {
			if s != "" {
				set++
			}
		}
		if set != 1 {
			add(field, "set exactly one of network, subnet or port")
		}
		if ip := n.GetFixedIp(); ip != "" && net.ParseIP(ip) == nil {
			add(field+".fixed_ip", fmt.Sprintf("%q is not an IP address", ip))
		}
		out.Networks = append(out.Networks, driver.NetworkSpec{NetworkID: n.GetNetwork(), SubnetID: n.GetSubnet(), PortID: n.GetPort(), FixedIP: n.GetFixedIp()})
	}
	if bv := in.GetBootVolume(); bv != nil {
		if bv.GetSizeGb() < 0 {
			add("instance.boot_volume.size_gb", "must not be negative")
		}
		out.BootVolume = &driver.BootVolumeSpec{SizeGB: int(bv.GetSizeGb()), Type: bv.GetType(), DeleteOnTermination: bv.GetDeleteOnTermination()}
	}
	for k := range in.GetMetadata() {
		if k == "" {
			add("instance.metadata", "keys must not be empty")
		}
		if k == driver.MarkerKey {
			add("instance.metadata", reservedMarker)
		}
	}
	for i, g := range in.GetSecurityGroups() {
		if g == "" {
			add(fmt.Sprintf("instance.security_groups[%d]", i), "must not be empty")
		}
	}
	if len(v) > 0 {
		return nil, violations(v)
	}
	return out, nil
}

// violations is one InvalidArgument naming every violation, in its
// details and in its message.
func violations(v []driver.FieldViolation) error { return driver.Violations(v).Err() }

// withRequirements adds to a create's portable violations err the fields
// the cloud's dialect requires (GetCloud's createRequirements) that in
// leaves empty, so that a create missing a flavor, say, also learns of the
// missing key pair or networks instead of one refusal per try.
func withRequirements(err error, a driver.Adapter, in *pb.Instance) error {
	var e *driver.Error
	r, ok := a.(driver.CreateRequirer)
	if !ok || in == nil || !errors.As(err, &e) || e.Code != driver.CodeInvalidArgument {
		return err
	}
	v := slices.Clone(e.Violations)
	for _, f := range r.CreateRequirements().RequiredFields {
		if slices.ContainsFunc(v, func(fv driver.FieldViolation) bool { return fv.Field == f }) {
			continue
		}
		var empty bool
		switch f {
		case "instance.key_pair":
			empty = in.GetKeyPair() == ""
		case "instance.networks":
			empty = len(in.GetNetworks()) == 0
		case "instance.zone":
			empty = in.GetZone() == ""
		case "instance.boot_volume.size_gb":
			empty = in.GetBootVolume().GetSizeGb() == 0
		}
		if empty {
			v = append(v, driver.FieldViolation{Field: f, Description: "required on this cloud (GetCloud lists its createRequirements)"})
		}
	}
	return violations(v)
}

// CreateInstance implements pb.ComputeServiceServer.
func (s *Server) CreateInstance(ctx context.Context, req *pb.CreateInstanceRequest) (*pb.Instance, error) {
	var out *pb.Instance
	err := s.do(ctx, "CreateInstance", func(ctx context.Context, c *call) error {
		c.requestID = req.GetRequestId()
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return err
		}
		dreq, err := validateCreate(req)
		if err != nil {
			return withRequirements(err, cl.adapter, req.GetInstance())
		}
		// The flavor from the cloud's cache, so the adapter need not list
		// flavors again; a flavor the cache cannot confirm is the
		// adapter's to judge (nil).
		if f, err := backend(ctx, cl, func(ctx context.Context) (driver.Flavor, error) { return s.flavorByID(ctx, cl, dreq.FlavorID) }); err == nil {
			dreq.Flavor = &f
		}
		create := func() (*pb.Instance, error) {
			// A create that reached the vendor must finish or fail on its
			// own terms: it is not cut short when the caller goes away,
			// only by the cloud's timeout, and its result is kept for a
			// retry with the same request_id.
			in, err := backend(context.WithoutCancel(ctx), cl, func(ctx context.Context) (*driver.Instance, error) {
				return cl.adapter.CreateInstance(ctx, dreq)
			})
			if err != nil {
				return nil, err
			}
			return s.instanceOut(ctx, cl, in), nil
		}
		if req.GetRequestId() == "" {
			out, err = create()
			return err
		}
		// Settling an unknown outcome asks the vendor for the instance
		// carrying the request_id marker.
		find := func() (*pb.Instance, error) {
			in, err := backend(context.WithoutCancel(ctx), cl, func(ctx context.Context) (*driver.Instance, error) {
				return driver.FindMarked(ctx, cl.adapter, dreq.Name, dreq.RequestID)
			})
			if err != nil || in == nil {
				return nil, err
			}
			return s.instanceOut(context.WithoutCancel(ctx), cl, in), nil
		}
		settle := s.idem.settle
		if st, ok := cl.adapter.(driver.CreateSettler); ok {
			settle = max(settle, st.CreateSettle())
		}
		out, err = s.idem.do(ctx, attempt{key: cl.name + "/" + req.GetRequestId(), fp: fingerprint(req), create: create, find: find, settle: settle})
		return err
	})
	return out, err
}

// UpdateInstance implements pb.ComputeServiceServer.
func (s *Server) UpdateInstance(ctx context.Context, req *pb.UpdateInstanceRequest) (*pb.Instance, error) {
	return unary(ctx, s, "UpdateInstance", func(ctx context.Context, c *call) (*pb.Instance, error) {
		in := req.GetInstance()
		if in == nil {
			return nil, driver.InvalidArgument("instance", "required")
		}
		cl, id, err := c.instance("instance.name", in.GetName())
		if err != nil {
			return nil, err
		}
		paths := req.GetUpdateMask().GetPaths()
		if len(paths) == 0 && in.GetDisplayName() != "" {
			paths = []string{"display_name"}
		}
		if len(paths) == 0 {
			return nil, driver.InvalidArgument("update_mask", "nothing to update: only display_name is updatable")
		}
		for _, p := range paths {
			switch p {
			case "display_name", "displayName":
			default:
				return nil, driver.InvalidArgument("update_mask", fmt.Sprintf("%q is not updatable: only display_name is", p))
			}
		}
		if in.GetDisplayName() == "" {
			return nil, driver.InvalidArgument("instance.display_name", "required when updating display_name")
		}
		if len(in.GetDisplayName()) > 255 {
			return nil, driver.InvalidArgument("instance.display_name", "at most 255 characters")
		}
		r, err := optional[driver.InstanceRenamer](cl, "UpdateInstance")
		if err != nil {
			return nil, err
		}
		got, err := backend(ctx, cl, func(ctx context.Context) (*driver.Instance, error) {
			return r.RenameInstance(ctx, id, in.GetDisplayName())
		})
		if err != nil {
			return nil, err
		}
		return s.instanceOut(ctx, cl, got), nil
	})
}

// DeleteInstance implements pb.ComputeServiceServer.
func (s *Server) DeleteInstance(ctx context.Context, req *pb.DeleteInstanceRequest) (*emptypb.Empty, error) {
	return s.empty(ctx, "DeleteInstance", func(ctx context.Context, c *call) error {
		cl, id, err := c.instance("name", req.GetName())
		if err != nil {
			return err
		}
		if err := backendErr(ctx, cl, func(ctx context.Context) error { return cl.adapter.DeleteInstance(ctx, id) }); err != nil {
			return err
		}
		s.watches.kickInstance(cl, id)
		return nil
	})
}

// action runs one instance action and answers with the instance as read
// right after it. If that read fails the action still succeeded: the answer
// then carries only the name.
func (s *Server) action(ctx context.Context, method, name string, validate func() error, run func(ctx context.Context, cl *cloud, id string) error) (*pb.Instance, error) {
	return unary(ctx, s, method, func(ctx context.Context, c *call) (*pb.Instance, error) {
		cl, id, err := c.instance("name", name)
		if err != nil {
			return nil, err
		}
		if validate != nil {
			if err := validate(); err != nil {
				return nil, err
			}
		}
		if err := backendErr(ctx, cl, func(ctx context.Context) error { return run(ctx, cl, id) }); err != nil {
			return nil, err
		}
		s.watches.kickInstance(cl, id) // the instance changes now: watchers poll fast
		in, err := backend(ctx, cl, func(ctx context.Context) (*driver.Instance, error) { return cl.adapter.GetInstance(ctx, id) })
		if err != nil {
			s.log.WarnContext(ctx, "action succeeded but the follow-up read failed", "method", method, "cloud", cl.name, "error", err.Error())
			return &pb.Instance{Name: instanceName(cl.name, id)}, nil
		}
		return s.instanceOut(ctx, cl, in), nil
	})
}

// optionalAction is an action (see action) on the optional adapter
// interface I behind method: a cloud that lacks it answers UNIMPLEMENTED.
func optionalAction[I any](ctx context.Context, s *Server, method, name string, validate func() error, run func(r I, ctx context.Context, id string) error) (*pb.Instance, error) {
	return s.action(ctx, method, name, validate, func(ctx context.Context, cl *cloud, id string) error {
		r, err := optional[I](cl, method)
		if err != nil {
			return err
		}
		return run(r, ctx, id)
	})
}

func required(field, value string) func() error {
	return func() error {
		if value == "" {
			return driver.InvalidArgument(field, "required")
		}
		return nil
	}
}

// requiredID is required for a vendor ID, which must also pass
// driver.CheckID (adapters put it into URLs).
func requiredID(field, value string) func() error {
	return func() error {
		if err := required(field, value)(); err != nil {
			return err
		}
		if why := driver.CheckID(value); why != "" {
			return driver.InvalidArgument(field, "an ID "+why)
		}
		return nil
	}
}

// StartInstance implements pb.ComputeServiceServer.
func (s *Server) StartInstance(ctx context.Context, req *pb.StartInstanceRequest) (*pb.Instance, error) {
	return s.action(ctx, "StartInstance", req.GetName(), nil, func(ctx context.Context, cl *cloud, id string) error {
		return cl.adapter.StartInstance(ctx, id)
	})
}

// StopInstance implements pb.ComputeServiceServer.
func (s *Server) StopInstance(ctx context.Context, req *pb.StopInstanceRequest) (*pb.Instance, error) {
	return s.action(ctx, "StopInstance", req.GetName(), nil, func(ctx context.Context, cl *cloud, id string) error {
		return cl.adapter.StopInstance(ctx, id)
	})
}

// RebootInstance implements pb.ComputeServiceServer.
func (s *Server) RebootInstance(ctx context.Context, req *pb.RebootInstanceRequest) (*pb.Instance, error) {
	validate := func() error {
		switch req.GetType() {
		case pb.RebootInstanceRequest_TYPE_UNSPECIFIED, pb.RebootInstanceRequest_SOFT, pb.RebootInstanceRequest_HARD:
			return nil
		}
		return driver.InvalidArgument("type", "must be SOFT or HARD")
	}
	return s.action(ctx, "RebootInstance", req.GetName(), validate, func(ctx context.Context, cl *cloud, id string) error {
		return cl.adapter.RebootInstance(ctx, id, req.GetType() == pb.RebootInstanceRequest_HARD)
	})
}

// ResizeInstance implements pb.ComputeServiceServer.
func (s *Server) ResizeInstance(ctx context.Context, req *pb.ResizeInstanceRequest) (*pb.Instance, error) {
	return s.action(ctx, "ResizeInstance", req.GetName(), requiredID("flavor", req.GetFlavor()), func(ctx context.Context, cl *cloud, id string) error {
		return cl.adapter.ResizeInstance(ctx, id, req.GetFlavor())
	})
}

// ConfirmResizeInstance implements pb.ComputeServiceServer.
func (s *Server) ConfirmResizeInstance(ctx context.Context, req *pb.ConfirmResizeInstanceRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "ConfirmResizeInstance", req.GetName(), nil, driver.ResizeConfirmer.ConfirmResize)
}

// RevertResizeInstance implements pb.ComputeServiceServer.
func (s *Server) RevertResizeInstance(ctx context.Context, req *pb.RevertResizeInstanceRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "RevertResizeInstance", req.GetName(), nil, driver.ResizeConfirmer.RevertResize)
}

// ShelveInstance implements pb.ComputeServiceServer.
func (s *Server) ShelveInstance(ctx context.Context, req *pb.ShelveInstanceRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "ShelveInstance", req.GetName(), nil, driver.Shelver.ShelveInstance)
}

// UnshelveInstance implements pb.ComputeServiceServer.
func (s *Server) UnshelveInstance(ctx context.Context, req *pb.UnshelveInstanceRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "UnshelveInstance", req.GetName(), nil, driver.Shelver.UnshelveInstance)
}

// RebuildInstance implements pb.ComputeServiceServer.
func (s *Server) RebuildInstance(ctx context.Context, req *pb.RebuildInstanceRequest) (*pb.Instance, error) {
	validate := func() error {
		if err := requiredID("image", req.GetImage())(); err != nil {
			return err
		}
		if _, ok := req.GetMetadata()[driver.MarkerKey]; ok {
			return driver.InvalidArgument("metadata", reservedMarker)
		}
		return nil
	}
	return optionalAction(ctx, s, "RebuildInstance", req.GetName(), validate, func(r driver.Rebuilder, ctx context.Context, id string) error {
		return r.RebuildInstance(ctx, id, driver.RebuildRequest{ImageID: req.GetImage(), Name: req.GetDisplayName(), Metadata: req.GetMetadata()})
	})
}

// AddSecurityGroup implements pb.ComputeServiceServer.
func (s *Server) AddSecurityGroup(ctx context.Context, req *pb.AddSecurityGroupRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "AddSecurityGroup", req.GetName(), required("security_group", req.GetSecurityGroup()), func(r driver.SecurityGroupManager, ctx context.Context, id string) error {
		return r.AddSecurityGroup(ctx, id, req.GetSecurityGroup())
	})
}

// RemoveSecurityGroup implements pb.ComputeServiceServer.
func (s *Server) RemoveSecurityGroup(ctx context.Context, req *pb.RemoveSecurityGroupRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "RemoveSecurityGroup", req.GetName(), required("security_group", req.GetSecurityGroup()), func(r driver.SecurityGroupManager, ctx context.Context, id string) error {
		return r.RemoveSecurityGroup(ctx, id, req.GetSecurityGroup())
	})
}

func validIP(field, v string, need bool) func() error {
	return func() error {
		if v == "" {
			if need {
				return driver.InvalidArgument(field, "required")
			}
			return nil
		}
		if net.ParseIP(v) == nil {
			return driver.InvalidArgument(field, fmt.Sprintf("%q is not an IP address", v))
		}
		return nil
	}
}

// AddFloatingIp implements pb.ComputeServiceServer.
func (s *Server) AddFloatingIp(ctx context.Context, req *pb.AddFloatingIpRequest) (*pb.Instance, error) {
	validate := func() error {
		if err := validIP("address", req.GetAddress(), true)(); err != nil {
			return err
		}
		return validIP("fixed_ip", req.GetFixedIp(), false)()
	}
	return optionalAction(ctx, s, "AddFloatingIp", req.GetName(), validate, func(r driver.FloatingIPManager, ctx context.Context, id string) error {
		return r.AddFloatingIP(ctx, id, req.GetAddress(), req.GetFixedIp())
	})
}

// RemoveFloatingIp implements pb.ComputeServiceServer.
func (s *Server) RemoveFloatingIp(ctx context.Context, req *pb.RemoveFloatingIpRequest) (*pb.Instance, error) {
	return optionalAction(ctx, s, "RemoveFloatingIp", req.GetName(), validIP("address", req.GetAddress(), true), func(r driver.FloatingIPManager, ctx context.Context, id string) error {
		return r.RemoveFloatingIP(ctx, id, req.GetAddress())
	})
}

// CreateInstanceImage implements pb.ComputeServiceServer.
func (s *Server) CreateInstanceImage(ctx context.Context, req *pb.CreateInstanceImageRequest) (*pb.CreateInstanceImageResponse, error) {
	return unary(ctx, s, "CreateInstanceImage", func(ctx context.Context, c *call) (*pb.CreateInstanceImageResponse, error) {
		cl, id, err := c.instance("name", req.GetName())
		if err != nil {
			return nil, err
		}
		if req.GetImageName() == "" {
			return nil, driver.InvalidArgument("image_name", "required")
		}
		r, err := optional[driver.ImageCreator](cl, "CreateInstanceImage")
		if err != nil {
			return nil, err
		}
		img, err := backend(ctx, cl, func(ctx context.Context) (string, error) {
			return r.CreateInstanceImage(ctx, id, req.GetImageName(), req.GetMetadata())
		})
		if err != nil {
			return nil, err
		}
		return &pb.CreateInstanceImageResponse{Image: img}, nil
	})
}
