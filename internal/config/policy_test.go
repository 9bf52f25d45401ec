package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
)

func TestCloudPolicyKeys(t *testing.T) {
	doc := strings.Replace(valid, "    timeout: 15s", "    timeout: 15s\n    max_concurrent_calls: 16\n    circuit_breaker_failures: 3\n    circuit_breaker_open: 2s\n    read_retries: 0", 1)
	f, err := config.Parse([]byte(doc), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	want := backendhttp.Policy{MaxConcurrent: 16, BreakerFailures: 3, BreakerOpen: 2 * time.Second, Retries: -1}
	if got := f.Clouds[0].Policy; got.MaxConcurrent != want.MaxConcurrent || got.BreakerFailures != want.BreakerFailures ||
		got.BreakerOpen != want.BreakerOpen || got.Retries != want.Retries {
		t.Errorf("policy %+v, want %+v", got, want)
	}
	if got := f.Clouds[1].Policy; got.MaxConcurrent != 0 || got.BreakerFailures != 0 || got.BreakerOpen != 0 || got.Retries != 0 {
		t.Errorf("cloud without the keys: %+v, want the zero Policy (defaults)", got)
	}
	for key, bad := range map[string]string{"max_concurrent_calls": "-1", "circuit_breaker_failures": "many", "circuit_breaker_open": "0s", "read_retries": "1.5"} {
		doc := strings.Replace(valid, "    timeout: 15s", "    timeout: 15s\n    "+key+": "+bad, 1)
		_, err := config.Parse([]byte(doc), validEnv, dialects.All)
		if err == nil || !strings.Contains(err.Error(), "clouds[0]."+key) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %s: %v, want an error naming the key and the value", key, bad, err)
		}
	}
}

func TestCrossCloudTimeoutKey(t *testing.T) {
	f, err := config.Parse([]byte("cross_cloud_timeout: 3s\n"+valid), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if f.CrossCloudTimeout != 3*time.Second {
		t.Errorf("cross_cloud_timeout %v, want 3s", f.CrossCloudTimeout)
	}
	_, err = config.Parse([]byte("cross_cloud_timeout: soon\n"+valid), validEnv, dialects.All)
	if err == nil || !strings.Contains(err.Error(), "cross_cloud_timeout") || !strings.Contains(err.Error(), "soon") {
		t.Errorf("bad value: %v, want an error naming the key and the value", err)
	}
}
