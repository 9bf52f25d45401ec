package gcore

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/flexjson"
	"github.com/computegw/computegw/internal/nova"
)

// states maps Gcore's statuses: Nova's, mapped as for k5
// (nova.NovaStatuses); task_state refines any listed status but
// DELETED/SOFT_DELETED into STARTING, STOPPING or DELETING.
var states = nova.NewStates(nova.Overrides{})

func mapState(status, task string) driver.State { return states.State(status, task) }

// ImageMetadataKey is the instance metadata item where Gcore reports the
// image an instance was built from (its instance JSON has no image field).
const ImageMetadataKey = "image_id"

func (a *Adapter) toInstance(w *wireInstance) driver.Instance {
	in := driver.Instance{
		ID:           w.id(),
		Name:         w.name(),
		VendorStatus: w.Status,
		State:        mapState(w.Status, w.TaskState),
		TaskState:    w.TaskState,
		FlavorID:     string(w.Flavor.FlavorID),
		KeyName:      w.KeypairName,
		Created:      w.created(),
	}
	if in.TaskState == "" && w.TaskID != "" {
		// A task holds the instance without a Nova task_state: show it.
		in.TaskState = "task " + string(w.TaskID)
	}
	if len(a.zones) == 1 {
		in.Zone = a.zones[0]
	}
	if w.Flavor.FlavorName != "" || w.Flavor.VCPUs != 0 || w.Flavor.RAM != 0 {
		in.FlavorDetails = &driver.Flavor{ID: in.FlavorID, Name: w.Flavor.FlavorName, VCPUs: w.Flavor.VCPUs, RAMMB: w.Flavor.RAM}
	}
	nets := make([]string, 0, len(w.Addresses))
	for n := range w.Addresses {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	for _, n := range nets {
		for _, ad := range w.Addresses[n] {
			if ad.Addr == "" {
				continue
			}
			typ := driver.AddressFixed
			if strings.EqualFold(ad.Type, "floating") {
				typ = driver.AddressFloating
			}
			in.Addresses = append(in.Addresses, driver.Address{Network: n, IP: ad.Addr, Version: ipVersion(ad.Addr), Type: typ})
		}
	}
	for _, g := range w.SecurityGroups {
		if g.Name != "" {
			in.SecurityGroups = append(in.SecurityGroups, g.Name)
		}
	}
	for _, v := range w.Volumes {
		if v.ID != "" {
			in.VolumeIDs = append(in.VolumeIDs, string(v.ID))
		}
	}
	in.Metadata = flexjson.Strings(w.Metadata)
	in.ImageID = in.Metadata[ImageMetadataKey]
	return in
}

func ipVersion(ip string) int {
	if strings.Contains(ip, ":") {
		return 6
	}
	return 4
}

// instancesPath is /v1/instances/{p}/{r}; instancePath adds the escaped ID.
func (a *Adapter) instancesPath() string { return "/v1/instances" + a.scope }

func (a *Adapter) instancePath(id string) string {
	return a.instancesPath() + "/" + driver.PathSegment(id)
}

func needID(op, id string) error {
	if id == "" {
		return amend(op+": ", driver.InvalidArgument("instance", "an instance ID is required"))
	}
	return nil
}

// GetInstance runs GET /v1/instances/{p}/{r}/{id}.
func (a *Adapter) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	op := "get instance " + id
	if err := needID(op, id); err != nil {
		return nil, err
	}
	var w wireInstance
	if err := a.call(ctx, request{op: op, method: http.MethodGet, path: a.instancePath(id), out: &w}); err != nil {
		return nil, err
	}
	if w.id() == "" {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: op + ": the answer has no id (or instance_id)"}
	}
	in := a.toInstance(&w)
	return &in, nil
}

// --- listing: the portable marker over Gcore's limit/offset ------------------

// maxLimit is the largest page Gcore serves.
const maxLimit = 1000

// plainName is a display name that reads the same as a MySQL regular
// expression, so pushing it down as Gcore's name filter (a regular
// expression, or a substring) can only widen the answer.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// pushdown is the Gcore query for a filter: what Gcore can filter on, each
// a superset of the portable term (the portable layer re-checks all).
func pushdown(f driver.InstanceFilter) url.Values {
	q := url.Values{}
	if f.Name != "" && plainName.MatchString(f.Name) {
		q.Set("name", f.Name)
	}
	if st := states.PushdownStatus(f.State); st != "" {
		q.Set("status", st)
	}
	if f.FlavorID != "" {
		q.Set("flavor_id", f.FlavorID)
	}
	if !f.ChangesSince.IsZero() {
		q.Set("changes-since", f.ChangesSince.UTC().Format(time.RFC3339))
	}
	return q
}

// hints remembers, per pushed-down query and instance ID, the offset just
// after that instance when it was last listed, so the next page usually
// costs one call. It is bounded: when full it starts over.
type hints struct {
	mu  sync.Mutex
	max int
	m   map[string]int
}

const maxHints = 20000

func newHints(max int) *hints { return &hints{max: max, m: map[string]int{}} }

func hintKey(query, id string) string { return query + "\x00" + id }

func (h *hints) get(query, id string) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.m[hintKey(query, id)]
	return n, ok
}

// put records rows listed from offset.
func (h *hints) put(query string, offset int, rows []driver.Instance) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.m)+len(rows) > h.max {
		clear(h.m)
	}
	for i := range rows {
		h.m[hintKey(query, rows[i].ID)] = offset + i + 1
	}
}

// page runs one GET /v1/instances/{p}/{r}?limit&offset and returns the
// instances and Gcore's total count.
func (a *Adapter) page(ctx context.Context, q url.Values, offset, limit int) ([]driver.Instance, int, error) {
	qq := url.Values{}
	for k, v := range q {
		qq[k] = v
	}
	qq.Set("limit", strconv.Itoa(min(limit, maxLimit)))
	qq.Set("offset", strconv.Itoa(offset))
	var out instanceList
	if err := a.call(ctx, request{op: "list instances", method: http.MethodGet, path: a.instancesPath(), query: qq, out: &out}); err != nil {
		return nil, 0, err
	}
	rows := make([]driver.Instance, 0, len(out.Results))
	for i := range out.Results {
		if out.Results[i].id() == "" {
			continue
		}
		rows = append(rows, a.toInstance(&out.Results[i]))
	}
	count := offset + len(out.Results)
	switch {
	case out.Count != nil:
		count = *out.Count
	case len(out.Results) >= min(limit, maxLimit):
		// No total in the answer: a full page may have more after it.
		count++
	}
	return rows, count, nil
}

// ListInstances returns the instances after opts.Marker in Gcore's order.
// Gcore pages by offset, so the marker is turned back into one: from the
// offset remembered when the marker was listed (checked: the row before it
// must still be the marker), else by reading from the start until the
// marker is found. A marker that is gone (deleted since) resumes where it
// was last seen; one never seen by this process and gone is
// INVALID_ARGUMENT (list again from the first page).
func (a *Adapter) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	q := pushdown(opts.Filter)
	qkey := q.Encode()
	size := opts.PageSize
	if size <= 0 || size > maxLimit {
		size = maxLimit
	}
	answer := func(offset int, rows []driver.Instance, count int) *driver.InstancePage {
		a.offsetHints.put(qkey, offset, rows)
		return &driver.InstancePage{Instances: rows, More: len(rows) > 0 && offset+len(rows) < count}
	}
	if opts.Marker == "" {
		rows, count, err := a.page(ctx, q, 0, size)
		if err != nil {
			return nil, err
		}
		return answer(0, rows, count), nil
	}
	hint, hinted := a.offsetHints.get(qkey, opts.Marker)
	if hinted {
		// One call: the marker itself, then the page after it.
		rows, count, err := a.page(ctx, q, hint-1, size+1)
		if err != nil {
			return nil, err
		}
		if len(rows) > 0 && rows[0].ID == opts.Marker {
			return answer(hint, rows[1:], count), nil
		}
	}
	// The list moved (or this process never listed the marker): find it.
	for offset := 0; ; {
		rows, count, err := a.page(ctx, q, offset, maxLimit)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			if rows[i].ID == opts.Marker {
				next := offset + i + 1
				after, count, err := a.page(ctx, q, next, size)
				if err != nil {
					return nil, err
				}
				return answer(next, after, count), nil
			}
		}
		offset += len(rows)
		if len(rows) == 0 || offset >= count {
			break
		}
	}
	if hinted {
		// The marker was deleted: its successor moved into its place.
		rows, count, err := a.page(ctx, q, hint-1, size)
		if err != nil {
			return nil, err
		}
		return answer(hint-1, rows, count), nil
	}
	return nil, amend("list instances: ", driver.InvalidArgument("page_token",
		"the instance this page token continues after no longer exists; list again from the first page"))
}

// --- writes -----------------------------------------------------------------

// task runs a write that answers {"tasks": [ID]} and returns the task ID
// ("" when Gcore named none). Gcore accepted the write when it answers.
func (a *Adapter) task(ctx context.Context, req request) (string, error) {
	var out tasksAnswer
	req.out = &out
	if err := a.call(ctx, req); err != nil {
		return "", err
	}
	if len(out.Tasks) == 0 {
		return "", nil
	}
	return string(out.Tasks[0]), nil
}

// DeleteInstance runs DELETE /v1/instances/{p}/{r}/{id}: the delete task
// moves the instance through DELETING until it is gone (NOT_FOUND).
func (a *Adapter) DeleteInstance(ctx context.Context, id string) error {
	op := "delete instance " + id
	if err := needID(op, id); err != nil {
		return err
	}
	_, err := a.task(ctx, request{op: op, method: http.MethodDelete, path: a.instancePath(id)})
	return err
}

// action runs POST /v2/instances/{p}/{r}/{id}/action {"action": NAME}.
func (a *Adapter) action(ctx context.Context, id, name string) error {
	op := name + " instance " + id
	if err := needID(op, id); err != nil {
		return err
	}
	path := "/v2/instances" + a.scope + "/" + driver.PathSegment(id) + "/action"
	_, err := a.task(ctx, request{op: op, method: http.MethodPost, path: path, body: actionBody{Action: name}})
	return err
}

// StartInstance is the action "start".
func (a *Adapter) StartInstance(ctx context.Context, id string) error {
	return a.action(ctx, id, "start")
}

// StopInstance is the action "stop".
func (a *Adapter) StopInstance(ctx context.Context, id string) error {
	return a.action(ctx, id, "stop")
}

// RebootInstance is the action "reboot", or "reboot_hard" for a hard one.
func (a *Adapter) RebootInstance(ctx context.Context, id string, hard bool) error {
	if hard {
		return a.action(ctx, id, "reboot_hard")
	}
	return a.action(ctx, id, "reboot")
}

// ResizeInstance runs POST …/{id}/changeflavor {"flavor_id"}: Gcore has no
// confirm step, the instance returns to its status with the new flavor.
func (a *Adapter) ResizeInstance(ctx context.Context, id, flavorID string) error {
	op := "resize instance " + id
	if err := needID(op, id); err != nil {
		return err
	}
	if flavorID == "" {
		return amend(op+": ", driver.InvalidArgument("flavor", "required: a flavor ID (see ListFlavors)"))
	}
	_, err := a.task(ctx, request{op: op, method: http.MethodPost, path: a.instancePath(id) + "/changeflavor",
		body: changeFlavorBody{FlavorID: flavorID}})
	return err
}

// RenameInstance runs PATCH /v1/instances/{p}/{r}/{id} {"name"}, which
// answers the instance at once.
func (a *Adapter) RenameInstance(ctx context.Context, id, name string) (*driver.Instance, error) {
	op := "rename instance " + id
	if err := needID(op, id); err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, amend(op+": ", driver.InvalidArgument("instance.display_name", "required"))
	}
	var w wireInstance
	if err := a.call(ctx, request{op: op, method: http.MethodPatch, path: a.instancePath(id), body: nameBody{Name: name}, out: &w}); err != nil {
		return nil, err
	}
	if w.id() == "" {
		// Answered without an instance: read it back.
		return a.GetInstance(ctx, id)
	}
	in := a.toInstance(&w)
	return &in, nil
}

// AddSecurityGroup runs POST …/{id}/addsecuritygroup {"name"} (HTTP 204).
func (a *Adapter) AddSecurityGroup(ctx context.Context, id, group string) error {
	return a.securityGroup(ctx, id, group, "addsecuritygroup", "add security group "+group+" to instance "+id)
}

// RemoveSecurityGroup runs POST …/{id}/delsecuritygroup {"name"} (HTTP 204).
func (a *Adapter) RemoveSecurityGroup(ctx context.Context, id, group string) error {
	return a.securityGroup(ctx, id, group, "delsecuritygroup", "remove security group "+group+" from instance "+id)
}

func (a *Adapter) securityGroup(ctx context.Context, id, group, verb, op string) error {
	if err := needID(op, id); err != nil {
		return err
	}
	if group == "" {
		return amend(op+": ", driver.InvalidArgument("security_group", "required: a security group name"))
	}
	return a.call(ctx, request{op: op, method: http.MethodPost, path: a.instancePath(id) + "/" + verb, body: nameBody{Name: group}})
}
