package fake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/computegw/computegw/internal/fakekit"
)

type nic struct {
	NetworkName string
	IP, MAC     string
	PortID      string
}

type server struct {
	ID, Name                string
	Status, TaskState       string
	PowerState              int
	ImageID, FlavorID, Zone string
	KeyName                 string
	SecurityGroups          []string
	Metadata                map[string]string
	NICs                    []nic
	Floating                string // a floating IP on the first NIC, if any
	Created, Updated        time.Time
	Launched                time.Time
	Terminated              time.Time // deleted servers only
	ReservationID           string
	EphemeralDiskSize       int
	steps                   fakekit.Steps[func(*server)] // pending transitions
}

func (s *Server) newServer(id, name, image, flavorID, zone, key string, groups []string, md map[string]string, created time.Time) *server {
	if md == nil {
		md = map[string]string{}
	}
	sv := &server{
		ID: id, Name: name, Status: "BUILD", TaskState: "spawning", ImageID: image, FlavorID: flavorID,
		Zone: zone, KeyName: key, SecurityGroups: groups, Metadata: md, Created: created, Updated: created,
	}
	s.servers[id] = sv
	return sv
}

func (s *Server) attachNIC(sv *server, n *network, ip, mac string) {
	s.usedIPs[ip] = true
	sv.NICs = append(sv.NICs, nic{NetworkName: n.Name, IP: ip, MAC: mac})
}

func (s *Server) addRootVolume(sv *server, id string, deleteWith bool) {
	s.volumes[id] = &volume{ID: id, AttachedTo: sv.ID, Device: "/dev/vda", Root: true, DeleteWith: deleteWith}
}

func (s *Server) flavor(id string) *flavor {
	for _, f := range s.flavors {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// advance applies every pending step whose time has come. It may delete sv
// from s.servers (a completed delete). Callers hold s.mu.
func (s *Server) advance(sv *server) {
	for st := range sv.steps.Due(s.opt.Now()) {
		sv.Updated = st.At
		st.Do(sv)
	}
}

// schedule queues transitions, each delay after the previous one.
func (s *Server) schedule(sv *server, delay time.Duration, fns ...func(*server)) {
	now := s.opt.Now()
	for _, fn := range fns {
		sv.steps.Then(now, delay, fn)
	}
}

// lookup returns the live server with the given ID, or nil.
func (s *Server) lookup(id string) *server {
	sv := s.servers[id]
	if sv == nil {
		return nil
	}
	s.advance(sv)
	return s.servers[id]
}

// pathServer is the server named by the request's {id}, advanced to now;
// nil, with Nova's 404 fault written, when there is none. Callers hold s.mu.
func (s *Server) pathServer(w http.ResponseWriter, r *http.Request) *server {
	sv := s.lookup(r.PathValue("id"))
	if sv == nil {
		notFound(w, "Instance %s could not be found.", r.PathValue("id"))
	}
	return sv
}

// onServer serves a request about the server in the path: h runs under the
// lock with that server, advanced to now; a missing server is 404.
func (s *Server) onServer(w http.ResponseWriter, r *http.Request, h func(sv *server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sv := s.pathServer(w, r); sv != nil {
		h(sv)
	}
}

func (s *Server) removeServer(sv *server) {
	delete(s.servers, sv.ID)
	// Nova keeps deleted servers: a list with changes-since shows them as
	// DELETED with terminated_at, and they still serve as markers.
	gone := *sv
	gone.Status, gone.TaskState, gone.PowerState = "DELETED", "", 0
	gone.NICs, gone.Floating = nil, ""
	gone.steps.Clear()
	gone.Terminated = sv.Updated
	s.deleted[sv.ID] = &gone
	for _, n := range sv.NICs {
		delete(s.usedIPs, n.IP)
		if p := s.ports[n.PortID]; p != nil {
			p.BoundTo = ""
		}
	}
	for id, v := range s.volumes {
		if v.AttachedTo != sv.ID {
			continue
		}
		if v.Root && v.DeleteWith {
			delete(s.volumes, id)
			continue
		}
		v.AttachedTo, v.Device, v.Root = "", "", false
	}
}

func vmState(sv *server) string {
	switch sv.Status {
	case "BUILD":
		return "building"
	case "SHUTOFF":
		return "stopped"
	case "SHELVED_OFFLOADED":
		return "shelved_offloaded"
	case "ERROR":
		return "error"
	case "VERIFY_RESIZE":
		return "resized"
	case "RESIZE":
		if sv.PowerState == 4 {
			return "stopped"
		}
		return "active"
	}
	return "active"
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) link(kind, id string, self bool) []any {
	book := map[string]any{"href": s.URL + "/" + s.opt.TenantID + "/" + kind + "/" + id, "rel": "bookmark"}
	if !self {
		return []any{book}
	}
	return []any{
		map[string]any{"href": s.URL + "/v2/" + s.opt.TenantID + "/" + kind + "/" + id, "rel": "self"},
		book,
	}
}

// render renders a server as the guide's "Get Instance" body shows it.
func (s *Server) render(sv *server, detail bool) map[string]any {
	if !detail {
		return map[string]any{"id": sv.ID, "name": sv.Name, "links": s.link("servers", sv.ID, true)}
	}
	addrs := map[string]any{}
	for i, n := range sv.NICs {
		list, _ := addrs[n.NetworkName].([]any)
		list = append(list, map[string]any{
			"OS-EXT-IPS-MAC:mac_addr": n.MAC, "version": 4, "addr": n.IP, "OS-EXT-IPS:type": "fixed",
		})
		if i == 0 && sv.Floating != "" {
			list = append(list, map[string]any{
				"OS-EXT-IPS-MAC:mac_addr": n.MAC, "version": 4, "addr": sv.Floating, "OS-EXT-IPS:type": "floating",
			})
		}
		addrs[n.NetworkName] = list
	}
	groups := []any{}
	for _, g := range sv.SecurityGroups {
		groups = append(groups, map[string]any{"name": g})
	}
	vols := []any{}
	for _, v := range s.attachedVolumes(sv.ID) {
		vols = append(vols, map[string]any{"id": v.ID})
	}
	var launched, terminated any
	if !sv.Launched.IsZero() {
		launched = sv.Launched.UTC().Format("2006-01-02T15:04:05.000000") // the guide's launched_at format
	}
	if !sv.Terminated.IsZero() {
		terminated = sv.Terminated.UTC().Format(time.RFC3339) // the guide's terminated_at format
	}
	md := map[string]any{}
	for k, v := range sv.Metadata {
		md[k] = v
	}
	return map[string]any{
		"status":                               sv.Status,
		"updated":                              sv.Updated.UTC().Format(time.RFC3339),
		"hostId":                               "078d06f898889699f8731d030812e43d2c417edb2cf641dda598c7bd",
		"addresses":                            addrs,
		"links":                                s.link("servers", sv.ID, true),
		"key_name":                             sv.KeyName,
		"image":                                map[string]any{"id": sv.ImageID, "links": s.link("images", sv.ImageID, false)},
		"OS-EXT-STS:task_state":                nullable(sv.TaskState),
		"OS-EXT-STS:vm_state":                  vmState(sv),
		"OS-SRV-USG:launched_at":               launched,
		"flavor":                               map[string]any{"id": sv.FlavorID, "links": s.link("flavors", sv.FlavorID, false)},
		"id":                                   sv.ID,
		"security_groups":                      groups,
		"OS-SRV-USG:terminated_at":             terminated,
		"OS-EXT-AZ:availability_zone":          sv.Zone,
		"user_id":                              "b6ab578c20c94306ac1f41ffc4415b29",
		"name":                                 sv.Name,
		"created":                              sv.Created.UTC().Format(time.RFC3339),
		"tenant_id":                            s.opt.TenantID,
		"OS-DCF:diskConfig":                    "MANUAL",
		"os-extended-volumes:volumes_attached": vols,
		"accessIPv4":                           "",
		"accessIPv6":                           "",
		"progress":                             0,
		"OS-EXT-STS:power_state":               sv.PowerState,
		"config_drive":                         "",
		"metadata":                             md,
		"NHN-EXT-ATTR:ephemeral_disk_size":     sv.EphemeralDiskSize,
	}
}

func (s *Server) attachedVolumes(serverID string) []*volume {
	var out []*volume
	for _, v := range s.volumes {
		if v.AttachedTo == serverID {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *volume) int { return cmp.Compare(a.Device, b.Device) })
	return out
}

// serverOrder is Nova's default sort: created_at descending, then ID descending.
func serverOrder(a, b *server) int {
	if c := b.Created.Compare(a.Created); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

func (s *Server) handleListServers(detail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		maxLimit := s.opt.MaxLimit
		if maxLimit <= 0 {
			maxLimit = 1000
		}
		limit := maxLimit
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				badRequest(w, "limit param must be an integer")
				return
			}
			limit = min(n, maxLimit)
		}
		var nameRE *regexp.Regexp
		if v := q.Get("name"); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				badRequest(w, "Invalid regular expression in name filter")
				return
			}
			nameRE = re
		}
		var since time.Time
		if v := q.Get("changes-since"); v != "" {
			t, err := parseNovaTime(v)
			if err != nil {
				badRequest(w, "Invalid changes-since value")
				return
			}
			since = t
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		all := make([]*server, 0, len(s.servers))
		for id := range s.servers {
			if sv := s.lookup(id); sv != nil {
				all = append(all, sv)
			}
		}
		if !since.IsZero() { // as in Nova, changes-since lists deleted servers too
			for _, sv := range s.deleted {
				all = append(all, sv)
			}
		}
		slices.SortFunc(all, serverOrder)
		var marker *server
		if m := q.Get("marker"); m != "" {
			// Nova finds a marker among deleted servers too, so a page
			// whose last server was deleted meanwhile still continues.
			marker = s.servers[m]
			if marker == nil {
				marker = s.deleted[m]
			}
			if marker == nil {
				badRequest(w, "marker [%s] not found", m)
				return
			}
		}
		var matched []*server
		for _, sv := range all {
			switch {
			case marker != nil && serverOrder(sv, marker) <= 0:
			case nameRE != nil && !nameRE.MatchString(sv.Name):
			case q.Get("status") != "" && !strings.EqualFold(q.Get("status"), sv.Status):
			case q.Get("image") != "" && q.Get("image") != sv.ImageID:
			case q.Get("flavor") != "" && q.Get("flavor") != sv.FlavorID:
			case q.Get("reservation_id") != "" && q.Get("reservation_id") != sv.ReservationID:
			case !since.IsZero() && sv.Updated.Before(since):
			default:
				matched = append(matched, sv)
			}
		}
		page := matched[:min(limit, len(matched))]
		out := make([]any, 0, len(page))
		for _, sv := range page {
			out = append(out, s.render(sv, detail))
		}
		body := map[string]any{"servers": out}
		if len(page) < len(matched) && len(page) > 0 {
			next := q
			next.Set("marker", page[len(page)-1].ID)
			next.Set("limit", strconv.Itoa(limit))
			path := "/servers"
			if detail {
				path += "/detail"
			}
			body["servers_links"] = []any{map[string]any{
				"href": s.URL + "/v2/" + s.opt.TenantID + path + "?" + next.Encode(), "rel": "next",
			}}
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func parseNovaTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

func (s *Server) handleGetServer(w http.ResponseWriter, r *http.Request) {
	s.onServer(w, r, func(sv *server) {
		writeJSON(w, http.StatusOK, map[string]any{"server": s.render(sv, true)})
	})
}

func (s *Server) handleUpdateServer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Server *struct {
			Name *string `json:"name"`
		} `json:"server"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Server == nil {
		badRequest(w, "Invalid input for field/attribute server.")
		return
	}
	s.onServer(w, r, func(sv *server) {
		if n := req.Server.Name; n != nil {
			if *n == "" || utf8.RuneCountInString(*n) > 255 {
				badRequest(w, "Invalid input for field/attribute name.")
				return
			}
			sv.Name = *n
			sv.Updated = s.opt.Now()
		}
		writeJSON(w, http.StatusOK, map[string]any{"server": s.render(sv, true)})
	})
}

func (s *Server) handleDeleteServer(w http.ResponseWriter, r *http.Request) {
	s.onServer(w, r, func(sv *server) {
		if sv.TaskState != "deleting" {
			sv.steps.Clear()
			sv.TaskState = "deleting"
			sv.Updated = s.opt.Now()
			s.schedule(sv, s.opt.DeleteDelay, func(sv *server) { s.removeServer(sv) })
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

type createRequest struct {
	Server *struct {
		Name             string            `json:"name"`
		ImageRef         string            `json:"imageRef"`
		FlavorRef        string            `json:"flavorRef"`
		AvailabilityZone string            `json:"availability_zone"`
		KeyName          string            `json:"key_name"`
		UserData         *string           `json:"user_data"`
		Metadata         map[string]string `json:"metadata"`
		SecurityGroups   []struct {
			Name string `json:"name"`
		} `json:"security_groups"`
		Networks []struct {
			UUID    string `json:"uuid"`
			Subnet  string `json:"subnet"`
			Port    string `json:"port"`
			FixedIP string `json:"fixed_ip"`
		} `json:"networks"`
		BlockDevices []struct {
			SourceType          string          `json:"source_type"`
			UUID                string          `json:"uuid"`
			BootIndex           *int            `json:"boot_index"`
			DestinationType     string          `json:"destination_type"`
			VolumeSize          int             `json:"volume_size"`
			VolumeType          string          `json:"volume_type"`
			DeleteOnTermination json.RawMessage `json:"delete_on_termination"`
			NHNEncryption       *struct {
				SKMAppKey string `json:"skm_appkey"`
				SKMKeyID  string `json:"skm_key_id"`
			} `json:"nhn_encryption"`
		} `json:"block_device_mapping_v2"`
		MinCount            *int `json:"min_count"`
		MaxCount            *int `json:"max_count"`
		ReturnReservationID bool `json:"return_reservation_id"`
	} `json:"server"`
}

// truthy accepts the guide's `"delete_on_termination": 1` as well as booleans.
func truthy(raw json.RawMessage) bool {
	v := strings.TrimSpace(string(raw))
	return v == "true" || v == "1" || v == `"true"` || v == `"1"`
}

func (s *Server) handleCreateServer(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if !decodeBody(w, r, &req) {
		return
	}
	c := req.Server
	if c == nil {
		badRequest(w, "Invalid input for field/attribute server.")
		return
	}
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > 255: // characters, as Nova counts
		badRequest(w, "Invalid input for field/attribute name.")
		return
	case c.FlavorRef == "":
		badRequest(w, "Missing flavorRef attribute")
		return
	case len(c.Networks) == 0:
		badRequest(w, "Missing networks attribute")
		return
	case c.KeyName == "":
		badRequest(w, "Missing key_name attribute")
		return
	}
	if c.UserData != nil {
		if len(*c.UserData) > 65535 {
			badRequest(w, "User data too large. User data must be no larger than 65535 bytes once base64 encoded.")
			return
		}
		if _, err := base64.StdEncoding.DecodeString(*c.UserData); err != nil {
			badRequest(w, "Invalid input for field/attribute user_data. Value: must be base64 encoded")
			return
		}
	}
	for k, v := range c.Metadata {
		if k == "" || utf8.RuneCountInString(k) > 255 || utf8.RuneCountInString(v) > 255 {
			badRequest(w, "Invalid input for field/attribute metadata. Keys and values must be 1-255 characters")
			return
		}
	}
	minCount, maxCount := 1, 0
	if c.MinCount != nil {
		minCount = *c.MinCount
	}
	if c.MaxCount != nil {
		maxCount = *c.MaxCount
	} else {
		maxCount = minCount
	}
	if minCount < 1 || maxCount < minCount || maxCount > 10 {
		badRequest(w, "min_count must be >= 1, max_count must be >= min_count and <= 10")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	fl := s.flavor(c.FlavorRef)
	if fl == nil {
		badRequest(w, "Flavor %s could not be found.", c.FlavorRef)
		return
	}
	if _, ok := s.images[c.ImageRef]; !ok {
		badRequest(w, "Can not find requested image")
		return
	}
	if s.keypairs[c.KeyName] == nil {
		badRequest(w, "Invalid key_name provided.")
		return
	}
	if c.AvailabilityZone != "" && c.AvailabilityZone != ZoneA && c.AvailabilityZone != ZoneB {
		badRequest(w, "The requested availability zone is not available")
		return
	}
	var groups []string
	for _, g := range c.SecurityGroups {
		if !s.secGroups[g.Name] {
			badRequest(w, "Security group %s not found for project %s.", g.Name, s.opt.TenantID)
			return
		}
		groups = append(groups, g.Name)
	}
	if len(groups) == 0 {
		groups = []string{"default"}
	}
	rootSize, rootDelete := 0, false
	if !fl.isU2() && len(c.BlockDevices) == 0 {
		badRequest(w, "block_device_mapping_v2 is required for flavor %s", fl.Name)
		return
	}
	for _, bd := range c.BlockDevices {
		switch bd.SourceType {
		case "image", "volume", "snapshot", "blank":
		default:
			badRequest(w, "Invalid input for field/attribute source_type.")
			return
		}
		if bd.DestinationType != "" && bd.DestinationType != "volume" && bd.DestinationType != "local" {
			badRequest(w, "Invalid input for field/attribute destination_type.")
			return
		}
		boot := bd.BootIndex != nil && *bd.BootIndex == 0
		if (bd.SourceType == "image" || bd.SourceType == "blank") && bd.DestinationType == "volume" && bd.VolumeSize <= 0 {
			badRequest(w, "volume_size is required for block device with source_type %s", bd.SourceType)
			return
		}
		if boot && bd.SourceType == "image" && bd.UUID != c.ImageRef {
			if _, ok := s.images[bd.UUID]; !ok {
				badRequest(w, "Can not find requested image")
				return
			}
		}
		if boot && bd.DestinationType == "volume" {
			if bd.VolumeSize > 0 && bd.VolumeSize < 10 {
				badRequest(w, "Volume size %d GB is smaller than the minimum root block storage size (10 GB)", bd.VolumeSize)
				return
			}
			rootSize, rootDelete = bd.VolumeSize, truthy(bd.DeleteOnTermination)
		}
	}
	if len(s.servers)+maxCount > s.opt.InstanceQuota {
		writeFault(w, http.StatusRequestEntityTooLarge, "overLimit",
			fmt.Sprintf("Quota exceeded for instances: Requested %d, but already used %d of %d instances",
				maxCount, len(s.servers), s.opt.InstanceQuota))
		return
	}
	// Resolve networks once; a port or fixed IP can only serve one server.
	type nicPlan struct {
		net     *network
		port    *port
		fixedIP string
	}
	var plans []nicPlan
	for _, n := range c.Networks {
		var p nicPlan
		switch {
		case n.Port != "":
			pt := s.ports[n.Port]
			if pt == nil {
				notFound(w, "Port %s could not be found.", n.Port)
				return
			}
			if pt.BoundTo != "" {
				conflict(w, "Port %s is still in use.", n.Port)
				return
			}
			p.port = pt
			p.net = s.networkByID(pt.NetworkID)
		case n.UUID != "":
			p.net = s.networkByID(n.UUID)
		case n.Subnet != "":
			for _, nw := range s.networks {
				if nw.SubnetID == n.Subnet {
					p.net = nw
				}
			}
		case n.FixedIP != "":
			if a, err := netip.ParseAddr(n.FixedIP); err == nil {
				for _, nw := range s.networks {
					if nw.Prefix.Contains(a) {
						p.net = nw
					}
				}
			}
		}
		if p.net == nil {
			badRequest(w, "Network %s could not be found.", cmp.Or(n.UUID, n.Subnet, n.FixedIP))
			return
		}
		if n.FixedIP != "" && p.port == nil {
			a, err := netip.ParseAddr(n.FixedIP)
			if err != nil || !p.net.Prefix.Contains(a) {
				badRequest(w, "Invalid fixed IP address (%s)", n.FixedIP)
				return
			}
			if s.usedIPs[n.FixedIP] {
				badRequest(w, "Fixed IP address %s is already in use on instance.", n.FixedIP)
				return
			}
			if maxCount > 1 {
				badRequest(w, "multiple instances cannot share fixed IP %s", n.FixedIP)
				return
			}
			p.fixedIP = n.FixedIP
		}
		plans = append(plans, p)
	}

	now := s.opt.Now()
	resv := "r-" + randomHex(4)
	var first *server
	for i := range maxCount {
		name := c.Name
		if maxCount > 1 {
			name = fmt.Sprintf("%s-%d", c.Name, i+1)
		}
		md := map[string]string{}
		for k, v := range c.Metadata {
			md[k] = v
		}
		sv := s.newServer(newUUID(), name, c.ImageRef, fl.ID, cmp.Or(c.AvailabilityZone, ZoneA), c.KeyName, groups, md, now)
		sv.ReservationID = resv
		sv.EphemeralDiskSize = fl.Ephemeral
		for _, p := range plans {
			switch {
			case p.port != nil:
				p.port.BoundTo = sv.ID
				sv.NICs = append(sv.NICs, nic{NetworkName: p.net.Name, IP: p.port.IP, MAC: p.port.MAC, PortID: p.port.ID})
			case p.fixedIP != "":
				s.attachNIC(sv, p.net, p.fixedIP, randomMAC())
			default:
				s.attachNIC(sv, p.net, s.allocateIP(p.net), randomMAC())
			}
		}
		if rootSize > 0 {
			vid := newUUID()
			s.addRootVolume(sv, vid, rootDelete)
			s.volumes[vid].SizeGB = rootSize
		}
		s.schedule(sv, s.opt.BuildDelay, func(sv *server) {
			sv.Status, sv.TaskState, sv.PowerState, sv.Launched = "ACTIVE", "", 1, s.opt.Now()
		})
		if first == nil {
			first = sv
		}
	}
	if c.ReturnReservationID {
		writeJSON(w, http.StatusAccepted, map[string]any{"reservation_id": resv})
		return
	}
	groupsOut := []any{}
	for _, g := range groups {
		groupsOut = append(groupsOut, map[string]any{"name": g})
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"server": map[string]any{
		"security_groups":   groupsOut,
		"OS-DCF:diskConfig": "MANUAL",
		"id":                first.ID,
		"links":             s.link("servers", first.ID, true),
	}})
}

func (s *Server) networkByID(id string) *network {
	for _, n := range s.networks {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func (s *Server) allocateIP(n *network) string {
	a := n.Prefix.Addr().Next()
	for range 10 { // skip .1 to .10 (gateway and reserved)
		a = a.Next()
	}
	for ; n.Prefix.Contains(a); a = a.Next() {
		if !s.usedIPs[a.String()] {
			return a.String()
		}
	}
	return ""
}

func randomMAC() string {
	h := randomHex(3)
	return "fa:16:3e:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6]
}
