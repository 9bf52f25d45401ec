package fake

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/computegw/computegw/internal/fakekit"
)

// The OpenStack services beside Nova that an NHN Cloud token's catalog
// lists, as far as computegw reads them: the Image service (Glance v2,
// catalog type "image", at /image), the Network service (Neutron v2.0,
// type "network", at /network) and the Block Storage service (Cinder v2,
// type "volumev2", at /volume/v2/{tenant}). Their answers follow the
// OpenStack API references NHN Cloud's guides point to.

// Seeded image sizes and minimums (Glance min_disk / min_ram).
var imageMins = map[string][2]int{
	ImageUbuntu:  {10, 0},
	ImageWindows: {50, 2048},
}

func (s *Server) discoveryRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /image/v2/images", s.tokenOnly(s.handleGlanceList))
	m.HandleFunc("GET /image/v2/images/{id}", s.tokenOnly(s.handleGlanceGet))
	m.HandleFunc("GET /network/v2.0/networks", s.tokenOnly(s.handleNeutronNetworks))
	m.HandleFunc("GET /network/v2.0/subnets", s.tokenOnly(s.handleNeutronSubnets))
	m.HandleFunc("GET /network/v2.0/security-groups", s.tokenOnly(s.handleNeutronSecurityGroups))
	m.HandleFunc("GET /volume/v2/{tenant}/volumes/detail", s.authenticated(s.handleCinderVolumes))
}

// tokenOnly checks X-Auth-Token as keystonemiddleware does in front of
// Glance and Neutron, whose URLs carry no tenant.
func (s *Server) tokenOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.Tokens.Valid(r.Header.Get("X-Auth-Token")); !ok {
			w.Header().Set("WWW-Authenticate", "Keystone uri='"+s.URL+"'")
			unauthorized(w)
			return
		}
		h(w, r)
	}
}

// Callers hold s.mu.
func (s *Server) glanceImage(id string) map[string]any {
	mins := imageMins[id]
	if _, seeded := imageMins[id]; !seeded {
		mins = [2]int{10, 0} // snapshots: the root volume minimum
	}
	created := time.Date(2024, 1, 16, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	return map[string]any{
		"id": id, "name": s.images[id], "status": "active", "visibility": "public",
		"size": 1073741824 * int64(mins[0]/10+1), "min_disk": mins[0], "min_ram": mins[1],
		"disk_format": "qcow2", "container_format": "bare", "protected": false, "tags": []string{},
		"created_at": created, "updated_at": created,
		"self": "/v2/images/" + id, "file": "/v2/images/" + id + "/file", "schema": "/v2/schemas/image",
	}
}

// handleGlanceList pages as Glance does: limit (default 25) and marker, with
// a "next" link while more images follow, sorted by ID here.
func (s *Server) handleGlanceList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "limit param must be an integer", "code": "400 Bad Request"})
			return
		}
		limit = min(n, 1000)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := fakekit.SortedKeys(s.images)
	if m := q.Get("marker"); m != "" {
		i, found := slices.BinarySearch(ids, m)
		if !found {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "marker " + m + " could not be found.", "code": "400 Bad Request"})
			return
		}
		ids = ids[i+1:]
	}
	out := []any{}
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, s.glanceImage(id))
	}
	body := map[string]any{"images": out, "first": "/v2/images", "schema": "/v2/schemas/images"}
	if limit < len(ids) {
		body["next"] = "/v2/images?marker=" + ids[limit-1] + "&limit=" + strconv.Itoa(limit)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleGlanceGet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := s.images[id]; !ok {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID " + id + "<br /><br />\n\n\n\n </body>\n</html>"))
		return
	}
	writeJSON(w, http.StatusOK, s.glanceImage(id))
}

func (s *Server) handleNeutronNetworks(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, n := range s.networks {
		out = append(out, map[string]any{
			"id": n.ID, "name": n.Name, "status": "ACTIVE", "admin_state_up": true, "shared": false,
			"subnets": []string{n.SubnetID}, "tenant_id": s.opt.TenantID, "project_id": s.opt.TenantID,
			"router:external": false, "mtu": 1450,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"networks": out})
}

func (s *Server) handleNeutronSubnets(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	netID := r.URL.Query().Get("network_id")
	out := []any{}
	for _, n := range s.networks {
		if netID != "" && netID != n.ID {
			continue
		}
		gw := n.Prefix.Addr().Next()
		out = append(out, map[string]any{
			"id": n.SubnetID, "name": n.Name + "-subnet", "network_id": n.ID, "cidr": n.Prefix.String(),
			"ip_version": 4, "gateway_ip": gw.String(), "enable_dhcp": true,
			"tenant_id": s.opt.TenantID, "project_id": s.opt.TenantID,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"subnets": out})
}

// SecurityGroupID is the Neutron ID of the seeded security group name.
func SecurityGroupID(name string) string {
	h := sha256.Sum256([]byte("nhn-fake-security-group:" + name))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

func (s *Server) handleNeutronSecurityGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := fakekit.SortedKeys(s.secGroups)
	out := []any{}
	for _, n := range names {
		desc := ""
		if n == "default" {
			desc = "Default security group"
		}
		out = append(out, map[string]any{
			"id": SecurityGroupID(n), "name": n, "description": desc, "tenant_id": s.opt.TenantID,
			"project_id": s.opt.TenantID, "security_group_rules": []any{}, "stateful": true,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"security_groups": out})
}

func (s *Server) handleCinderVolumes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, v := range fakekit.SortedValues(s.volumes) {
		status, atts, zone := "available", []any{}, ZoneA
		if v.AttachedTo != "" {
			status = "in-use"
			atts = append(atts, map[string]any{"server_id": v.AttachedTo, "attachment_id": v.ID, "volume_id": v.ID,
				"device": v.Device, "id": v.ID, "host_name": nil})
			if sv := s.servers[v.AttachedTo]; sv != nil {
				zone = sv.Zone
			}
		}
		out = append(out, map[string]any{
			"id": v.ID, "name": v.Name, "status": status, "size": v.SizeGB, "attachments": atts,
			"availability_zone": zone, "volume_type": "General HDD", "bootable": strconv.FormatBool(v.Root),
			"description": nil, "created_at": "2024-01-16T00:00:00.000000", "metadata": map[string]any{},
			"os-vol-tenant-attr:tenant_id": s.opt.TenantID, "snapshot_id": nil, "source_volid": nil,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"volumes": out})
}
