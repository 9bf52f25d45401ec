package fake

import (
	"net/http"
	"strings"

	"github.com/computegw/computegw/internal/fakekit"
)

// System storage (guide Part 2 section 2.1): the token catalog's
// "blockstoragev2" endpoint. The fake serves it on its own host under
// blockStoragePrefix (K5 serves it on a host of its own; the adapter only
// follows the catalog).
const blockStoragePrefix = "/blockstorage/v2/"

// seededVolumeNames are the display names of the seeded free volumes.
var seededVolumeNames = map[string]string{Volume1: "vol-001", Volume2: "vol-002", Volume3: "vol-003"}

// BlockStorageURL is the blockstoragev2 endpoint the token catalog
// advertises ("https://hostName/v2/{tenant_id}" in the guide's form).
func (s *Server) BlockStorageURL() string {
	return s.URL + strings.TrimSuffix(blockStoragePrefix, "/") + "/" + s.opt.ProjectID
}

func (s *Server) handleBlockStorage(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, blockStoragePrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	rest, ok := s.inProject(w, r, rest)
	if !ok {
		return
	}
	if strings.TrimSuffix(rest, "/") != "volumes/detail" {
		notFound(w, "The resource could not be found.")
		return
	}
	if r.Method != http.MethodGet {
		badMethod(w)
		return
	}
	ids := fakekit.SortedKeys(s.volumes)
	out := []map[string]any{}
	for _, id := range ids {
		v := s.volumes[id]
		status, atts, bootable := "available", []map[string]any{}, "false"
		if v.attachedTo != "" {
			status = "in-use"
			device := ""
			if srv := s.servers[v.attachedTo]; srv != nil {
				for _, a := range srv.attachments {
					if a.volumeID == id {
						device = a.device
					}
				}
				if srv.bootVolumeID == id {
					bootable = "true"
				}
			}
			atts = append(atts, map[string]any{"server_id": v.attachedTo, "attachment_id": id, "volume_id": id, "device": device, "id": id, "host_name": nil})
		}
		out = append(out, map[string]any{
			"status": status, "attachments": atts,
			"links": []map[string]any{
				{"href": s.BlockStorageURL() + "/volumes/" + id, "rel": "self"},
				{"href": s.URL + "/" + s.opt.ProjectID + "/volumes/" + id, "rel": "bookmark"},
			},
			"availability_zone": v.zone, "os-vol-host-attr:host": "ip-10-168-107-25", "source_volid": nil, "snapshot_id": nil,
			"id": id, "description": nil, "name": seededVolumeNames[id], "created_at": "2016-04-01T01:02:03.000000",
			"volume_type": "M1", "os-vol-tenant-attr:tenant_id": s.opt.ProjectID, "size": v.size,
			"bootable": bootable, "metadata": map[string]any{},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"volumes": out})
}

// listImages answers "List images details" (guide 1.2.6.11).
func (s *Server) listImages(w http.ResponseWriter) {
	ids := fakekit.SortedKeys(s.images)
	out := []map[string]any{}
	for _, id := range ids {
		im := s.images[id]
		links := s.link("images", id)
		links = append(links, map[string]any{"href": s.URL + "/" + s.opt.ProjectID + "/images/" + id, "rel": "alternate", "type": "application/vnd.openstack.image"})
		out = append(out, map[string]any{
			"created": "2016-04-01T01:02:03Z", "id": id, "links": links,
			"metadata": map[string]any{"architecture": "x86_64"}, "minDisk": im.minDisk, "minRam": im.minRAM,
			"name": im.name, "progress": 100, "status": "ACTIVE", "updated": "2016-04-01T01:02:03Z",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": out})
}
