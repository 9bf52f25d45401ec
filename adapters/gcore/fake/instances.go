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
)

type address struct {
	network, addr, typ string
}

type volume struct {
	id                  string
	deleteOnTermination bool
}

type instance struct {
	seq       int
	id, name  string
	status    string // Nova status: BUILD, ACTIVE, SHUTOFF, REBOOT, ...
	taskState string // Nova task_state while a task runs
	taskID    string // the task holding the instance (the lock)
	flavor    string
	image     string
	keyName   string
	created   time.Time
	updated   time.Time
	addresses []address
	groups    []string // names
	metadata  map[string]string
	volumes   []volume
	usesPort  bool
	visible   bool // false while the create task is NEW
}

func (s *Server) sorted() []*instance {
	var out []*instance
	for _, in := range s.instances {
		if in.visible {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// vmState is the lowercase vm_state Gcore reports beside status.
func vmState(status string) string {
	switch status {
	case "BUILD":
		return "building"
	case "ACTIVE", "REBOOT", "HARD_REBOOT", "PASSWORD":
		return "active"
	case "SHUTOFF":
		return "stopped"
	case "RESIZE":
		return "resized"
	case "SUSPENDED":
		return "suspended"
	case "ERROR":
		return "error"
	}
	return strings.ToLower(status)
}

func (s *Server) instanceJSON(in *instance) map[string]any {
	f, _ := s.flavor(in.flavor)
	addrs := map[string][]map[string]any{}
	for _, a := range in.addresses {
		addrs[a.network] = append(addrs[a.network], map[string]any{"addr": a.addr, "type": a.typ})
	}
	groups := []map[string]any{}
	for _, g := range in.groups {
		groups = append(groups, map[string]any{"name": g})
	}
	meta := map[string]any{"image_id": in.image}
	for k, v := range in.metadata {
		meta[k] = v
	}
	vols := []map[string]any{}
	for _, v := range in.volumes {
		vols = append(vols, map[string]any{"id": v.id, "delete_on_termination": v.deleteOnTermination})
	}
	var taskState, taskID any
	if in.taskState != "" {
		taskState = in.taskState
	}
	if in.taskID != "" {
		taskID = in.taskID
	}
	out := map[string]any{
		"status": in.status, "vm_state": vmState(in.status),
		"task_state": taskState, "task_id": taskID,
		"flavor":    map[string]any{"flavor_id": f.id, "flavor_name": f.name, "vcpus": f.vcpus, "ram": f.ram},
		"addresses": addrs, "security_groups": groups, "metadata": meta, "volumes": vols,
		"keypair_name": nil, "region": RegionName, "region_id": s.opt.RegionID, "project_id": s.opt.ProjectID,
	}
	if in.keyName != "" {
		out["keypair_name"] = in.keyName
	}
	if s.opt.OldSpellings {
		out["instance_id"], out["instance_name"], out["instance_created"] = in.id, in.name, wireTime(in.created)
	} else {
		out["id"], out["name"], out["created_at"] = in.id, in.name, wireTime(in.created)
	}
	return out
}

func (s *Server) instanceOr404(w http.ResponseWriter, id string) (*instance, bool) {
	in, ok := s.instances[id]
	if !ok || !in.visible {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Instance %s not found", id))
		return nil, false
	}
	return in, true
}

// unlocked answers 409 ConflictError when a task holds the instance.
func unlocked(w http.ResponseWriter, in *instance) bool {
	if in.taskID != "" {
		writeError(w, http.StatusConflict, "ConflictError",
			fmt.Sprintf("Instance %s is locked by task %s; try again when it has finished", in.id, in.taskID))
		return false
	}
	return true
}

// listQuery are the List Instances parameters of the vendor's method list;
// the fake implements those gcore.md names and refuses unknown ones.
var listQuery = []string{"limit", "offset", "name", "status", "flavor_id", "changes-since",
	"available_floating", "changes-before", "exclude_secgroup", "flavor_prefix", "include_ai",
	"include_baremetal", "include_k8s", "ip", "metadata_kv", "metadata_v", "only_isolated",
	"only_with_fixed_external_ip", "order_by", "profile_name", "protection_status",
	"type_ddos_profile", "uuid", "with_ddos", "with_interfaces_name"}

// parseISO reads an ISO 8601 time; without a zone it is UTC.
func parseISO(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(listQuery, k) {
			writeValidation(w, "unknown query parameter "+k, map[string]any{k: "unknown"})
			return
		}
	}
	limit, offset := 1000, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeValidation(w, "limit must be an integer from 1 to 1000", map[string]any{"limit": v})
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeValidation(w, "offset must be a non-negative integer", map[string]any{"offset": v})
			return
		}
		offset = n
	}
	var nameRE *regexp.Regexp
	if v := q.Get("name"); v != "" {
		// A MySQL regular expression, case-insensitive; a plain string
		// matches as a substring.
		re, err := regexp.Compile("(?i)" + v)
		if err != nil {
			writeValidation(w, "name is not a valid regular expression", map[string]any{"name": v})
			return
		}
		nameRE = re
	}
	var since time.Time
	if v := q.Get("changes-since"); v != "" {
		t, ok := parseISO(v)
		if !ok {
			writeValidation(w, "changes-since must be ISO 8601", map[string]any{"changes-since": v})
			return
		}
		since = t
	}
	var kv map[string]string
	if v := q.Get("metadata_kv"); v != "" {
		if err := json.Unmarshal([]byte(v), &kv); err != nil {
			writeValidation(w, "metadata_kv must be a JSON object of strings", map[string]any{"metadata_kv": v})
			return
		}
	}
	var matched []map[string]any
	for _, in := range s.sorted() {
		switch {
		case nameRE != nil && !nameRE.MatchString(in.name):
			continue
		case !hasMetadata(in.metadata, kv):
			continue
		case q.Get("status") != "" && !strings.EqualFold(q.Get("status"), in.status):
			continue
		case q.Get("flavor_id") != "" && q.Get("flavor_id") != in.flavor:
			continue
		case !since.IsZero() && in.updated.Before(since):
			continue
		}
		matched = append(matched, s.instanceJSON(in))
	}
	total := len(matched)
	page := []map[string]any{}
	if offset < total {
		page = matched[offset:min(offset+limit, total)]
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": total, "results": page})
}

// hasMetadata reports whether md holds every pair of kv (metadata_kv).
func hasMetadata(md, kv map[string]string) bool {
	for k, v := range kv {
		if got, ok := md[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func (s *Server) getInstance(w http.ResponseWriter, id string) {
	if in, ok := s.instanceOr404(w, id); ok {
		writeJSON(w, http.StatusOK, s.instanceJSON(in))
	}
}

// --- create -----------------------------------------------------------------

type createInterface struct {
	Type      string `json:"type"`
	NetworkID string `json:"network_id,omitempty"`
	SubnetID  string `json:"subnet_id,omitempty"`
	PortID    string `json:"port_id,omitempty"`
}

type createVolume struct {
	Source              string `json:"source"`
	ImageID             string `json:"image_id"`
	Size                int    `json:"size"`
	BootIndex           *int   `json:"boot_index"`
	TypeName            string `json:"type_name,omitempty"`
	DeleteOnTermination bool   `json:"delete_on_termination"`
}

type createBody struct {
	Name           string            `json:"name"`
	Flavor         string            `json:"flavor"`
	Interfaces     []createInterface `json:"interfaces"`
	Volumes        []createVolume    `json:"volumes"`
	SSHKeyName     string            `json:"ssh_key_name,omitempty"`
	SecurityGroups []struct {
		ID string `json:"id"`
	} `json:"security_groups,omitempty"`
	UserData string            `json:"user_data,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

var volumeTypes = []string{"standard", "ssd_hiiops", "cold", "ultra", "ssd_lowlatency"}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var b createBody
	if !decode(w, r, &b) {
		return
	}
	bad := func(field, msg string) { writeValidation(w, msg, map[string]any{field: msg}) }
	if strings.TrimSpace(b.Name) == "" {
		bad("name", "name is required")
		return
	}
	f, ok := s.flavor(b.Flavor)
	if !ok || f.disabled {
		bad("flavor", fmt.Sprintf("flavor %q does not exist or is disabled", b.Flavor))
		return
	}
	if len(b.Interfaces) == 0 {
		bad("interfaces", "at least one interface is required")
		return
	}
	var addrs []address
	usesPort := false
	for i, itf := range b.Interfaces {
		field := fmt.Sprintf("interfaces.%d", i)
		switch itf.Type {
		case "external":
			addrs = append(addrs, address{ExternalNetworkName, fmt.Sprintf("203.0.113.%d", s.nextHostIP), "fixed"})
		case "any_subnet":
			if itf.NetworkID != NetworkPrivate || itf.SubnetID != "" || itf.PortID != "" {
				bad(field, "any_subnet needs an existing network_id and nothing else")
				return
			}
			addrs = append(addrs, address{NetworkName, fmt.Sprintf("10.20.0.%d", s.nextHostIP), "fixed"})
		case "subnet":
			if itf.NetworkID != NetworkPrivate || itf.SubnetID != SubnetPrivate || itf.PortID != "" {
				bad(field, "subnet needs an existing network_id and a subnet_id of that network")
				return
			}
			addrs = append(addrs, address{NetworkName, fmt.Sprintf("10.20.0.%d", s.nextHostIP), "fixed"})
		case "reserved_fixed_ip":
			if itf.PortID != PortReserved || itf.NetworkID != "" || itf.SubnetID != "" {
				bad(field, "reserved_fixed_ip needs an existing port_id and nothing else")
				return
			}
			if s.portInUse || usesPort {
				bad(field, "the reserved fixed IP port is already in use")
				return
			}
			usesPort = true
			addrs = append(addrs, address{NetworkName, PortReservedIP, "fixed"})
		default:
			bad(field, fmt.Sprintf("unknown interface type %q", itf.Type))
			return
		}
	}
	var boot *createVolume
	for i := range b.Volumes {
		v := &b.Volumes[i]
		if v.BootIndex == nil || *v.BootIndex != 0 {
			continue
		}
		if boot != nil {
			bad("volumes", "exactly one volume must have boot_index 0")
			return
		}
		boot = v
	}
	if boot == nil || len(b.Volumes) != 1 {
		bad("volumes", "exactly one volume, with boot_index 0, is required")
		return
	}
	img, ok := s.images[boot.ImageID]
	switch {
	case boot.Source != "image":
		bad("volumes.0.source", "the boot volume's source must be image")
		return
	case !ok:
		bad("volumes.0.image_id", fmt.Sprintf("image %q does not exist", boot.ImageID))
		return
	case boot.Size <= 0:
		bad("volumes.0.size", "size (GiB) is required")
		return
	case boot.Size < img.minDiskGB:
		bad("volumes.0.size", fmt.Sprintf("image %s needs at least %d GiB", img.name, img.minDiskGB))
		return
	case boot.TypeName != "" && !slices.Contains(volumeTypes, boot.TypeName):
		bad("volumes.0.type_name", fmt.Sprintf("unknown volume type %q", boot.TypeName))
		return
	}
	if b.SSHKeyName != "" && b.SSHKeyName != KeyPair {
		bad("ssh_key_name", fmt.Sprintf("key pair %q does not exist", b.SSHKeyName))
		return
	}
	var groups []string
	for i, g := range b.SecurityGroups {
		name, ok := s.groups[g.ID]
		if !ok {
			bad(fmt.Sprintf("security_groups.%d.id", i), fmt.Sprintf("security group %q does not exist", g.ID))
			return
		}
		groups = append(groups, name)
	}
	if len(groups) == 0 {
		groups = []string{SecurityGroupDefault}
	}
	if b.UserData != "" {
		if _, err := base64.StdEncoding.DecodeString(b.UserData); err != nil {
			bad("user_data", "user_data must be base64")
			return
		}
	}
	if s.opt.MaxInstances > 0 {
		n := 0
		for range s.instances {
			n++
		}
		if n >= s.opt.MaxInstances {
			writeError(w, http.StatusForbidden, "ForbiddenError",
				fmt.Sprintf("Quota exceeded: instance_count_limit is %d, %d in use", s.opt.MaxInstances, n))
			return
		}
	}
	s.nextHostIP++
	s.order++
	in := &instance{seq: s.order, id: newID(), name: b.Name, status: "BUILD", taskState: "scheduling",
		flavor: f.id, image: img.id, keyName: b.SSHKeyName, created: s.now(), updated: s.now(),
		addresses: addrs, groups: groups, metadata: b.Metadata,
		volumes:  []volume{{id: newID(), deleteOnTermination: boot.DeleteOnTermination}},
		usesPort: usesPort}
	if usesPort {
		s.portInUse = true
	}
	s.instances[in.id] = in
	var t *task
	t = s.newTask("create_vm", in.id, s.opt.BuildTime,
		func() { in.visible, in.taskID, in.taskState, in.updated = true, t.id, "spawning", t.runAt },
		func() string {
			if in.image == ImageBroken {
				s.remove(in)
				return ImageBrokenError
			}
			in.status, in.taskState, in.taskID, in.updated = "ACTIVE", "", "", t.finishAt
			in.visible = true
			t.resources = map[string][]string{"instances": {in.id}, "volumes": {in.volumes[0].id}}
			return ""
		})
	tasksAnswer(w, t)
}

func (s *Server) remove(in *instance) {
	if in.usesPort {
		s.portInUse = false
	}
	delete(s.instances, in.id)
}

// --- writes on an instance --------------------------------------------------

func (s *Server) renameInstance(w http.ResponseWriter, r *http.Request, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok || !unlocked(w, in) {
		return
	}
	var b struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &b) {
		return
	}
	if strings.TrimSpace(b.Name) == "" {
		writeValidation(w, "name is required", map[string]any{"name": "required"})
		return
	}
	in.name, in.updated = b.Name, s.now()
	writeJSON(w, http.StatusOK, s.instanceJSON(in))
}

func (s *Server) deleteInstance(w http.ResponseWriter, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok || !unlocked(w, in) {
		return
	}
	t := s.newTask("delete_vm", in.id, s.opt.TaskTime, nil, func() string {
		s.remove(in)
		return ""
	})
	in.taskID, in.taskState, in.updated = t.id, "deleting", s.now()
	tasksAnswer(w, t)
}

// transition locks the instance with a task that sets status (and
// task_state) now and final when it finishes.
func (s *Server) transition(w http.ResponseWriter, in *instance, typ, status, taskState, final string, apply func()) {
	var t *task
	t = s.newTask(typ, in.id, s.opt.TaskTime, nil, func() string {
		if apply != nil {
			apply()
		}
		in.status, in.taskState, in.taskID, in.updated = final, "", "", t.finishAt
		return ""
	})
	in.status, in.taskState, in.taskID, in.updated = status, taskState, t.id, s.now()
	tasksAnswer(w, t)
}

func (s *Server) action(w http.ResponseWriter, r *http.Request, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	var b struct {
		Action string `json:"action"`
	}
	if !decode(w, r, &b) {
		return
	}
	need := map[string][]string{
		"start": {"SHUTOFF"}, "stop": {"ACTIVE"}, "reboot": {"ACTIVE"}, "reboot_hard": {"ACTIVE", "SHUTOFF", "ERROR"},
		"suspend": {"ACTIVE", "SHUTOFF"}, "resume": {"SUSPENDED"},
	}
	allowed, known := need[b.Action]
	if !known {
		writeValidation(w, fmt.Sprintf("unknown action %q", b.Action), map[string]any{"action": b.Action})
		return
	}
	if !unlocked(w, in) {
		return
	}
	if !slices.Contains(allowed, in.status) {
		writeError(w, http.StatusConflict, "ConflictError",
			fmt.Sprintf("Cannot %s instance %s in status %s (needs %s)", b.Action, in.id, in.status, strings.Join(allowed, " or ")))
		return
	}
	switch b.Action {
	case "start":
		s.transition(w, in, "start_vm", in.status, "powering-on", "ACTIVE", nil)
	case "stop":
		s.transition(w, in, "stop_vm", in.status, "powering-off", "SHUTOFF", nil)
	case "reboot":
		s.transition(w, in, "reboot_vm", "REBOOT", "rebooting", "ACTIVE", nil)
	case "reboot_hard":
		s.transition(w, in, "reboot_hard_vm", "HARD_REBOOT", "rebooting_hard", "ACTIVE", nil)
	case "suspend":
		s.transition(w, in, "suspend_vm", in.status, "suspending", "SUSPENDED", nil)
	case "resume":
		s.transition(w, in, "resume_vm", in.status, "resuming", "ACTIVE", nil)
	}
}

func (s *Server) changeFlavor(w http.ResponseWriter, r *http.Request, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	var b struct {
		FlavorID string `json:"flavor_id"`
	}
	if !decode(w, r, &b) {
		return
	}
	f, ok := s.flavor(b.FlavorID)
	if !ok || f.disabled {
		writeValidation(w, fmt.Sprintf("flavor %q does not exist or is disabled", b.FlavorID), map[string]any{"flavor_id": b.FlavorID})
		return
	}
	if !unlocked(w, in) {
		return
	}
	if in.status != "ACTIVE" && in.status != "SHUTOFF" {
		writeError(w, http.StatusConflict, "ConflictError", fmt.Sprintf("Cannot change the flavor of instance %s in status %s", in.id, in.status))
		return
	}
	if f.id == in.flavor {
		writeValidation(w, "the instance already has flavor "+f.id, map[string]any{"flavor_id": b.FlavorID})
		return
	}
	final := in.status
	s.transition(w, in, "resize_vm", "RESIZE", "resize_prep", final, func() { in.flavor = f.id })
}

func (s *Server) securityGroup(w http.ResponseWriter, r *http.Request, id string, add bool) {
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	var b struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &b) {
		return
	}
	known := false
	for _, name := range s.groups {
		known = known || name == b.Name
	}
	if !known {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("Security group %q not found", b.Name))
		return
	}
	if !unlocked(w, in) {
		return
	}
	has := slices.Contains(in.groups, b.Name)
	switch {
	case add && has:
		writeValidation(w, fmt.Sprintf("instance %s already has security group %s", in.id, b.Name), map[string]any{"name": b.Name})
		return
	case !add && !has:
		writeValidation(w, fmt.Sprintf("instance %s does not have security group %s", in.id, b.Name), map[string]any{"name": b.Name})
		return
	case add:
		in.groups = append(in.groups, b.Name)
	default:
		in.groups = slices.DeleteFunc(in.groups, func(g string) bool { return g == b.Name })
	}
	in.updated = s.now()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) instanceSecurityGroups(w http.ResponseWriter, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	var out []map[string]any
	for _, name := range in.groups {
		for gid, gname := range s.groups {
			if gname == name {
				out = append(out, map[string]any{"id": gid, "name": name})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "results": out})
}

// --- seed -------------------------------------------------------------------

func (s *Server) seedInstances() {
	created := s.now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	for _, sd := range []struct {
		id, name, status, flavor, image string
	}{
		{InstanceWeb, "web-1", "ACTIVE", FlavorSmall, ImageUbuntu},
		{InstanceDB, "db-1", "SHUTOFF", FlavorMedium, ImageDebian},
	} {
		s.order++
		s.nextHostIP++
		s.instances[sd.id] = &instance{seq: s.order, id: sd.id, name: sd.name, status: sd.status,
			flavor: sd.flavor, image: sd.image, keyName: KeyPair, created: created, updated: created,
			addresses: []address{{NetworkName, fmt.Sprintf("10.20.0.%d", s.nextHostIP), "fixed"}},
			groups:    []string{SecurityGroupDefault}, metadata: map[string]string{"role": sd.name[:len(sd.name)-2]},
			volumes: []volume{{id: newID(), deleteOnTermination: true}}, visible: true}
	}
}
