package driver

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
