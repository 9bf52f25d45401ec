package gcore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/computegw/computegw/driver"
)

// CreateInstance validates the request, resolves what Gcore wants by ID
// (security group names, a subnet's network), sends POST /v2/instances/{p}/{r}
// once, then waits for the create task (tasks.go) and answers with the new
// instance. It never re-sends the create: if the wait ends first (the
// caller's deadline or the cloud's timeout), the error says the instance may
// still appear.
func (a *Adapter) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	op := fmt.Sprintf("create instance %q", req.Name)
	body, err := a.createBody(ctx, op, req)
	if err != nil {
		return nil, err
	}
	taskID, err := a.task(ctx, request{op: op, method: http.MethodPost, path: "/v2/instances" + a.scope, body: body})
	if err != nil {
		return nil, err
	}
	if taskID == "" {
		return nil, &driver.Error{Code: driver.CodeUnavailable,
			Message: op + ": Gcore accepted the create without naming its task; the instance may still appear (list instances to check)"}
	}
	t, err := a.waitTask(ctx, op, taskID)
	if err != nil {
		return nil, err
	}
	if len(t.CreatedResources.Instances) == 0 || t.CreatedResources.Instances[0] == "" {
		return nil, &driver.Error{Code: driver.CodeUnavailable, VendorCode: t.State,
			Message: fmt.Sprintf("%s: Gcore's create task %s finished without naming an instance in created_resources", op, taskID)}
	}
	id := string(t.CreatedResources.Instances[0])
	in, err := a.getCreated(ctx, id)
	if err != nil {
		// Created, but not readable now: answer what is known rather than
		// an error that would invite a second create.
		a.log.WarnContext(ctx, "gcore: created instance could not be read back", "instance", id, "error", err.Error())
		return &driver.Instance{ID: id, Name: req.Name, FlavorID: req.FlavorID, ImageID: req.ImageID,
			KeyName: req.KeyName, State: driver.StateUnknown}, nil
	}
	return in, nil
}

// getCreated reads the new instance, retrying transient failures within
// ctx (the create itself is done).
func (a *Adapter) getCreated(ctx context.Context, id string) (*driver.Instance, error) {
	delay := a.poll
	for {
		in, err := a.GetInstance(ctx, id)
		if err == nil || !transient(err) {
			return in, err
		}
		if !a.sleep(ctx, delay) {
			return nil, err
		}
		delay = min(delay*3/2, a.max)
	}
}

// createBody maps the portable request onto Gcore's v2 create body, and
// checks everything Gcore requires before any call (README "Create body").
func (a *Adapter) createBody(ctx context.Context, op string, req *driver.CreateInstanceRequest) (*createBody, error) {
	v := []driver.FieldViolation(driver.CheckCreateRequest(req))
	add := func(field, why string) { v = append(v, driver.FieldViolation{Field: field, Description: why}) }
	if req.BootVolume == nil || req.BootVolume.SizeGB <= 0 {
		add("instance.boot_volume.size_gb", "required: Gcore builds every instance on a boot volume of a size you choose, in GiB (at least the image's minimum disk)")
	}
	if req.Zone != "" && !(len(a.zones) == 1 && a.zones[0] == req.Zone) {
		if len(a.zones) == 1 {
			add("instance.zone", fmt.Sprintf("this Gcore cloud has one zone, %q; leave it empty or name that one", a.zones[0]))
		} else {
			add("instance.zone", "Gcore places instances within the region itself and takes no zone; leave it empty")
		}
	}
	var ifaces []createInterface
	for i, n := range req.Networks {
		field := fmt.Sprintf("instance.networks[%d]", i)
		if n.FixedIP != "" {
			add(field+".fixed_ip", "Gcore takes a fixed IP only as a reserved fixed IP port: reserve the address in Gcore and pass that port's ID as port")
		}
		switch {
		case n.PortID != "":
			ifaces = append(ifaces, createInterface{Type: "reserved_fixed_ip", PortID: n.PortID})
		case n.SubnetID != "":
			ifaces = append(ifaces, createInterface{Type: "subnet", SubnetID: n.SubnetID}) // network_id resolved below
		case n.NetworkID != "":
			ifaces = append(ifaces, createInterface{Type: "any_subnet", NetworkID: n.NetworkID})
		default:
			add(field, "set one of network, subnet or port")
		}
	}
	if len(ifaces) == 0 && len(req.Networks) == 0 {
		// Gcore requires an interface: without one asked for, the
		// instance gets a public address on Gcore's external network.
		ifaces = []createInterface{{Type: "external"}}
	}
	if len(v) > 0 {
		return nil, violations(op, v)
	}
	b := &createBody{
		Name:       req.Name,
		Flavor:     req.FlavorID,
		Interfaces: ifaces,
		Volumes: []createVolume{{Source: "image", ImageID: req.ImageID, Size: req.BootVolume.SizeGB, BootIndex: 0,
			TypeName: req.BootVolume.Type, DeleteOnTermination: req.BootVolume.DeleteOnTermination}},
		SSHKeyName: req.KeyName,
		Metadata:   req.Metadata,
	}
	if len(req.UserData) > 0 {
		b.UserData = base64.StdEncoding.EncodeToString(req.UserData)
	}
	// Lookups, only once the request is otherwise valid.
	for i := range b.Interfaces {
		itf := &b.Interfaces[i]
		if itf.Type != "subnet" {
			continue
		}
		net, err := a.subnetNetwork(ctx, op, itf.SubnetID)
		if err != nil {
			if driver.IsNotFound(err) {
				return nil, violations(op, []driver.FieldViolation{{Field: fmt.Sprintf("instance.networks[%d].subnet", i),
					Description: fmt.Sprintf("Gcore has no subnet %q in this project and region", itf.SubnetID)}})
			}
			return nil, err
		}
		itf.NetworkID = net
	}
	if len(req.SecurityGroups) > 0 {
		ids, err := a.securityGroupIDs(ctx, op, req.SecurityGroups)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			b.SecurityGroups = append(b.SecurityGroups, idRef{ID: id})
		}
	}
	return b, nil
}

func violations(op string, v []driver.FieldViolation) error {
	msg := v[0].Field + ": " + v[0].Description
	if len(v) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(v)-1)
	}
	return &driver.Error{Code: driver.CodeInvalidArgument, Message: op + ": " + msg, Violations: v}
}

// subnetNetwork reads GET /v1/subnets/{p}/{r}/{id} for the subnet's
// network: Gcore's "subnet" interface names both, the portable request only
// the subnet.
func (a *Adapter) subnetNetwork(ctx context.Context, op, subnet string) (string, error) {
	var out wireSubnet
	err := a.call(ctx, request{op: op + ": look up subnet " + subnet, method: http.MethodGet,
		path: "/v1/subnets" + a.scope + "/" + driver.PathSegment(subnet), out: &out})
	if err != nil {
		return "", err
	}
	if out.NetworkID == "" {
		return "", &driver.Error{Code: driver.CodeUnavailable, Message: op + ": subnet " + subnet + " has no network_id in Gcore's answer"}
	}
	return string(out.NetworkID), nil
}

// securityGroupIDs turns the portable security group names (an ID is
// accepted too) into the IDs Gcore's create body takes, with
// GET /v1/securitygroups/{p}/{r}.
func (a *Adapter) securityGroupIDs(ctx context.Context, op string, groups []string) ([]string, error) {
	var out securityGroupList
	if err := a.call(ctx, request{op: op + ": list security groups", method: http.MethodGet,
		path: "/v1/securitygroups" + a.scope, out: &out}); err != nil {
		return nil, err
	}
	var ids []string
	var v []driver.FieldViolation
	for i, g := range groups {
		var match []string
		for _, r := range out.Results {
			if r.Name == g || string(r.ID) == g {
				match = append(match, string(r.ID))
			}
		}
		slices.Sort(match)
		match = slices.Compact(match)
		switch len(match) {
		case 1:
			ids = append(ids, match[0])
		case 0:
			v = append(v, driver.FieldViolation{Field: fmt.Sprintf("instance.security_groups[%d]", i),
				Description: fmt.Sprintf("Gcore has no security group %q in this project and region", g)})
		default:
			v = append(v, driver.FieldViolation{Field: fmt.Sprintf("instance.security_groups[%d]", i),
				Description: fmt.Sprintf("several Gcore security groups are named %q; give the ID of the one you mean", g)})
		}
	}
	if len(v) > 0 {
		return nil, violations(op, v)
	}
	return ids, nil
}

// transient reports whether a failed read is worth repeating.
func transient(err error) bool {
	switch driver.CodeOf(err) {
	case driver.CodeUnavailable, driver.CodeResourceExhausted, driver.CodeDeadlineExceeded, driver.CodeUnknown:
		// The caller's own deadline ends the loop in sleep.
		return true
	}
	return false
}

// sleep waits d or until ctx ends; it reports whether d passed.
func (a *Adapter) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// CreateSettle implements driver.CreateSettler: a Gcore create is a task,
// and its instance shows in lists only once the task runs, which may be
// after it waited in Gcore's queue. A create whose answer was lost is
// therefore made again only when a minute has passed without the instance
// carrying its request_id appearing.
func (a *Adapter) CreateSettle() time.Duration { return time.Minute }

// FindMarked implements driver.MarkerFinder with Gcore's metadata filter:
// GET /v1/instances/{p}/{r}?metadata_kv={"computegw-request-id": ID}
// (and the name, when it is plain), every page of it, each instance's
// marker checked again.
func (a *Adapter) FindMarked(ctx context.Context, name, requestID string) (*driver.Instance, error) {
	q := pushdown(driver.InstanceFilter{Name: name})
	kv, err := json.Marshal(map[string]string{driver.MarkerKey: requestID})
	if err != nil {
		return nil, err
	}
	q.Set("metadata_kv", string(kv))
	for offset := 0; ; {
		rows, count, err := a.page(ctx, q, offset, maxLimit)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			if driver.MarkerOf(&rows[i]) == requestID {
				return &rows[i], nil
			}
		}
		offset += len(rows)
		if len(rows) == 0 || offset >= count {
			return nil, nil
		}
	}
}
