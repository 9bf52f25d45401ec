package k5

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
)

// K5 documents no limit/marker for GET /servers/detail, so a page is cut
// from the whole list. Fetching the whole list for every page made paging
// through N servers O(N²): instead the first page's list (filtered, in ID
// order) is kept as a short-lived snapshot, found again by the next page's
// marker (the last ID a page returned) and the same query. Paging through
// N servers is then one list and O(page) work per page. A page whose
// snapshot has expired, was evicted or lives on another replica lists
// again (and is correct: PageLocally resumes after the marker).
const (
	snapshotTTL = 30 * time.Second
	maxSnaps    = 32
)

type snapshot struct {
	list    []driver.Instance
	expires time.Time
}

type snapKey struct {
	query  string // filter key
	marker string // last ID of a page served from the snapshot
}

// snapshots maps (query, last ID served) to the snapshot to continue from.
type snapshots struct {
	mu    sync.Mutex
	now   func() time.Time
	next  map[snapKey]*snapshot
	order []*snapshot // oldest first
}

func newSnapshots(now func() time.Time) *snapshots {
	if now == nil {
		now = time.Now
	}
	return &snapshots{now: now, next: map[snapKey]*snapshot{}}
}

// filterKey identifies what a list answers (page size and marker aside).
func filterKey(f driver.InstanceFilter) string {
	var b strings.Builder
	for _, s := range []string{f.Name, f.State.String(), f.FlavorID, f.ImageID, f.Zone, f.ChangesSince.UTC().Format(time.RFC3339Nano)} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.String()
}

// page continues a snapshot: ok is false when no live snapshot ends a
// page at opts.Marker for this filter.
func (s *snapshots) page(opts driver.ListInstancesOptions) (*driver.InstancePage, bool) {
	if opts.Marker == "" {
		return nil, false
	}
	key := filterKey(opts.Filter)
	s.mu.Lock()
	defer s.mu.Unlock()
	sn, ok := s.next[snapKey{key, opts.Marker}]
	if !ok || !s.now().Before(sn.expires) {
		return nil, false
	}
	return s.cutLocked(sn, key, opts), true
}

// put stores a freshly listed, filtered and ID-ordered list and cuts the
// requested page from it.
func (s *snapshots) put(list []driver.Instance, opts driver.ListInstancesOptions) *driver.InstancePage {
	key := filterKey(opts.Filter)
	sn := &snapshot{list: list}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sn.expires = now.Add(snapshotTTL)
	for len(s.order) > 0 && (len(s.order) >= maxSnaps || !now.Before(s.order[0].expires)) {
		s.dropLocked(s.order[0])
	}
	s.order = append(s.order, sn)
	return s.cutLocked(sn, key, opts)
}

func (s *snapshots) dropLocked(sn *snapshot) {
	for k, v := range s.next {
		if v == sn {
			delete(s.next, k)
		}
	}
	s.order = slices.DeleteFunc(s.order, func(o *snapshot) bool { return o == sn })
}

// cutLocked returns the page after opts.Marker and remembers where the
// next page starts.
func (s *snapshots) cutLocked(sn *snapshot, key string, opts driver.ListInstancesOptions) *driver.InstancePage {
	start, end := driver.PageBounds(sn.list, opts.Marker, opts.PageSize)
	page := &driver.InstancePage{Instances: slices.Clone(sn.list[start:end]), More: end < len(sn.list)}
	if page.More && end > start {
		s.next[snapKey{key, sn.list[end-1].ID}] = sn
	}
	return page
}
