package fake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

const (
	novaTime     = "2006-01-02T15:04:05Z"
	novaUsgTime  = "2006-01-02T15:04:05.000000"
	maxUserData  = 65535
	maxMetaBytes = 255
)

var (
	deviceNameRE  = regexp.MustCompile(`^/dev/vd[a-z]$`)
	keypairNameRE = regexp.MustCompile(`^[A-Za-z0-9 _-]{1,255}$`)
)

var writeJSON = fakekit.WriteJSON

// fault writes a Nova fault body: {"<name>": {"code": N, "message": "..."}}.
func fault(w http.ResponseWriter, code int, name, format string, args ...any) {
	fakekit.WriteNovaFault(w, code, name, fmt.Sprintf(format, args...))
}

func notFound(w http.ResponseWriter, format string, args ...any) {
	fault(w, http.StatusNotFound, "itemNotFound", format, args...)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	fault(w, http.StatusBadRequest, "badRequest", format, args...)
}

func conflict(w http.ResponseWriter, format string, args ...any) {
	fault(w, http.StatusConflict, "conflictingRequest", format, args...)
}

func badMethod(w http.ResponseWriter) {
	fault(w, http.StatusMethodNotAllowed, "badMethod", "The method specified is not allowed for this resource.")
}

func (s *Server) handleCompute(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		notFound(w, "The resource could not be found.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.computeReqs.Add()
	rest, ok = s.inProject(w, r, rest)
	if !ok {
		return
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		fault(w, http.StatusUnsupportedMediaType, "badMediaType", "Unsupported Content-Type")
		return
	}
	p := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	m := r.Method
	switch {
	case len(p) == 1 && p[0] == "servers":
		switch m {
		case http.MethodGet:
			s.listServers(w, r, false)
		case http.MethodPost:
			s.createServer(w, r)
		default:
			badMethod(w)
		}
	case len(p) == 2 && p[0] == "servers" && p[1] == "detail":
		if m != http.MethodGet {
			badMethod(w)
			return
		}
		s.listServers(w, r, true)
	case len(p) == 2 && p[0] == "servers":
		switch m {
		case http.MethodGet:
			s.getServer(w, p[1])
		case http.MethodPut:
			s.updateServer(w, r, p[1])
		case http.MethodDelete:
			s.deleteServer(w, p[1])
		default:
			badMethod(w)
		}
	case len(p) == 3 && p[0] == "servers" && p[2] == "action":
		if m != http.MethodPost {
			badMethod(w)
			return
		}
		s.serverAction(w, r, p[1])
	case len(p) >= 3 && len(p) <= 4 && p[0] == "servers" && p[2] == "os-volume_attachments":
		s.volumeAttachments(w, r, p[1], p[3:])
	case p[0] == "flavors" && len(p) <= 2:
		if m != http.MethodGet {
			badMethod(w)
			return
		}
		s.flavorsHandler(w, p[1:])
	case len(p) == 2 && p[0] == "images" && p[1] == "detail":
		if m != http.MethodGet {
			badMethod(w)
			return
		}
		s.listImages(w)
	case len(p) == 2 && p[0] == "images":
		if m != http.MethodGet {
			badMethod(w)
			return
		}
		s.getImage(w, p[1])
	case p[0] == "os-keypairs" && len(p) <= 2:
		s.keypairsHandler(w, r, p[1:])
	case len(p) == 1 && p[0] == "os-availability-zone" && s.opt.ZoneListing:
		if m != http.MethodGet {
			badMethod(w)
			return
		}
		zones := make([]map[string]any, 0, len(s.opt.Zones))
		for _, z := range s.opt.Zones {
			zones = append(zones, map[string]any{"zoneName": z, "zoneState": map[string]any{"available": true}, "hosts": nil})
		}
		writeJSON(w, http.StatusOK, map[string]any{"availabilityZoneInfo": zones})
	default:
		notFound(w, "The resource could not be found.")
	}
}

// ---- servers -------------------------------------------------------------

func (s *Server) link(kind, id string) []map[string]any {
	return []map[string]any{
		{"href": s.ComputeURL() + "/" + kind + "/" + id, "rel": "self"},
		{"href": s.URL + "/" + s.opt.ProjectID + "/" + kind + "/" + id, "rel": "bookmark"},
	}
}

func (s *Server) serverView(srv *server, hideZone bool) map[string]any {
	addrs := map[string][]map[string]any{}
	for _, a := range srv.addresses {
		addrs[a.network] = append(addrs[a.network], map[string]any{
			"addr": a.ip, "version": 4, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": a.mac,
		})
	}
	sgs := make([]map[string]any, 0, len(srv.secGroups))
	for _, g := range srv.secGroups {
		sgs = append(sgs, map[string]any{"name": g})
	}
	vols := make([]map[string]any, 0, len(srv.attachments))
	for _, a := range srv.attachments {
		vols = append(vols, map[string]any{"id": a.volumeID})
	}
	var task any
	if srv.task != "" {
		task = srv.task
	}
	var launched any
	if srv.status != "BUILD" {
		launched = srv.launched.UTC().Format(novaUsgTime)
	}
	v := map[string]any{
		"id":                                   srv.id,
		"name":                                 srv.name,
		"status":                               srv.status,
		"tenant_id":                            s.opt.ProjectID,
		"user_id":                              DemoUserID,
		"created":                              srv.created.UTC().Format(novaTime),
		"updated":                              srv.updated.UTC().Format(novaTime),
		"hostId":                               "65201c14a29663e06d0748e561207d998b343e1d164bfa0aafa9c45d",
		"progress":                             0,
		"accessIPv4":                           "",
		"accessIPv6":                           "",
		"flavor":                               map[string]any{"id": srv.flavorID, "links": s.link("flavors", srv.flavorID)[1:]},
		"image":                                map[string]any{"id": srv.imageID, "links": s.link("images", srv.imageID)[1:]},
		"addresses":                            addrs,
		"metadata":                             srv.metadata,
		"links":                                s.link("servers", srv.id),
		"key_name":                             srv.keyName,
		"security_groups":                      sgs,
		"OS-EXT-STS:task_state":                task,
		"OS-EXT-STS:vm_state":                  vmState(srv.status),
		"OS-EXT-STS:power_state":               powerState(srv.status),
		"OS-SRV-USG:launched_at":               launched,
		"OS-SRV-USG:terminated_at":             nil,
		"os-extended-volumes:volumes_attached": vols,
		"OS-DCF:diskConfig":                    "MANUAL",
		"config_drive":                         "",
	}
	if !hideZone {
		v["OS-EXT-AZ:availability_zone"] = srv.zone
	}
	return v
}

func refID(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func (s *Server) listServers(w http.ResponseWriter, r *http.Request, detail bool) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("changes-since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			badRequest(w, "Invalid changes-since value")
			return
		}
		since = t
	}
	var nameRE *regexp.Regexp
	if v := q.Get("name"); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			re = regexp.MustCompile(regexp.QuoteMeta(v))
		}
		nameRE = re
	}
	out := []map[string]any{}
	for _, srv := range s.allServers() {
		switch {
		case !since.IsZero() && srv.updated.Before(since):
			continue
		case q.Get("image") != "" && srv.imageID != refID(q.Get("image")):
			continue
		case q.Get("flavor") != "" && srv.flavorID != refID(q.Get("flavor")):
			continue
		case nameRE != nil && !nameRE.MatchString(srv.name):
			continue
		case q.Get("status") != "" && !strings.EqualFold(srv.status, q.Get("status")):
			continue
		case q.Get("host") != "":
			continue // no host is visible to a project user
		}
		if detail {
			hide := s.maintenance && srv.zone != s.opt.Zones[0]
			out = append(out, s.serverView(srv, hide))
		} else {
			out = append(out, map[string]any{"id": srv.id, "name": srv.name, "links": s.link("servers", srv.id)})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"servers": out})
}

func (s *Server) getServer(w http.ResponseWriter, id string) {
	srv := s.lookup(id)
	if srv == nil {
		notFound(w, "Instance %s could not be found.", id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"server": s.serverView(srv, false)})
}

// flexString accepts a JSON string, number or boolean (K5's examples quote
// boot_index, volume_size and delete_on_termination).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case string:
		*f = flexString(t)
	case float64:
		*f = flexString(strconv.FormatFloat(t, 'f', -1, 64))
	case bool:
		*f = flexString(strconv.FormatBool(t))
	case nil:
		*f = ""
	default:
		return fmt.Errorf("unexpected %T", v)
	}
	return nil
}

type createBody struct {
	Server *struct {
		Name             string            `json:"name"`
		ImageRef         string            `json:"imageRef"`
		FlavorRef        string            `json:"flavorRef"`
		KeyName          string            `json:"key_name"`
		AvailabilityZone string            `json:"availability_zone"`
		UserData         *string           `json:"user_data"`
		Metadata         map[string]string `json:"metadata"`
		ConfigDrive      *flexString       `json:"config_drive"`
		SecurityGroups   []struct {
			Name string `json:"name"`
		} `json:"security_groups"`
		Networks []struct {
			UUID    string `json:"uuid"`
			Port    string `json:"port"`
			FixedIP string `json:"fixed_ip"`
		} `json:"networks"`
		BlockDeviceMapping []struct {
			DeviceName          string     `json:"device_name"`
			SourceType          string     `json:"source_type"`
			DestinationType     string     `json:"destination_type"`
			VolumeSize          flexString `json:"volume_size"`
			BootIndex           flexString `json:"boot_index"`
			UUID                string     `json:"uuid"`
			DeleteOnTermination flexString `json:"delete_on_termination"`
		} `json:"block_device_mapping_v2"`
	} `json:"server"`
}

func validMetadata(md map[string]string) bool {
	for k, v := range md {
		if k == "" || len(k) > maxMetaBytes || len(v) > maxMetaBytes {
			return false
		}
	}
	return true
}

func (s *Server) createServer(w http.ResponseWriter, r *http.Request) {
	var body createBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Server == nil {
		badRequest(w, "Malformed request body")
		return
	}
	c := body.Server
	if c.Name == "" || len(c.Name) > 255 {
		badRequest(w, "Invalid input for field/attribute name. Value: %q.", c.Name)
		return
	}
	if !slices.ContainsFunc(s.flavors, func(f flavor) bool { return f.id == refID(c.FlavorRef) }) {
		badRequest(w, "Flavor %s could not be found.", c.FlavorRef)
		return
	}
	if c.ImageRef != "" {
		if _, ok := s.images[refID(c.ImageRef)]; !ok {
			badRequest(w, "Can not find requested image")
			return
		}
	}
	if len(c.Networks) == 0 {
		badRequest(w, "Invalid input for field/attribute networks: a network must be specified.")
		return
	}
	for _, n := range c.Networks {
		switch {
		case n.UUID == "" && n.Port == "":
			badRequest(w, "Bad networks format: network uuid or port is required")
			return
		case n.UUID != "" && n.UUID != NetworkA && n.UUID != NetworkB:
			badRequest(w, "Network %s could not be found.", n.UUID)
			return
		}
	}
	zone := s.opt.Zones[0]
	if c.AvailabilityZone != "" {
		if !slices.Contains(s.opt.Zones, c.AvailabilityZone) {
			badRequest(w, "The requested availability zone is not available")
			return
		}
		zone = c.AvailabilityZone
	}
	if c.KeyName != "" && s.keypairs[c.KeyName] == nil {
		badRequest(w, "Invalid key_name provided.")
		return
	}
	groups := []string{"default"}
	if len(c.SecurityGroups) > 0 {
		groups = groups[:0]
		for _, g := range c.SecurityGroups {
			if !slices.Contains(s.secGroups, g.Name) {
				badRequest(w, "Unable to find security_group with name or id '%s'", g.Name)
				return
			}
			groups = append(groups, g.Name)
		}
	}
	if c.UserData != nil {
		if len(*c.UserData) > maxUserData {
			badRequest(w, "User data too large. User data must be no larger than %d bytes once base64 encoded.", maxUserData)
			return
		}
		if _, err := base64.StdEncoding.DecodeString(*c.UserData); err != nil {
			badRequest(w, "User data needs to be valid base 64.")
			return
		}
	}
	if !validMetadata(c.Metadata) {
		badRequest(w, "Invalid input for field/attribute metadata.")
		return
	}
	if c.ConfigDrive != nil && *c.ConfigDrive != "false" {
		badRequest(w, "config_drive: only \"false\" can be specified")
		return
	}
	// Block device mapping: K5 flavors have no local disk, so a boot volume
	// (boot_index "0") is required.
	bootImage, bootSize, deleteBoot := "", 0, false
	var extraVolumes []string
	for _, b := range c.BlockDeviceMapping {
		if !deviceNameRE.MatchString(b.DeviceName) {
			badRequest(w, "Block Device Mapping is Invalid: device_name %q must be /dev/vdX.", b.DeviceName)
			return
		}
		if b.DestinationType != "volume" {
			badRequest(w, "Block Device Mapping is Invalid: destination_type must be volume.")
			return
		}
		idx, err := strconv.Atoi(string(b.BootIndex))
		if err != nil || idx < 0 {
			badRequest(w, "Block Device Mapping is Invalid: boot_index %q.", b.BootIndex)
			return
		}
		size := 0
		if b.VolumeSize != "" {
			if size, err = strconv.Atoi(string(b.VolumeSize)); err != nil || size <= 0 {
				badRequest(w, "Block Device Mapping is Invalid: volume_size %q.", b.VolumeSize)
				return
			}
		}
		switch b.SourceType {
		case "image":
			im, ok := s.images[b.UUID]
			if !ok {
				badRequest(w, "Block Device Mapping is Invalid: image %s could not be found.", b.UUID)
				return
			}
			if size == 0 {
				badRequest(w, "Block Device Mapping is Invalid: volume_size is required when source_type is image.")
				return
			}
			if size < im.minDisk {
				badRequest(w, "Volume is smaller than the minimum size specified in image metadata. Volume size is %d bytes, minimum size is %d bytes.", size<<30, im.minDisk<<30)
				return
			}
		case "volume":
			v := s.volumes[b.UUID]
			if v == nil {
				badRequest(w, "Block Device Mapping is Invalid: failed to get volume %s.", b.UUID)
				return
			}
			if v.attachedTo != "" {
				badRequest(w, "Block Device Mapping is Invalid: volume %s is in use.", b.UUID)
				return
			}
			extraVolumes = append(extraVolumes, b.UUID)
		case "snapshot":
		default:
			badRequest(w, "Block Device Mapping is Invalid: source_type %q.", b.SourceType)
			return
		}
		if idx == 0 {
			if b.SourceType == "image" {
				bootImage = b.UUID
			}
			bootSize = max(size, 1)
			deleteBoot = strings.EqualFold(string(b.DeleteOnTermination), "true")
		}
	}
	if bootSize == 0 {
		badRequest(w, "Block Device Mapping is Invalid: a boot volume (block_device_mapping_v2 with boot_index \"0\") is required.")
		return
	}
	image := refID(c.ImageRef)
	if image == "" {
		image = bootImage
	}
	if s.opt.MaxServers > 0 && len(s.allServers()) >= s.opt.MaxServers {
		fault(w, http.StatusRequestEntityTooLarge, "overLimit",
			"Quota exceeded for instances: Requested 1, but already used %d of %d instances", s.opt.MaxServers, s.opt.MaxServers)
		return
	}

	now := s.opt.Now().UTC()
	md := map[string]string{}
	for k, v := range c.Metadata {
		md[k] = v
	}
	srv := &server{id: newUUID(), name: c.Name, status: "BUILD", task: "scheduling", flavorID: refID(c.FlavorRef),
		imageID: image, zone: zone, keyName: c.KeyName, metadata: md, secGroups: groups}
	network := c.Networks[0].UUID
	s.addServer(srv, network, now, bootSize, deleteBoot)
	for _, n := range c.Networks[1:] {
		srv.addresses = append(srv.addresses, s.newAddress(n.UUID))
	}
	for i, v := range extraVolumes {
		s.volumes[v].attachedTo = srv.id
		srv.attachments = append(srv.attachments, attachment{id: s.attachmentID(v), volumeID: v, device: fmt.Sprintf("/dev/vd%c", 'b'+i)})
	}
	srv.steps.Set(now.Add(s.opt.BuildDelay), step{status: "ACTIVE", fn: func(sv *server) { sv.launched = sv.updated }})

	w.Header().Set("Location", s.ComputeURL()+"/servers/"+srv.id)
	writeJSON(w, http.StatusAccepted, map[string]any{"server": map[string]any{
		"security_groups":   []map[string]any{{"name": groups[0]}},
		"OS-DCF:diskConfig": "MANUAL",
		"id":                srv.id,
		"links":             s.link("servers", srv.id),
		"adminPass":         randomHex(6),
	}})
}

func (s *Server) updateServer(w http.ResponseWriter, r *http.Request, id string) {
	srv := s.lookup(id)
	if srv == nil {
		notFound(w, "Instance %s could not be found.", id)
		return
	}
	var body struct {
		Server *struct {
			Name *string `json:"name"`
		} `json:"server"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Server == nil {
		badRequest(w, "Malformed request body")
		return
	}
	if n := body.Server.Name; n != nil {
		if *n == "" || len(*n) > 255 {
			badRequest(w, "Invalid input for field/attribute name.")
			return
		}
		srv.name = *n
	}
	srv.updated = s.opt.Now().UTC()
	writeJSON(w, http.StatusOK, map[string]any{"server": s.serverView(srv, false)})
}

func (s *Server) deleteServer(w http.ResponseWriter, id string) {
	srv := s.lookup(id)
	if srv == nil {
		notFound(w, "Instance %s could not be found.", id)
		return
	}
	if srv.task != "deleting" {
		now := s.opt.Now().UTC()
		srv.task, srv.updated = "deleting", now
		srv.steps.Set(now.Add(s.opt.DeleteDelay), step{remove: true})
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- actions -------------------------------------------------------------

func (s *Server) serverAction(w http.ResponseWriter, r *http.Request, id string) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body) != 1 {
		badRequest(w, "Malformed request body: one action expected")
		return
	}
	srv := s.lookup(id)
	if srv == nil {
		notFound(w, "Instance %s could not be found.", id)
		return
	}
	var action string
	var args json.RawMessage
	for k, v := range body {
		action, args = k, v
	}
	// allowed reports whether the action may run; it writes the 409.
	allowed := func(states ...string) bool {
		switch {
		case srv.status == "BUILD":
			fault(w, http.StatusConflict, "buildInProgress", "Cannot '%s' instance %s while it is being built", action, id)
			return false
		case srv.task != "":
			conflict(w, "Cannot '%s' instance %s while it is in task_state %s", action, id, srv.task)
			return false
		case !slices.Contains(states, srv.status):
			conflict(w, "Cannot '%s' instance %s while it is in vm_state %s", action, id, vmState(srv.status))
			return false
		}
		return true
	}
	d := s.opt.ActionDelay
	switch action {
	case "os-start":
		if !allowed("SHUTOFF") {
			return
		}
		s.transition(srv, "SHUTOFF", "powering-on", d, "ACTIVE", nil)
	case "os-stop":
		if !allowed("ACTIVE", "ERROR") {
			return
		}
		s.transition(srv, srv.status, "powering-off", d, "SHUTOFF", nil)
	case "reboot":
		var a struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(args, &a) != nil || (a.Type != "SOFT" && a.Type != "HARD") {
			badRequest(w, "Invalid input for field/attribute type: must be SOFT or HARD.")
			return
		}
		if !allowed("ACTIVE", "SHUTOFF") {
			return
		}
		// K5 ignores the type and always performs a HARD reboot.
		s.transition(srv, "HARD_REBOOT", "reboot_started_hard", d, "ACTIVE", nil)
	case "resize":
		var a struct {
			FlavorRef string `json:"flavorRef"`
		}
		if json.Unmarshal(args, &a) != nil || a.FlavorRef == "" {
			badRequest(w, "Resize requires a flavor change: flavorRef is required.")
			return
		}
		fid := refID(a.FlavorRef)
		if !slices.ContainsFunc(s.flavors, func(f flavor) bool { return f.id == fid }) {
			badRequest(w, "Invalid flavorRef provided.")
			return
		}
		if fid == srv.flavorID {
			badRequest(w, "When resizing, instances must change flavor!")
			return
		}
		if !allowed("ACTIVE", "SHUTOFF") {
			return
		}
		srv.prevStatus = srv.status
		s.transition(srv, "RESIZE", "resize_prep", d, "VERIFY_RESIZE", func(sv *server) {
			sv.prevFlavorID, sv.flavorID = sv.flavorID, fid
		})
	case "confirmResize":
		if !allowed("VERIFY_RESIZE") {
			return
		}
		srv.status, srv.prevFlavorID, srv.updated = srv.prevStatus, "", s.opt.Now().UTC()
		if srv.status == "" {
			srv.status = "ACTIVE"
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case "revertResize":
		if !allowed("VERIFY_RESIZE") {
			return
		}
		final := srv.prevStatus
		if final == "" {
			final = "ACTIVE"
		}
		s.transition(srv, "REVERT_RESIZE", "resize_reverting", d, final, func(sv *server) {
			sv.flavorID, sv.prevFlavorID = sv.prevFlavorID, ""
		})
	case "shelve":
		if !allowed("ACTIVE", "SHUTOFF") {
			return
		}
		s.transition(srv, srv.status, "shelving", d, "SHELVED", nil)
	case "unshelve":
		if !allowed("SHELVED", "SHELVED_OFFLOADED") {
			return
		}
		s.transition(srv, srv.status, "unshelving", d, "ACTIVE", nil)
	case "rebuild":
		var a struct {
			ImageRef string            `json:"imageRef"`
			Name     string            `json:"name"`
			Metadata map[string]string `json:"metadata"`
		}
		if json.Unmarshal(args, &a) != nil || a.ImageRef == "" {
			badRequest(w, "Invalid input for field/attribute imageRef: imageRef is required.")
			return
		}
		img := refID(a.ImageRef)
		if _, ok := s.images[img]; !ok {
			badRequest(w, "Cannot find requested image %s: Image %s could not be found.", img, img)
			return
		}
		if !validMetadata(a.Metadata) {
			badRequest(w, "Invalid input for field/attribute metadata.")
			return
		}
		if !allowed("ACTIVE", "SHUTOFF", "ERROR") {
			return
		}
		if a.Name != "" {
			srv.name = a.Name
		}
		if a.Metadata != nil {
			srv.metadata = a.Metadata
		}
		s.transition(srv, "REBUILD", "rebuilding", d, "ACTIVE", func(sv *server) { sv.imageID = img })
		view := s.serverView(srv, false)
		view["adminPass"] = randomHex(6)
		w.Header().Set("Location", s.ComputeURL()+"/servers/"+srv.id)
		writeJSON(w, http.StatusAccepted, map[string]any{"server": view})
		return
	case "os-getConsoleOutput":
		writeJSON(w, http.StatusOK, map[string]any{"output": "FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE"})
		return
	default:
		badRequest(w, "There is no such action: %s", action)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// ---- volume attachments --------------------------------------------------

func (s *Server) attachmentView(srv *server, a attachment, withZone bool) map[string]any {
	v := map[string]any{"device": a.device, "id": a.id, "serverId": srv.id, "volumeId": a.volumeID}
	if withZone {
		v["availability_zone"] = srv.zone
	}
	return v
}

func (s *Server) volumeAttachments(w http.ResponseWriter, r *http.Request, serverID string, rest []string) {
	srv := s.lookup(serverID)
	if srv == nil {
		notFound(w, "Instance %s could not be found.", serverID)
		return
	}
	if len(rest) == 0 {
		switch r.Method {
		case http.MethodGet:
			out := make([]map[string]any, 0, len(srv.attachments))
			for _, a := range srv.attachments {
				out = append(out, s.attachmentView(srv, a, false))
			}
			writeJSON(w, http.StatusOK, map[string]any{"volumeAttachments": out})
		case http.MethodPost:
			s.attachVolume(w, r, srv)
		default:
			badMethod(w)
		}
		return
	}
	aid := rest[0]
	idx := slices.IndexFunc(srv.attachments, func(a attachment) bool { return a.id == aid })
	if idx < 0 {
		notFound(w, "Volume attachment %s could not be found.", aid)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"volumeAttachment": s.attachmentView(srv, srv.attachments[idx], true)})
	case http.MethodDelete:
		a := srv.attachments[idx]
		if a.volumeID == srv.bootVolumeID {
			badRequest(w, "Can't detach root device volume")
			return
		}
		if srv.task != "" || srv.status == "BUILD" {
			conflict(w, "Cannot 'detach_volume' instance %s while it is in task_state %s", srv.id, srv.task)
			return
		}
		srv.attachments = slices.Delete(srv.attachments, idx, idx+1)
		if v := s.volumes[a.volumeID]; v != nil {
			v.attachedTo = ""
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		badMethod(w)
	}
}

func (s *Server) attachVolume(w http.ResponseWriter, r *http.Request, srv *server) {
	var body struct {
		VolumeAttachment *struct {
			VolumeID string  `json:"volumeId"`
			Device   *string `json:"device"`
		} `json:"volumeAttachment"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.VolumeAttachment == nil || body.VolumeAttachment.VolumeID == "" {
		badRequest(w, "Invalid input for field/attribute volumeAttachment: volumeId is required.")
		return
	}
	va := body.VolumeAttachment
	v := s.volumes[va.VolumeID]
	if v == nil {
		notFound(w, "Volume %s could not be found.", va.VolumeID)
		return
	}
	if srv.status == "BUILD" {
		fault(w, http.StatusConflict, "buildInProgress", "Cannot 'attach_volume' instance %s while it is being built", srv.id)
		return
	}
	if srv.task != "" || (srv.status != "ACTIVE" && srv.status != "SHUTOFF") {
		conflict(w, "Cannot 'attach_volume' instance %s while it is in vm_state %s", srv.id, vmState(srv.status))
		return
	}
	if v.attachedTo != "" {
		conflict(w, "Volume %s is in use (attached to %s).", v.id, v.attachedTo)
		return
	}
	device := ""
	if va.Device != nil && *va.Device != "" {
		if !deviceNameRE.MatchString(*va.Device) {
			badRequest(w, "The supplied device path (%s) is invalid.", *va.Device)
			return
		}
		device = *va.Device
	} else {
		used := map[string]bool{}
		for _, a := range srv.attachments {
			used[a.device] = true
		}
		for c := 'b'; c <= 'z'; c++ {
			if d := fmt.Sprintf("/dev/vd%c", c); !used[d] {
				device = d
				break
			}
		}
	}
	a := attachment{id: s.attachmentID(v.id), volumeID: v.id, device: device}
	srv.attachments = append(srv.attachments, a)
	v.attachedTo = srv.id
	writeJSON(w, http.StatusOK, map[string]any{"volumeAttachment": s.attachmentView(srv, a, false)})
}

// ---- flavors, images -----------------------------------------------------

func (s *Server) flavorView(f flavor) map[string]any {
	return map[string]any{
		"disk": f.disk, "id": f.id, "links": s.link("flavors", f.id), "name": f.name,
		"os-flavor-access:is_public": true, "ram": f.ram, "vcpus": f.vcpus,
	}
}

func (s *Server) flavorsHandler(w http.ResponseWriter, rest []string) {
	if len(rest) == 0 || rest[0] == "detail" {
		out := make([]map[string]any, 0, len(s.flavors))
		for _, f := range s.flavors {
			out = append(out, s.flavorView(f))
		}
		writeJSON(w, http.StatusOK, map[string]any{"flavors": out})
		return
	}
	for _, f := range s.flavors {
		if f.id == rest[0] {
			writeJSON(w, http.StatusOK, map[string]any{"flavor": s.flavorView(f)})
			return
		}
	}
	notFound(w, "Flavor %s could not be found.", rest[0])
}

func (s *Server) getImage(w http.ResponseWriter, id string) {
	im, ok := s.images[id]
	if !ok {
		notFound(w, "Image not found.")
		return
	}
	if im.restricted {
		// K5 guide 1.2.5: a role that may not read the image gets a 500.
		fault(w, http.StatusInternalServerError, "cloudServersFault",
			"The server has either erred or is incapable of performing the requested operation.")
		return
	}
	links := s.link("images", id)
	links = append(links, map[string]any{"href": s.URL + "/" + s.opt.ProjectID + "/images/" + id, "rel": "alternate", "type": "application/vnd.openstack.image"})
	writeJSON(w, http.StatusOK, map[string]any{"image": map[string]any{
		"created": "2016-04-01T01:02:03Z", "id": id, "links": links,
		"metadata": map[string]any{"architecture": "x86_64"}, "minDisk": im.minDisk, "minRam": im.minRAM,
		"name": im.name, "progress": 100, "status": "ACTIVE", "updated": "2016-04-01T01:02:03Z",
	}})
}

// ---- key pairs -----------------------------------------------------------

func (s *Server) keypairsHandler(w http.ResponseWriter, r *http.Request, rest []string) {
	if len(rest) == 0 {
		switch r.Method {
		case http.MethodGet:
			names := make([]string, 0, len(s.keypairs))
			for n := range s.keypairs {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]map[string]any, 0, len(names))
			for _, n := range names {
				k := s.keypairs[n]
				out = append(out, map[string]any{"keypair": map[string]any{
					"fingerprint": k.fingerprint, "name": k.name, "public_key": k.publicKey,
				}})
			}
			writeJSON(w, http.StatusOK, map[string]any{"keypairs": out})
		case http.MethodPost:
			s.createKeypair(w, r)
		default:
			badMethod(w)
		}
		return
	}
	name := rest[0]
	k := s.keypairs[name]
	if k == nil || (r.URL.Query().Get("availability_zone") != "" && r.URL.Query().Get("availability_zone") != k.zone) {
		notFound(w, "Keypair %s not found for user %s", name, DemoUserID)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"keypair": map[string]any{
			"public_key": k.publicKey, "name": k.name, "fingerprint": k.fingerprint, "availability_zone": k.zone,
		}})
	case http.MethodDelete:
		delete(s.keypairs, name)
		w.WriteHeader(http.StatusAccepted)
	default:
		badMethod(w)
	}
}

func (s *Server) createKeypair(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Keypair *struct {
			Name             string `json:"name"`
			PublicKey        string `json:"public_key"`
			AvailabilityZone string `json:"availability_zone"`
		} `json:"keypair"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Keypair == nil {
		badRequest(w, "Malformed request body")
		return
	}
	kp := body.Keypair
	if !keypairNameRE.MatchString(kp.Name) {
		badRequest(w, "Keypair data is invalid: Keypair name contains unsafe characters")
		return
	}
	zone := s.opt.Zones[0]
	if kp.AvailabilityZone != "" {
		if !slices.Contains(s.opt.Zones, kp.AvailabilityZone) {
			badRequest(w, "The requested availability zone is not available")
			return
		}
		zone = kp.AvailabilityZone
	}
	if s.keypairs[kp.Name] != nil {
		conflict(w, "Key pair '%s' already exists.", kp.Name)
		return
	}
	resp := map[string]any{"name": kp.Name, "user_id": DemoUserID}
	pub := kp.PublicKey
	if pub == "" {
		var priv string
		var err error
		if pub, priv, err = generateKey(); err != nil {
			fault(w, http.StatusInternalServerError, "cloudServersFault", "key generation failed")
			return
		}
		resp["private_key"] = priv
	}
	fp := fingerprint(pub)
	if fp == "" {
		badRequest(w, "Keypair data is invalid: failed to generate fingerprint")
		return
	}
	resp["public_key"], resp["fingerprint"] = pub, fp
	s.keypairs[kp.Name] = &keypair{name: kp.Name, publicKey: pub, fingerprint: fp, zone: zone, created: s.opt.Now().UTC()}
	writeJSON(w, http.StatusOK, map[string]any{"keypair": resp})
}
