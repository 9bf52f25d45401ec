package config

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/internal/backendhttp"
)

// parseCrossCloud reads cross_cloud_timeout.
func parseCrossCloud(fields map[string]*yaml.Node, f *File) error {
	return durationField(fields, "", "cross_cloud_timeout", &f.CrossCloudTimeout,
		"5s (how long a clouds/- list without a caller deadline waits for the slowest cloud)")
}

// parsePolicy reads a cloud's isolation keys. 0 in a count turns the
// mechanism off (backendhttp.Policy spells that as a negative number).
func parsePolicy(fields map[string]*yaml.Node, path string) (backendhttp.Policy, error) {
	var p backendhttp.Policy
	count := func(key string, dst *int, hint string) error {
		s, err := scalar(fields, path, key)
		if err != nil || s == "" {
			return err
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return &Error{Key: path + "." + key, Line: fields[key].Line, Msg: fmt.Sprintf("%q is not a whole number >= 0 (%s)", s, hint)}
		}
		if n == 0 {
			n = -1
		}
		*dst = n
		return nil
	}
	if err := count("max_concurrent_calls", &p.MaxConcurrent, fmt.Sprintf("backend calls in flight at once; default %d, 0 for no cap", backendhttp.DefaultMaxConcurrent)); err != nil {
		return p, err
	}
	if err := count("circuit_breaker_failures", &p.BreakerFailures, fmt.Sprintf("consecutive failures that open the breaker; default %d, 0 for no breaker", backendhttp.DefaultBreakerFailures)); err != nil {
		return p, err
	}
	if err := count("read_retries", &p.Retries, fmt.Sprintf("retries of a failed read; default %d, 0 for none", backendhttp.DefaultRetries)); err != nil {
		return p, err
	}
	if err := durationField(fields, path, "circuit_breaker_open", &p.BreakerOpen,
		"10s (how long an open breaker refuses calls before a probe)"); err != nil {
		return p, err
	}
	return p, nil
}
