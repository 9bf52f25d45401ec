package toastv1

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/flexjson"
)

// instancePath is /instances/{id} with the ID escaped.
func instancePath(id string) string { return "/instances/" + driver.PathSegment(id) }

// mapStatus maps a TOAST instance status to the unified state; a status
// this table does not know is UNKNOWN.
func mapStatus(status string) driver.State {
	switch status {
	case "BUILD":
		return driver.StateProvisioning
	case "POWERING_ON":
		return driver.StateStarting
	case "ACTIVE":
		return driver.StateRunning
	case "POWERING_OFF":
		return driver.StateStopping
	case "STOP":
		return driver.StateStopped
	case "REBOOTING":
		return driver.StateRebooting
	case "RESIZING":
		return driver.StateResizing
	case "MIGRATING":
		return driver.StateMigrating
	case "DELETING":
		return driver.StateDeleting
	case "ERROR":
		return driver.StateError
	}
	return driver.StateUnknown
}

// toInstance maps one instances-detail row.
func toInstance(w *wireInstance) driver.Instance {
	in := driver.Instance{
		ID:               string(w.ID),
		Name:             string(w.Name),
		VendorStatus:     string(w.Status),
		State:            mapStatus(string(w.Status)),
		FlavorID:         string(w.Flavor.ID),
		ImageID:          string(w.Image),
		Zone:             string(w.AvailabilityZone),
		KeyName:          string(w.KeyName),
		BootVolumeSizeGB: int(w.Volumes.Root.Size),
		BootVolumeType:   string(w.Volumes.Root.Type),
		Created:          parseTime(w.CreatedAt),
		Updated:          parseTime(w.UpdatedAt),
		Launched:         parseTime(w.LaunchedAt),
	}
	if w.Flavor.Name != "" || w.Flavor.CPU != 0 || w.Flavor.RAM != 0 {
		// TOAST reports the flavor's name, CPU count and RAM (MB) inline.
		in.FlavorDetails = &driver.Flavor{ID: in.FlavorID, Name: string(w.Flavor.Name),
			VCPUs: int(w.Flavor.CPU), RAMMB: int(w.Flavor.RAM)}
	}
	for _, ad := range w.Addresses {
		version := int(ad.Version)
		if version == 0 && ad.IPAddress != "" {
			version = ipVersion(string(ad.IPAddress))
		}
		if ad.IPAddress != "" {
			in.Addresses = append(in.Addresses, driver.Address{
				IP: string(ad.IPAddress), Version: version, Type: driver.AddressFixed, MAC: string(ad.MACAddress),
			})
		}
		if ad.FloatingIPAddress != "" {
			in.Addresses = append(in.Addresses, driver.Address{
				IP: string(ad.FloatingIPAddress), Version: ipVersion(string(ad.FloatingIPAddress)),
				Type: driver.AddressFloating, MAC: string(ad.MACAddress),
			})
		}
	}
	for _, sg := range w.SecurityGroups {
		if sg.Name != "" {
			in.SecurityGroups = append(in.SecurityGroups, string(sg.Name))
		}
	}
	for _, v := range w.Volumes.Attachments {
		if v.ID != "" {
			in.VolumeIDs = append(in.VolumeIDs, string(v.ID))
		}
	}
	in.Metadata = flexjson.Strings(w.Metadata)
	return in
}

func ipVersion(ip string) int {
	if strings.Contains(ip, ":") {
		return 6
	}
	return 4
}

// get runs GET path into out, filtered by key=value when value is set
// (one instance by id, one key pair by name).
func (a *Adapter) get(ctx context.Context, op, path, key, value string, out any) error {
	var q url.Values
	if value != "" {
		q = url.Values{key: {value}}
	}
	return a.call(ctx, request{op: op, method: http.MethodGet, path: path, query: q, out: out})
}

// detail runs GET /instances-detail, for one instance (id set) or all.
func (a *Adapter) detail(ctx context.Context, op, id string) ([]wireInstance, error) {
	var out detailInstancesResponse
	if err := a.get(ctx, op, "/instances-detail", "id", id, &out); err != nil {
		return nil, err
	}
	return out.Instances, nil
}

// getWire returns the detail of one instance; CodeNotFound when TOAST says
// so or answers with no row for that ID.
func (a *Adapter) getWire(ctx context.Context, op, id string) (*wireInstance, error) {
	if id == "" {
		return nil, a.wrap(op, driver.InvalidArgument("instance", "an instance ID is required"))
	}
	rows, err := a.detail(ctx, op, id)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if string(rows[i].ID) == id {
			return &rows[i], nil
		}
	}
	return nil, a.wrap(op, driver.Errorf(driver.CodeNotFound, "instance %q does not exist", id))
}

// ListInstances lists every instance with GET /instances-detail (TOAST has
// no paging) and pages and filters locally with driver.PageLocally.
func (a *Adapter) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	rows, err := a.detail(ctx, "list instances", "")
	if err != nil {
		return nil, err
	}
	all := make([]driver.Instance, 0, len(rows))
	for i := range rows {
		if rows[i].ID == "" {
			continue
		}
		all = append(all, toInstance(&rows[i]))
	}
	return driver.PageLocally(all, opts), nil
}

// ListInstanceSummaries runs the brief query, GET /instances (all
// instances, or the one with the given ID): IDs, names and raw statuses
// only. It is not part of driver.Adapter; the gateway's portable layer
// needs the detailed query.
func (a *Adapter) ListInstanceSummaries(ctx context.Context, id string) ([]InstanceSummary, error) {
	var out briefInstancesResponse
	if err := a.get(ctx, "list instance summaries", "/instances", "id", id, &out); err != nil {
		return nil, err
	}
	res := make([]InstanceSummary, 0, len(out.Instances))
	for _, r := range out.Instances {
		res = append(res, InstanceSummary{ID: string(r.ID), Name: string(r.Name), Status: string(r.Status)})
	}
	return res, nil
}

// GetInstance returns one instance from GET /instances-detail?id=.
func (a *Adapter) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	w, err := a.getWire(ctx, "get instance "+id, id)
	if err != nil {
		return nil, err
	}
	in := toInstance(w)
	return &in, nil
}

// Limits the API guide sets on a create.
const (
	maxNameLinux   = 20
	maxNameWindows = 12
	minVolumeGB    = 10 // the smallest multiple of 10; the image's minDisk may be higher
	maxVolumeGB    = 1000
	maxCount       = 10
	maxMetadataLen = 255 // per key and per value, as the Nova API beneath TOAST
)

// validNameChars reports whether s uses only the characters TOAST allows
// in instance names: ASCII letters, digits, '-' and '.'.
func validNameChars(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// validateCreate checks what the API guide constrains, before sending, and
// names every problem at once (one try, not one per missing field).
func (a *Adapter) validateCreate(req *driver.CreateInstanceRequest, count int) error {
	v := driver.CheckCreateRequest(req)
	limit := maxNameLinux
	if a.windows[req.ImageID] {
		limit = maxNameWindows
	}
	switch {
	case strings.TrimSpace(req.Name) == "": // CheckCreateRequest said so
	case !validNameChars(req.Name):
		v.Add("instance.display_name",
			fmt.Sprintf("TOAST allows only letters, digits, '-' and '.' in an instance name; %q has others", req.Name))
	case len(req.Name) > limit:
		kind := "Linux"
		if limit == maxNameWindows {
			kind = "Windows"
		}
		v.Add("instance.display_name",
			fmt.Sprintf("TOAST allows at most %d characters for a %s instance name; %q has %d", limit, kind, req.Name, len(req.Name)))
	}
	if req.Zone == "" {
		v.Add("instance.zone", "TOAST requires an availability zone")
	}
	if count < 1 || count > maxCount {
		v.Add("instance.count", fmt.Sprintf("TOAST creates 1 to %d instances at a time, not %d", maxCount, count))
	}
	if len(req.UserData) > 0 {
		v.Add("instance.user_data", "the TOAST v1.0 instance API has no user data")
	}
	if len(req.Networks) == 0 {
		v.Add("instance.networks", "TOAST requires a network ID or a subnet ID")
	}
	for i, n := range req.Networks {
		field := fmt.Sprintf("instance.networks[%d]", i)
		switch {
		case n.PortID != "":
			v.Add(field+".port", "the TOAST v1.0 instance API cannot attach an existing port; give a network or subnet")
		case n.FixedIP != "":
			v.Add(field+".fixed_ip", "the TOAST v1.0 instance API cannot request a fixed IP")
		case n.NetworkID == "" && n.SubnetID == "":
			v.Add(field, "a network ID or a subnet ID is required")
		case n.NetworkID != "" && n.SubnetID != "":
			v.Add(field, "give either a network ID or a subnet ID, not both")
		}
	}
	keys := make([]string, 0, len(req.Metadata))
	for k := range req.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch val := req.Metadata[k]; {
		case k == "" || utf8.RuneCountInString(k) > maxMetadataLen:
			v.Add("instance.metadata", fmt.Sprintf("keys are 1 to %d characters; %q is not", maxMetadataLen, k))
		case utf8.RuneCountInString(val) > maxMetadataLen:
			v.Add("instance.metadata", fmt.Sprintf("values are at most %d characters; the value of %q is not", maxMetadataLen, k))
		}
	}
	for i, g := range req.SecurityGroups {
		if strings.TrimSpace(g) == "" {
			v.Add(fmt.Sprintf("instance.security_groups[%d]", i), "a security group name is required")
		}
	}
	// Guide "Create Instances": c2, m2, r2 and t2 flavors (no fixed root
	// disk: volumeSize 0) take the root volume from the request, and TOAST
	// refuses a create without one. The flavor comes from the portable
	// layer's cache when it knows it.
	if f := req.Flavor; f != nil && f.VolumeSizeGB == 0 && req.BootVolume == nil {
		v.Add("instance.boot_volume.size_gb", fmt.Sprintf("required for flavor %s, which has no fixed root disk: %d to %d GB in steps of 10",
			orID(f.Name, f.ID), minVolumeGB, maxVolumeGB))
	}
	if bv := req.BootVolume; bv != nil {
		switch {
		case bv.SizeGB < minVolumeGB || bv.SizeGB > maxVolumeGB:
			v.Add("instance.boot_volume.size_gb",
				fmt.Sprintf("TOAST root volumes are %d to %d GB; got %d", minVolumeGB, maxVolumeGB, bv.SizeGB))
		case bv.SizeGB%10 != 0:
			v.Add("instance.boot_volume.size_gb",
				fmt.Sprintf("TOAST root volume sizes are multiples of 10 GB; got %d", bv.SizeGB))
		}
		if bv.Type != "" && bv.Type != "General HDD" && bv.Type != "General SSD" {
			v.Add("instance.boot_volume.type",
				fmt.Sprintf(`TOAST root volume types are "General HDD" and "General SSD"; got %q`, bv.Type))
		}
	}
	return v.Err()
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// createBody builds the POST /instances body. Security groups default to
// "default", which TOAST requires and every project has.
func createBody(req *driver.CreateInstanceRequest, count int) createInstanceRequest {
	b := createInstanceBody{
		Name:             req.Name,
		Image:            req.ImageID,
		Flavor:           req.FlavorID,
		AvailabilityZone: req.Zone,
		KeyName:          req.KeyName,
		Count:            count,
		Metadata:         req.Metadata,
	}
	for _, n := range req.Networks {
		b.Networks = append(b.Networks, createNetwork{ID: n.NetworkID, SubnetID: n.SubnetID})
	}
	groups := req.SecurityGroups
	if len(groups) == 0 {
		groups = []string{"default"}
	}
	for _, g := range groups {
		b.SecurityGroups = append(b.SecurityGroups, nameRef{Name: g})
	}
	if v := req.BootVolume; v != nil {
		b.Volume = &createVolume{Size: v.SizeGB, Type: v.Type}
	}
	return createInstanceRequest{Instance: b}
}

// CreateInstance creates one instance with POST /instances. It is sent
// once: only a refused token (which TOAST checks before creating) leads to
// a second attempt.
func (a *Adapter) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	const count = 1
	op := "create instance " + req.Name
	if err := a.validateCreate(req, count); err != nil {
		return nil, a.wrap(op, err)
	}
	body := createBody(req, count)
	var out createInstanceResponse
	// Log in first, so that the write tracking below sees only the create.
	if _, err := a.tokens.Token(ctx); err != nil {
		return nil, driver.NotCreated(a.secrets.Error(a.wrap(op, err)))
	}
	sendCtx, wrote := backendhttp.TrackWrites(ctx)
	if err := a.call(sendCtx, request{op: op, method: http.MethodPost, path: "/instances", body: body, out: &out}); err != nil {
		return nil, driver.CreateOutcome(err, wrote())
	}
	if out.Instance.ID == "" {
		return nil, a.wrap(op, driver.Errorf(driver.CodeUnknown,
			"the backend reported success without an instance ID; the instance may exist: list instances named %q before retrying", req.Name))
	}
	in := &driver.Instance{
		ID:             string(out.Instance.ID),
		Name:           string(out.Instance.Name),
		VendorStatus:   string(out.Instance.Status),
		State:          mapStatus(string(out.Instance.Status)),
		FlavorID:       req.FlavorID,
		ImageID:        req.ImageID,
		Zone:           req.Zone,
		KeyName:        req.KeyName,
		SecurityGroups: body.Instance.securityGroupNames(),
		Metadata:       req.Metadata, // as sent: the create answer has none
	}
	if in.Name == "" {
		in.Name = req.Name
	}
	if req.BootVolume != nil {
		in.BootVolumeSizeGB, in.BootVolumeType = req.BootVolume.SizeGB, req.BootVolume.Type
	}
	return in, nil
}

func (b createInstanceBody) securityGroupNames() []string {
	names := make([]string, 0, len(b.SecurityGroups))
	for _, g := range b.SecurityGroups {
		names = append(names, g.Name)
	}
	return names
}

// DeleteInstance deletes with DELETE /instances?id=.
func (a *Adapter) DeleteInstance(ctx context.Context, id string) error {
	op := "delete instance " + id
	if id == "" {
		return a.wrap(op, driver.InvalidArgument("instance", "an instance ID is required"))
	}
	return a.call(ctx, request{op: op, method: http.MethodDelete, path: "/instances", query: url.Values{"id": {id}}})
}

// action runs POST /instances/{id}/action {"action", "parameters"}.
func (a *Adapter) action(ctx context.Context, op, id, name string, params map[string]any, out any) error {
	if id == "" {
		return a.wrap(op, driver.InvalidArgument("instance", "an instance ID is required"))
	}
	return a.call(ctx, request{op: op, method: http.MethodPost, path: instancePath(id) + "/action",
		body: actionRequest{Action: name, Parameters: params}, out: out})
}

// StartInstance runs action start.
func (a *Adapter) StartInstance(ctx context.Context, id string) error {
	return a.action(ctx, "start instance "+id, id, "start", nil, nil)
}

// StopInstance runs action stop.
func (a *Adapter) StopInstance(ctx context.Context, id string) error {
	return a.action(ctx, "stop instance "+id, id, "stop", nil, nil)
}

// RebootInstance runs action reboot with parameters.type SOFT or HARD.
func (a *Adapter) RebootInstance(ctx context.Context, id string, hard bool) error {
	typ := "SOFT"
	if hard {
		typ = "HARD"
	}
	return a.action(ctx, "reboot instance "+id, id, "reboot", map[string]any{"type": typ}, nil)
}

// ResizeInstance runs action resize with parameters.flavor. TOAST has no
// confirm step: the instance goes RESIZING and back.
func (a *Adapter) ResizeInstance(ctx context.Context, id, flavorID string) error {
	op := "resize instance " + id
	if flavorID == "" {
		return a.wrap(op, driver.InvalidArgument("flavor", "a flavor is required"))
	}
	return a.action(ctx, op, id, "resize", map[string]any{"flavor": flavorID}, nil)
}

// CreateInstanceImage runs action uploadImage with parameters.name and
// returns createdImage.id. The action has no image metadata parameter, so
// metadata is refused rather than dropped.
func (a *Adapter) CreateInstanceImage(ctx context.Context, id, imageName string, metadata map[string]string) (string, error) {
	op := "create image of instance " + id
	switch {
	case strings.TrimSpace(imageName) == "":
		return "", a.wrap(op, driver.InvalidArgument("image_name", "an image name is required"))
	case len(metadata) > 0:
		return "", a.wrap(op, driver.InvalidArgument("metadata", "TOAST's uploadImage action cannot set image metadata"))
	}
	var out uploadImageResponse
	if err := a.action(ctx, op, id, "uploadImage", map[string]any{"name": imageName}, &out); err != nil {
		return "", err
	}
	if out.CreatedImage.ID == "" {
		return "", a.wrap(op, driver.Errorf(driver.CodeUnavailable, "the backend reported success without createdImage.id"))
	}
	return string(out.CreatedImage.ID), nil
}

// AddSecurityGroup runs action addSecurityGroup with parameters.name.
func (a *Adapter) AddSecurityGroup(ctx context.Context, id, group string) error {
	op := "add security group to instance " + id
	if group == "" {
		return a.wrap(op, driver.InvalidArgument("security_group", "a security group name is required"))
	}
	return a.action(ctx, op, id, "addSecurityGroup", map[string]any{"name": group}, nil)
}

// RemoveSecurityGroup runs action removeSecurityGroup with parameters.name.
func (a *Adapter) RemoveSecurityGroup(ctx context.Context, id, group string) error {
	op := "remove security group from instance " + id
	if group == "" {
		return a.wrap(op, driver.InvalidArgument("security_group", "a security group name is required"))
	}
	return a.action(ctx, op, id, "removeSecurityGroup", map[string]any{"name": group}, nil)
}

// AddFloatingIP runs action addFloatingIp with parameters.address and
// parameters.ipAddress. TOAST requires the instance's IP; when fixedIP is
// empty the adapter reads the instance and uses its first fixed IPv4
// address.
func (a *Adapter) AddFloatingIP(ctx context.Context, id, address, fixedIP string) error {
	op := "add floating IP to instance " + id
	if address == "" {
		return a.wrap(op, driver.InvalidArgument("address", "a floating IP address is required"))
	}
	if fixedIP == "" {
		w, err := a.getWire(ctx, op, id)
		if err != nil {
			return err
		}
		in := toInstance(w)
		for _, ad := range in.Addresses {
			if ad.Type == driver.AddressFixed && ad.Version != 6 {
				fixedIP = ad.IP
				break
			}
		}
		if fixedIP == "" {
			return a.wrap(op, driver.Errorf(driver.CodeFailedPrecondition, "instance %q has no fixed IPv4 address to associate the floating IP with", id))
		}
	}
	return a.action(ctx, op, id, "addFloatingIp", map[string]any{"address": address, "ipAddress": fixedIP}, nil)
}

// RemoveFloatingIP runs action removeFloatingIp with parameters.address.
func (a *Adapter) RemoveFloatingIP(ctx context.Context, id, address string) error {
	op := "remove floating IP from instance " + id
	if address == "" {
		return a.wrap(op, driver.InvalidArgument("address", "a floating IP address is required"))
	}
	return a.action(ctx, op, id, "removeFloatingIp", map[string]any{"address": address}, nil)
}

// ListVolumeAttachments derives the attachments from the instance's
// volumes.attachments (TOAST has no attachment query).
func (a *Adapter) ListVolumeAttachments(ctx context.Context, instanceID string) ([]driver.VolumeAttachment, error) {
	w, err := a.getWire(ctx, "list volume attachments of instance "+instanceID, instanceID)
	if err != nil {
		return nil, err
	}
	res := make([]driver.VolumeAttachment, 0, len(w.Volumes.Attachments))
	for _, v := range w.Volumes.Attachments {
		if v.ID != "" {
			res = append(res, driver.VolumeAttachment{VolumeID: string(v.ID), InstanceID: instanceID})
		}
	}
	return res, nil
}

// GetVolumeAttachment finds volumeID in the instance's volumes.attachments.
func (a *Adapter) GetVolumeAttachment(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	op := fmt.Sprintf("get attachment of volume %s to instance %s", volumeID, instanceID)
	w, err := a.getWire(ctx, op, instanceID)
	if err != nil {
		return nil, err
	}
	for _, v := range w.Volumes.Attachments {
		if string(v.ID) == volumeID {
			return &driver.VolumeAttachment{VolumeID: volumeID, InstanceID: instanceID}, nil
		}
	}
	return nil, a.wrap(op, driver.Errorf(driver.CodeNotFound, "volume %q is not attached to instance %q", volumeID, instanceID))
}

// AttachVolume runs POST /instances/{id}/attachments {attachment:{volumeId}}.
func (a *Adapter) AttachVolume(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	op := fmt.Sprintf("attach volume %s to instance %s", volumeID, instanceID)
	switch {
	case instanceID == "":
		return nil, a.wrap(op, driver.InvalidArgument("instance", "an instance ID is required"))
	case volumeID == "":
		return nil, a.wrap(op, driver.InvalidArgument("volume_id", "a volume ID is required"))
	}
	var body attachRequest
	body.Attachment.VolumeID = volumeID
	var out attachResponse
	if err := a.call(ctx, request{op: op, method: http.MethodPost, path: instancePath(instanceID) + "/attachments", body: body, out: &out}); err != nil {
		return nil, err
	}
	att := &driver.VolumeAttachment{
		VolumeID:     string(out.Attachment.VolumeID),
		InstanceID:   instanceID,
		Device:       string(out.Attachment.Device),
		AttachmentID: string(out.Attachment.ID),
	}
	if att.VolumeID == "" {
		att.VolumeID = volumeID
	}
	if att.AttachmentID == att.VolumeID {
		att.AttachmentID = ""
	}
	return att, nil
}

// DetachVolume runs DELETE /instances/{id}/attachments?volumeId=.
func (a *Adapter) DetachVolume(ctx context.Context, instanceID, volumeID string) error {
	op := fmt.Sprintf("detach volume %s from instance %s", volumeID, instanceID)
	switch {
	case instanceID == "":
		return a.wrap(op, driver.InvalidArgument("instance", "an instance ID is required"))
	case volumeID == "":
		return a.wrap(op, driver.InvalidArgument("volume_id", "a volume ID is required"))
	}
	return a.call(ctx, request{op: op, method: http.MethodDelete, path: instancePath(instanceID) + "/attachments",
		query: url.Values{"volumeId": {volumeID}}})
}
