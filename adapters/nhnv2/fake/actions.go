package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// handleAction serves POST /servers/{id}/action: one key naming the action.
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	var body map[string]json.RawMessage
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body) != 1 {
		badRequest(w, "There is either no or more than one action in the request body.")
		return
	}
	var name string
	var arg json.RawMessage
	for k, v := range body {
		name, arg = k, v
	}
	s.onServer(w, r, func(sv *server) { s.act(w, sv, name, arg) })
}

// taskActions are the actions that only run a task: from one of the
// statuses in from, the server shows task state task for the action delay,
// then is status with power state power (1 running, 4 shut down).
var taskActions = map[string]struct {
	from         []string
	task, status string
	power        int
}{
	"os-start": {[]string{"SHUTOFF"}, "powering-on", "ACTIVE", 1},
	"os-stop":  {[]string{"ACTIVE", "ERROR"}, "powering-off", "SHUTOFF", 4},
	"shelve":   {[]string{"ACTIVE"}, "shelving", "SHELVED_OFFLOADED", 4},
	"unshelve": {[]string{"SHELVED_OFFLOADED"}, "unshelving", "ACTIVE", 1},
}

// becomes is the step that ends a task: the server is status with power
// state power and no task state.
func becomes(status string, power int) func(*server) {
	return func(sv *server) { sv.Status, sv.TaskState, sv.PowerState = status, "", power }
}

// act runs the action name (argument arg) on sv; the caller holds s.mu.
func (s *Server) act(w http.ResponseWriter, sv *server, name string, arg json.RawMessage) {
	// Nova refuses any action while another task runs or the server builds.
	busy := func() bool {
		if sv.TaskState != "" {
			conflict(w, "Cannot '%s' instance %s while it is in task_state %s", name, sv.ID, sv.TaskState)
			return true
		}
		return false
	}
	need := func(statuses ...string) bool {
		if busy() {
			return false
		}
		if !slices.Contains(statuses, sv.Status) {
			conflict(w, "Cannot '%s' instance %s while it is in vm_state %s", name, sv.ID, vmState(sv))
			return false
		}
		return true
	}
	d := s.opt.ActionDelay
	now := s.opt.Now()
	if t, ok := taskActions[name]; ok {
		if need(t.from...) {
			sv.TaskState, sv.Updated = t.task, now
			s.schedule(sv, d, becomes(t.status, t.power))
			w.WriteHeader(http.StatusAccepted)
		}
		return
	}
	switch name {
	case "reboot":
		var a struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(arg, &a) != nil || (a.Type != "SOFT" && a.Type != "HARD") {
			badRequest(w, "Invalid input for field/attribute type. Value: %s. 'SOFT' or 'HARD' expected", a.Type)
			return
		}
		if a.Type == "SOFT" {
			if !need("ACTIVE") {
				return
			}
			sv.Status, sv.TaskState = "REBOOT", "rebooting"
		} else {
			if !need("ACTIVE", "ERROR", "HARD_REBOOT", "PAUSED", "REBOOT", "SHUTOFF", "SUSPENDED") {
				return
			}
			sv.Status, sv.TaskState = "HARD_REBOOT", "rebooting_hard"
		}
		sv.Updated = now
		s.schedule(sv, d, becomes("ACTIVE", 1))
	case "resize":
		var a struct {
			FlavorRef string `json:"flavorRef"`
		}
		if json.Unmarshal(arg, &a) != nil || a.FlavorRef == "" {
			badRequest(w, "Resize requests require 'flavorRef' attribute.")
			return
		}
		fl := s.flavor(a.FlavorRef)
		if fl == nil {
			badRequest(w, "Invalid flavorRef provided.")
			return
		}
		if a.FlavorRef == sv.FlavorID {
			badRequest(w, "When resizing, instances must change flavor!")
			return
		}
		if !need("ACTIVE", "SHUTOFF") {
			return
		}
		wasOff := sv.Status == "SHUTOFF"
		sv.Status, sv.TaskState, sv.Updated = "RESIZE", "resize_prep", now
		// NHN confirms resizes itself: VERIFY_RESIZE turns ACTIVE on its own.
		s.schedule(sv, d/2,
			func(sv *server) { sv.Status, sv.TaskState, sv.FlavorID = "VERIFY_RESIZE", "", fl.ID },
			func(sv *server) {
				if wasOff {
					sv.Status, sv.PowerState = "SHUTOFF", 4
				} else {
					sv.Status, sv.PowerState = "ACTIVE", 1
				}
			})
	case "createImage":
		var a struct {
			Name     string            `json:"name"`
			Metadata map[string]string `json:"metadata"`
		}
		if json.Unmarshal(arg, &a) != nil || a.Name == "" {
			badRequest(w, "Invalid input for field/attribute name.")
			return
		}
		if !need("ACTIVE", "SHUTOFF", "SUSPENDED", "PAUSED") {
			return
		}
		if fl := s.flavor(sv.FlavorID); fl == nil || !fl.isU2() {
			conflict(w, "Only U2 flavor instances can create images via this API; use the Block Storage API for instance %s", sv.ID)
			return
		}
		id := newUUID()
		s.images[id] = a.Name
		w.Header().Set("Location", s.URL+"/v2/"+s.opt.TenantID+"/images/"+id)
		w.WriteHeader(http.StatusAccepted)
		return
	case "addSecurityGroup", "removeSecurityGroup":
		var a struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(arg, &a) != nil || a.Name == "" {
			badRequest(w, "Security group name cannot be empty")
			return
		}
		if !s.secGroups[a.Name] {
			notFound(w, "Security group %s not found for project %s.", a.Name, s.opt.TenantID)
			return
		}
		has := slices.Contains(sv.SecurityGroups, a.Name)
		if name == "addSecurityGroup" {
			if has {
				badRequest(w, "Security group %s is already associated with the instance %s", a.Name, sv.ID)
				return
			}
			sv.SecurityGroups = append(slices.Clone(sv.SecurityGroups), a.Name)
		} else {
			if !has {
				badRequest(w, "Security group %s not associated with the instance %s", a.Name, sv.ID)
				return
			}
			sv.SecurityGroups = slices.DeleteFunc(slices.Clone(sv.SecurityGroups), func(g string) bool { return g == a.Name })
		}
		sv.Updated = now
	default:
		badRequest(w, "There is no such action: %s", name)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func renderAttachment(v *volume, serverID string) map[string]any {
	return map[string]any{"device": v.Device, "id": v.ID, "serverId": serverID, "volumeId": v.ID}
}

func (s *Server) handleListAttachments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	atoi := func(k string, def int) (int, bool) {
		v := q.Get(k)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			badRequest(w, "%s param must be a non-negative integer", k)
			return 0, false
		}
		return n, true
	}
	limit, ok := atoi("limit", 1000)
	if !ok {
		return
	}
	offset, ok := atoi("offset", 0)
	if !ok {
		return
	}
	s.onServer(w, r, func(sv *server) {
		vols := s.attachedVolumes(sv.ID)
		vols = vols[min(offset, len(vols)):]
		vols = vols[:min(limit, len(vols))]
		out := []any{}
		for _, v := range vols {
			out = append(out, renderAttachment(v, sv.ID))
		}
		writeJSON(w, http.StatusOK, map[string]any{"volumeAttachments": out})
	})
}

func (s *Server) handleGetAttachment(w http.ResponseWriter, r *http.Request) {
	s.onServer(w, r, func(sv *server) {
		v := s.volumes[r.PathValue("volume")]
		if v == nil || v.AttachedTo != sv.ID {
			notFound(w, "Instance %s is not attached to volume %s.", sv.ID, r.PathValue("volume"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"volumeAttachment": renderAttachment(v, sv.ID)})
	})
}

func (s *Server) handleAttach(w http.ResponseWriter, r *http.Request) {
	var req struct {
		VolumeAttachment *struct {
			VolumeID string `json:"volumeId"`
		} `json:"volumeAttachment"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.VolumeAttachment == nil || req.VolumeAttachment.VolumeID == "" {
		badRequest(w, "Invalid input for field/attribute volumeAttachment.")
		return
	}
	s.onServer(w, r, func(sv *server) {
		vid := req.VolumeAttachment.VolumeID
		v := s.volumes[vid]
		if v == nil {
			notFound(w, "Volume %s could not be found.", vid)
			return
		}
		if sv.Status == "BUILD" || sv.TaskState != "" {
			conflict(w, "Cannot 'attach_volume' instance %s while it is in vm_state %s", sv.ID, vmState(sv))
			return
		}
		if v.AttachedTo != "" {
			conflict(w, "Volume %s is in-use: it is already attached to instance %s.", vid, v.AttachedTo)
			return
		}
		used := map[string]bool{}
		for _, o := range s.attachedVolumes(sv.ID) {
			used[o.Device] = true
		}
		dev := ""
		for c := 'b'; c <= 'z'; c++ {
			if d := fmt.Sprintf("/dev/vd%c", c); !used[d] {
				dev = d
				break
			}
		}
		v.AttachedTo, v.Device = sv.ID, dev
		sv.Updated = s.opt.Now()
		writeJSON(w, http.StatusOK, map[string]any{"volumeAttachment": renderAttachment(v, sv.ID)})
	})
}

func (s *Server) handleDetach(w http.ResponseWriter, r *http.Request) {
	s.onServer(w, r, func(sv *server) {
		v := s.volumes[r.PathValue("volume")]
		if v == nil || v.AttachedTo != sv.ID {
			notFound(w, "Volume %s is not attached to instance %s.", r.PathValue("volume"), sv.ID)
			return
		}
		if v.Root {
			badRequest(w, "Can't detach root device volume")
			return
		}
		v.AttachedTo, v.Device = "", ""
		sv.Updated = s.opt.Now()
		w.WriteHeader(http.StatusAccepted)
	})
}
