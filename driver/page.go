package driver

import (
	"slices"
	"strings"
)

// Match reports whether in passes every set field of f.
func (f InstanceFilter) Match(in *Instance) bool {
	switch {
	case f.Name != "" && in.Name != f.Name:
		return false
	case f.State != StateUnspecified && in.State != f.State:
		return false
	case f.FlavorID != "" && in.FlavorID != f.FlavorID:
		return false
	case f.ImageID != "" && in.ImageID != f.ImageID:
		return false
	case f.Zone != "" && in.Zone != f.Zone:
		return false
	case !f.ChangesSince.IsZero() && !in.Updated.IsZero() && in.Updated.Before(f.ChangesSince):
		return false
	}
	return true
}

// PageLocally pages a complete instance list for dialects whose vendor API
// has no paging: it filters with opts.Filter, orders by ID and returns the
// instances after opts.Marker. A Marker that is not in the list is not an
// error (the instance may have been deleted since): paging resumes after the
// position where it would sort.
func PageLocally(all []Instance, opts ListInstancesOptions) *InstancePage {
	matched := make([]Instance, 0, len(all))
	for i := range all {
		if opts.Filter.Match(&all[i]) {
			matched = append(matched, all[i])
		}
	}
	slices.SortFunc(matched, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	start, end := PageBounds(matched, opts.Marker, opts.PageSize)
	return &InstancePage{Instances: matched[start:end], More: end < len(matched)}
}

// PageBounds is the page [start, end) of sorted (instances in ID order)
// that follows marker (the page starts after where marker sorts, whether
// or not an instance still has that ID; "" starts at the beginning) and
// holds at most pageSize instances (0 or less: all the rest).
func PageBounds(sorted []Instance, marker string, pageSize int) (start, end int) {
	if marker != "" {
		start, _ = slices.BinarySearchFunc(sorted, marker, func(a Instance, m string) int {
			return strings.Compare(a.ID, m)
		})
		if start < len(sorted) && sorted[start].ID == marker {
			start++
		}
	}
	if pageSize <= 0 {
		pageSize = len(sorted)
	}
	return start, min(start+pageSize, len(sorted))
}
