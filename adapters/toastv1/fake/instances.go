package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

type instance struct {
	id, name, flavor, image, zone, keyName string
	status                                 string
	// next is the status the instance reaches at time at ("" = none);
	// gone means it disappears then (delete).
	next     string
	at       time.Time
	gone     bool
	fixedIP  string
	mac      string
	rootGB   int
	rootType string
	groups   []string
	volumes  []string // attached volume IDs, in attach order
	metadata map[string]string
	created  time.Time
	updated  time.Time
	launched time.Time
}

type volume struct {
	volumeSeed
	attachedTo string
	device     string
}

// advance completes every transition that is due. Callers hold s.mu.
func (s *Server) advance() {
	now := s.now()
	for id, in := range s.instances {
		if in.next == "" && !in.gone {
			continue
		}
		if now.Before(in.at) {
			continue
		}
		if in.gone {
			s.release(in)
			delete(s.instances, id)
			continue
		}
		if in.next == "ACTIVE" && in.status != "RESIZING" {
			in.launched = in.at
		}
		in.status, in.next, in.updated = in.next, "", in.at
	}
}

// release frees what a deleted instance held.
func (s *Server) release(in *instance) {
	for _, vid := range in.volumes {
		if v, ok := s.volumes[vid]; ok {
			v.attachedTo, v.device = "", ""
		}
	}
	for ip, owner := range s.floating {
		if owner == in.id {
			s.floating[ip] = ""
		}
	}
}

// transition moves in to status now and to next after delay.
func (s *Server) transition(in *instance, status, next string, delay time.Duration) {
	now := s.now()
	in.status, in.next, in.at, in.updated = status, next, now.Add(delay), now
}

func (s *Server) instanceOr404(w http.ResponseWriter, id string) (*instance, bool) {
	in, ok := s.instances[id]
	if !ok {
		writeFail(w, http.StatusOK, 10404, fmt.Sprintf("Instance %s could not be found.", id))
		return nil, false
	}
	return in, true
}

func conflict(w http.ResponseWriter, action string, in *instance) {
	writeFail(w, http.StatusOK, 10409, fmt.Sprintf(
		"Cannot '%s' instance %s while it is in status %s", action, in.id, in.status))
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request, detail bool) {
	ids := fakekit.SortedKeys(s.instances)
	if id := r.URL.Query().Get("id"); id != "" {
		if _, ok := s.instanceOr404(w, id); !ok {
			return
		}
		ids = []string{id}
	}
	rows := []any{}
	for _, id := range ids {
		in := s.instances[id]
		if !detail {
			rows = append(rows, map[string]any{"id": in.id, "name": in.name, "status": in.status})
			continue
		}
		rows = append(rows, s.detailRow(in))
	}
	writeOK(w, map[string]any{"instances": rows})
}

// detailRow renders one instance as the guide's instances-detail example,
// with numbers as strings.
func (s *Server) detailRow(in *instance) map[string]any {
	addr := map[string]any{"macAddress": in.mac, "ipAddress": in.fixedIP, "version": "4"}
	for _, ip := range fakekit.SortedKeys(s.floating) {
		if s.floating[ip] == in.id {
			addr["floatingIpAddress"] = ip
			break
		}
	}
	f, _ := s.flavor(in.flavor)
	atts := []any{}
	for _, vid := range in.volumes {
		v := s.volumes[vid]
		atts = append(atts, map[string]any{"id": v.id, "name": v.name, "size": itoa(v.sizeGB), "type": v.typ})
	}
	groups := []any{}
	for _, g := range in.groups {
		groups = append(groups, map[string]any{"name": g})
	}
	meta := map[string]any{}
	for k, v := range in.metadata {
		meta[k] = v
	}
	launched := ""
	if !in.launched.IsZero() {
		launched = in.launched.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return map[string]any{
		"addresses":        []any{addr},
		"availabilityZone": in.zone,
		"flavor":           map[string]any{"id": f.id, "name": f.name, "cpu": itoa(f.vcpus), "ram": itoa(f.ramMB)},
		"status":           in.status,
		"id":               in.id,
		"name":             in.name,
		"image":            in.image,
		"metadata":         meta,
		"keyName":          in.keyName,
		"volumes": map[string]any{
			"root":        map[string]any{"size": itoa(in.rootGB), "type": in.rootType},
			"attachments": atts,
		},
		"securityGroups": groups,
		"launchedAt":     launched,
		"createdAt":      in.created.UTC().Format("2006-01-02T15:04:05Z"),
		"updatedAt":      in.updated.UTC().Format("2006-01-02T15:04:05.000000"),
	}
}

// validName applies the guide's rule: letters, digits, '-' and '.', at most
// 20 characters (12 for Windows images).
func validName(name string, windows bool) string {
	limit := 20
	if windows {
		limit = 12
	}
	if name == "" {
		return "name is required"
	}
	if len(name) > limit {
		return fmt.Sprintf("name must be at most %d characters", limit)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return "name may contain only alphabets, numbers, '-' and '.'"
		}
	}
	return ""
}

// number reads a JSON number or numeric string ("count": "1").
func number(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Instance struct {
			Name     string `json:"name"`
			Image    string `json:"image"`
			Flavor   string `json:"flavor"`
			Networks []struct {
				ID       string `json:"id"`
				SubnetID string `json:"subnetId"`
			} `json:"networks"`
			AvailabilityZone string          `json:"availabilityZone"`
			KeyName          string          `json:"keyName"`
			Count            json.RawMessage `json:"count"`
			Volume           *struct {
				Size json.RawMessage `json:"size"`
				Type *string         `json:"type"`
			} `json:"volume"`
			SecurityGroups []struct {
				Name string `json:"name"`
			} `json:"securityGroups"`
			Metadata map[string]string `json:"metadata"`
		} `json:"instance"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	q := req.Instance
	im, ok := s.images[q.Image]
	if !ok {
		writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Invalid imageRef provided: image %s not found.", q.Image))
		return
	}
	if why := validName(q.Name, im.windows); why != "" {
		writeFail(w, http.StatusOK, -4, "Invalid parameters : "+why)
		return
	}
	f, ok := s.flavor(q.Flavor)
	if !ok || f.disabled {
		writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Flavor %s could not be found or is disabled.", q.Flavor))
		return
	}
	if len(q.Networks) == 0 {
		writeFail(w, http.StatusOK, -4, "Invalid parameters : networks is required")
		return
	}
	for _, n := range q.Networks {
		if (n.ID == "" && n.SubnetID == "") || (n.ID != "" && n.ID != NetworkID) || (n.SubnetID != "" && n.SubnetID != SubnetID) {
			writeFail(w, http.StatusOK, 20004, "No accessible network")
			return
		}
	}
	if q.AvailabilityZone != Zone && q.AvailabilityZone != Zone2 {
		writeFail(w, http.StatusOK, 10400, fmt.Sprintf("The requested availability zone %q is not available", q.AvailabilityZone))
		return
	}
	// The guide marks keyName required; the fake accepts its absence (an
	// instance reachable only through the console) because the shared
	// conformance suite's fixtures carry no key pair.
	if _, ok := s.keyPairs[q.KeyName]; q.KeyName != "" && !ok {
		writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Invalid key_name provided: %q", q.KeyName))
		return
	}
	count := 1
	if len(q.Count) > 0 && string(q.Count) != "null" {
		n, ok := number(q.Count)
		if !ok || n < 1 || n > 10 {
			writeFail(w, http.StatusOK, -4, "Invalid parameters : count must be between 1 and 10")
			return
		}
		count = n
	}
	rootGB, rootType := f.volumeSize, "General HDD"
	if f.volumeSize == 0 { // c2, m2, r2, t2: the root volume is required
		if q.Volume == nil {
			writeFail(w, http.StatusOK, -4, "Invalid parameters : volume is required for this flavor")
			return
		}
		size, ok := number(q.Volume.Size)
		if !ok || size%10 != 0 || size < im.minDisk || size > 1000 {
			writeFail(w, http.StatusOK, -4, fmt.Sprintf(
				"Invalid parameters : volume size must be a multiple of 10 between %d and 1000", im.minDisk))
			return
		}
		rootGB = size
		if t := q.Volume.Type; t != nil && *t != "" {
			if *t != "General HDD" && *t != "General SSD" {
				writeFail(w, http.StatusOK, -4, "Invalid parameters : volume type must be General HDD or General SSD")
				return
			}
			rootType = *t
		}
	}
	if len(q.SecurityGroups) == 0 {
		writeFail(w, http.StatusOK, -4, "Invalid parameters : securityGroups is required")
		return
	}
	var groups []string
	for _, g := range q.SecurityGroups {
		if !s.groups[g.Name] {
			writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Security group %s not found.", g.Name))
			return
		}
		if !slices.Contains(groups, g.Name) {
			groups = append(groups, g.Name)
		}
	}
	if s.opt.MaxInstances > 0 && len(s.instances)+count > s.opt.MaxInstances {
		writeFail(w, http.StatusOK, 10413, fmt.Sprintf(
			"Quota exceeded for instances: Requested %d, but already used %d of %d instances",
			count, len(s.instances), s.opt.MaxInstances))
		return
	}
	var first *instance
	for range count {
		in := s.newInstance(q.Name, q.Flavor, q.Image, q.AvailabilityZone, q.KeyName, rootGB, rootType, groups)
		for k, v := range q.Metadata {
			in.metadata[k] = v
		}
		s.transition(in, "BUILD", "ACTIVE", s.opt.BuildDelay)
		if first == nil {
			first = in
		}
	}
	writeOK(w, map[string]any{"instance": map[string]any{"id": first.id, "name": first.name, "status": first.status}})
}

func (s *Server) newInstance(name, flavor, image, zone, key string, rootGB int, rootType string, groups []string) *instance {
	now := s.now()
	host := s.nextHost
	s.nextHost++
	in := &instance{
		id: fakekit.NewUUID(), name: name, flavor: flavor, image: image, zone: zone, keyName: key,
		fixedIP:  fmt.Sprintf("192.168.0.%d", host%250+3),
		mac:      fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", host>>16&0xff, host>>8&0xff, host&0xff),
		rootGB:   rootGB,
		rootType: rootType,
		groups:   slices.Clone(groups),
		metadata: map[string]string{},
		created:  now,
		updated:  now,
	}
	s.instances[in.id] = in
	return in
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		writeFail(w, http.StatusOK, -4, "Invalid parameters : id is required")
		return
	}
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	if in.gone {
		conflict(w, "delete", in)
		return
	}
	s.transition(in, "DELETING", "", s.opt.DeleteDelay)
	in.gone = true
	writeOK(w, nil)
}

func (s *Server) action(w http.ResponseWriter, r *http.Request, id string) {
	var req struct {
		Action     string          `json:"action"`
		Parameters json.RawMessage `json:"parameters"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	var p map[string]string
	if len(req.Parameters) > 0 && string(req.Parameters) != "null" {
		if err := json.Unmarshal(req.Parameters, &p); err != nil {
			writeFail(w, http.StatusOK, -4, "Invalid parameters : parameters must be an object of strings")
			return
		}
	}
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	// An instance in transition accepts nothing but delete.
	if in.next != "" || in.gone {
		conflict(w, req.Action, in)
		return
	}
	switch req.Action {
	case "start":
		if in.status != "STOP" {
			conflict(w, req.Action, in)
			return
		}
		s.transition(in, "POWERING_ON", "ACTIVE", s.opt.PowerDelay)
	case "stop":
		if in.status != "ACTIVE" && in.status != "ERROR" {
			conflict(w, req.Action, in)
			return
		}
		s.transition(in, "POWERING_OFF", "STOP", s.opt.PowerDelay)
	case "reboot":
		typ := p["type"]
		if typ != "SOFT" && typ != "HARD" {
			writeFail(w, http.StatusOK, -4, "Invalid parameters : type must be HARD or SOFT")
			return
		}
		if in.status != "ACTIVE" && !(typ == "HARD" && (in.status == "STOP" || in.status == "ERROR")) {
			conflict(w, req.Action, in)
			return
		}
		s.transition(in, "REBOOTING", "ACTIVE", s.opt.RebootDelay)
	case "resize":
		f, ok := s.flavor(p["flavor"])
		switch {
		case !ok || f.disabled:
			writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Flavor %s could not be found or is disabled.", p["flavor"]))
			return
		case f.id == in.flavor:
			writeFail(w, http.StatusOK, 10400, "Invalid parameters : the instance already has this flavor")
			return
		case in.status != "ACTIVE" && in.status != "STOP":
			conflict(w, req.Action, in)
			return
		}
		in.flavor = f.id
		s.transition(in, "RESIZING", in.status, s.opt.ResizeDelay)
	case "uploadImage":
		name := p["name"]
		switch {
		case name == "":
			writeFail(w, http.StatusOK, -4, "Invalid parameters : name is required")
			return
		case in.status != "STOP" && in.status != "ACTIVE":
			// The guide: "Instances that are stopped can be the subject
			// for image creation" -- read as "stopped ones too".
			conflict(w, req.Action, in)
			return
		}
		img := imageSeed{id: fakekit.NewUUID(), name: name, minDisk: in.rootGB, windows: s.images[in.image].windows}
		s.images[img.id] = img
		writeOK(w, map[string]any{"createdImage": map[string]any{"id": img.id, "name": img.name}})
		return
	case "addFloatingIp":
		addr, fixed := p["address"], p["ipAddress"]
		owner, exists := s.floating[addr]
		switch {
		case addr == "" || fixed == "":
			writeFail(w, http.StatusOK, -4, "Invalid parameters : address and ipAddress are required")
			return
		case !exists:
			writeFail(w, http.StatusOK, 22404, fmt.Sprintf("Floating IP %s could not be found.", addr))
			return
		case owner != "":
			writeFail(w, http.StatusOK, 22409, fmt.Sprintf("Floating IP %s is already associated.", addr))
			return
		case fixed != in.fixedIP:
			writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Instance %s has no fixed IP %s.", in.id, fixed))
			return
		case s.floatingOf(in.id) != "":
			writeFail(w, http.StatusOK, 10409, fmt.Sprintf("Instance %s already has a floating IP.", in.id))
			return
		}
		s.floating[addr] = in.id
		in.updated = s.now()
	case "removeFloatingIp":
		addr := p["address"]
		if addr == "" {
			writeFail(w, http.StatusOK, -4, "Invalid parameters : address is required")
			return
		}
		if owner, ok := s.floating[addr]; !ok || owner != in.id {
			writeFail(w, http.StatusOK, 22404, fmt.Sprintf("Floating IP %s is not associated with instance %s.", addr, in.id))
			return
		}
		s.floating[addr] = ""
		in.updated = s.now()
	case "addSecurityGroup":
		name := p["name"]
		switch {
		case name == "":
			writeFail(w, http.StatusOK, -4, "Invalid parameters : name is required")
			return
		case !s.groups[name]:
			writeFail(w, http.StatusOK, 24404, fmt.Sprintf("Security group %s not found.", name))
			return
		case slices.Contains(in.groups, name):
			writeFail(w, http.StatusOK, 10400, fmt.Sprintf("Security group %s is already associated with the instance %s", name, in.id))
			return
		}
		in.groups = append(in.groups, name)
		in.updated = s.now()
	case "removeSecurityGroup":
		name := p["name"]
		i := slices.Index(in.groups, name)
		if name == "" || i < 0 {
			writeFail(w, http.StatusOK, 10404, fmt.Sprintf("Security group %s not associated with the instance %s", name, in.id))
			return
		}
		in.groups = slices.Delete(in.groups, i, i+1)
		in.updated = s.now()
	case "":
		writeFail(w, http.StatusOK, -4, "Invalid parameters : action is required")
		return
	default:
		writeFail(w, http.StatusOK, -7, fmt.Sprintf("Not supported : action %q", req.Action))
		return
	}
	writeOK(w, nil)
}

func (s *Server) floatingOf(id string) string {
	for ip, owner := range s.floating {
		if owner == id {
			return ip
		}
	}
	return ""
}

func (s *Server) attach(w http.ResponseWriter, r *http.Request, id string) {
	var req struct {
		Attachment struct {
			VolumeID string `json:"volumeId"`
		} `json:"attachment"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	vid := req.Attachment.VolumeID
	v, ok := s.volumes[vid]
	switch {
	case vid == "":
		writeFail(w, http.StatusOK, -4, "Invalid parameters : volumeId is required")
		return
	case !ok:
		writeFail(w, http.StatusOK, 40404, fmt.Sprintf("Volume %s could not be found.", vid))
		return
	case v.attachedTo != "":
		writeFail(w, http.StatusOK, 40409, fmt.Sprintf("Volume %s is in use (attached to %s).", vid, v.attachedTo))
		return
	case in.gone || in.next != "" || (in.status != "ACTIVE" && in.status != "STOP"):
		conflict(w, "attach_volume", in)
		return
	}
	used := map[string]bool{}
	for _, other := range in.volumes {
		used[s.volumes[other].device] = true
	}
	dev := ""
	for c := 'b'; c <= 'z'; c++ {
		if d := "/dev/vd" + string(c); !used[d] {
			dev = d
			break
		}
	}
	v.attachedTo, v.device = in.id, dev
	in.volumes = append(in.volumes, vid)
	in.updated = s.now()
	writeOK(w, map[string]any{"attachment": map[string]any{"device": dev, "id": vid, "volumeId": vid}})
}

func (s *Server) detach(w http.ResponseWriter, r *http.Request, id string) {
	in, ok := s.instanceOr404(w, id)
	if !ok {
		return
	}
	vid := r.URL.Query().Get("volumeId")
	i := slices.Index(in.volumes, vid)
	switch {
	case vid == "":
		writeFail(w, http.StatusOK, -4, "Invalid parameters : volumeId is required")
		return
	case i < 0:
		writeFail(w, http.StatusOK, 10404, fmt.Sprintf("Volume %s is not attached to instance %s.", vid, in.id))
		return
	case in.gone || in.next != "":
		conflict(w, "detach_volume", in)
		return
	}
	in.volumes = slices.Delete(in.volumes, i, i+1)
	if v := s.volumes[vid]; v != nil {
		v.attachedTo, v.device = "", ""
	}
	in.updated = s.now()
	writeOK(w, nil)
}

// seedDemo adds the demo instances and key pair.
func (s *Server) seedDemo() {
	kp := s.generateKeyPair(DemoKeyPair)
	kp.privateKey = ""
	s.keyPairs[kp.name] = kp

	now := s.now()
	web := s.newInstance("web-1", FlavorID, ImageID, Zone, DemoKeyPair, 20, "General SSD", []string{"default", SecurityGroup})
	delete(s.instances, web.id)
	web.id = DemoInstanceID1
	web.status = "ACTIVE"
	web.metadata = map[string]string{"role": "web", "os_type": "linux"}
	web.created, web.launched, web.updated = now.Add(-72*time.Hour), now.Add(-72*time.Hour), now.Add(-time.Hour)
	s.instances[web.id] = web
	s.floating[FloatingIP2] = web.id
	s.volumes[VolumeID3].attachedTo, s.volumes[VolumeID3].device = web.id, "/dev/vdb"
	web.volumes = []string{VolumeID3}

	batch := s.newInstance("batch-1", ResizeFlavorID, ImageID, Zone2, DemoKeyPair, 50, "General HDD", []string{"default"})
	delete(s.instances, batch.id)
	batch.id = DemoInstanceID2
	batch.status = "STOP"
	batch.metadata = map[string]string{"role": "batch"}
	batch.created, batch.launched, batch.updated = now.Add(-48*time.Hour), now.Add(-47*time.Hour), now.Add(-2*time.Hour)
	s.instances[batch.id] = batch
}
