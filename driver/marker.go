package driver

import (
	"context"
	"time"
)

// MarkerKey is the instance metadata key under which every create with a
// request_id carries that ID to the vendor. The vendor then holds the
// answer to "did the create with this ID happen?": a create whose outcome
// is unknown (the answer was lost) is settled by finding the instance
// whose metadata carries the marker (FindMarked), across gateway restarts
// and replicas. The portable layer sets it on CreateInstanceRequest.Metadata
// and hides it from every Instance it answers with; callers cannot set it
// themselves. It is 20 bytes and its value a 36-byte UUID, within every
// dialect's metadata limits (255 characters or bytes per key and value on
// NHN, TOAST and K5; Gcore takes any string pair).
const MarkerKey = "computegw-request-id"

// WithMarker returns md with the marker for requestID added, as a new map
// (md is the caller's and is not changed); md itself when requestID is
// empty.
func WithMarker(md map[string]string, requestID string) map[string]string {
	if requestID == "" {
		return md
	}
	out := make(map[string]string, len(md)+1)
	for k, v := range md {
		out[k] = v
	}
	out[MarkerKey] = requestID
	return out
}

// WithoutMarker returns md without the marker: md itself when it has none,
// otherwise a copy (nil when nothing else is left).
func WithoutMarker(md map[string]string) map[string]string {
	if _, ok := md[MarkerKey]; !ok {
		return md
	}
	if len(md) == 1 {
		return nil
	}
	out := make(map[string]string, len(md)-1)
	for k, v := range md {
		if k != MarkerKey {
			out[k] = v
		}
	}
	return out
}

// MarkerOf returns the request_id an instance's metadata carries ("" when
// none).
func MarkerOf(in *Instance) string {
	if in == nil {
		return ""
	}
	return in.Metadata[MarkerKey]
}

// MarkerFinder is implemented by adapters that can find the instance
// carrying a request_id marker more cheaply than FindMarked's list by name
// (for example with a vendor-side metadata filter).
type MarkerFinder interface {
	// FindMarked returns the instance named name whose metadata carries
	// MarkerKey = requestID, nil (and no error) when the vendor certainly
	// has none, or an error when the vendor could not be asked.
	FindMarked(ctx context.Context, name, requestID string) (*Instance, error)
}

// CreateSettler is implemented by adapters whose vendor may make an
// instance well after the create request was answered (or its answer
// lost), so that a list shows it only later (Gcore's create is a task that
// may wait in a queue). CreateSettle is how long after such a create the
// vendor's "no instance carries this marker" is to be believed; the
// portable layer waits at least that long before creating again.
type CreateSettler interface {
	CreateSettle() time.Duration
}

// FindMarked finds the instance a create with requestID made: the
// adapter's own MarkerFinder, or every page of ListInstances narrowed by
// the display name (which adapters push down to their vendor where they
// can), checking each instance's marker. nil, nil means the vendor listed
// everything and none carries it; any failed page is an error (the
// instance may be on it).
func FindMarked(ctx context.Context, a Adapter, name, requestID string) (*Instance, error) {
	if requestID == "" {
		return nil, nil
	}
	if f, ok := a.(MarkerFinder); ok {
		return f.FindMarked(ctx, name, requestID)
	}
	marker := ""
	for pages := 0; ; pages++ {
		page, err := a.ListInstances(ctx, ListInstancesOptions{Filter: InstanceFilter{Name: name}, PageSize: 1000, Marker: marker})
		if err != nil {
			return nil, err
		}
		for i := range page.Instances {
			if MarkerOf(&page.Instances[i]) == requestID {
				in := page.Instances[i]
				return &in, nil
			}
		}
		if !page.More || len(page.Instances) == 0 {
			return nil, nil
		}
		if pages >= 1000 {
			return nil, Errorf(CodeUnavailable, "looking for the instance of request_id %s: more than 1000 pages of instances named %q", requestID, name)
		}
		marker = page.Instances[len(page.Instances)-1].ID
	}
}
