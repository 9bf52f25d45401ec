package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/config"
)

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.1.2.3:0": true, "[::1]:9090": true, "localhost:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:9090": false, "10.0.0.5:8080": false, "gateway.example.com:8080": false, "junk": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestSafeDefaultRefusesOpenNonLoopback(t *testing.T) {
	open := &config.File{}
	for _, addrs := range [][2]string{{"0.0.0.0:8080", "127.0.0.1:9090"}, {"127.0.0.1:8080", ":9090"}} {
		_, _, err := security(context.Background(), open, addrs[0], addrs[1], nil)
		if err == nil || !strings.HasPrefix(err.Error(), "auth: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v without auth: %v, want one line starting with auth", addrs, err)
		}
	}
	if g, _, err := security(context.Background(), open, "127.0.0.1:8080", "[::1]:9090", nil); err != nil || g != nil {
		t.Errorf("loopback without auth: guard %v, %v; want open", g, err)
	}
	anon := &config.File{Security: config.Security{Auth: &config.Auth{AllowUnauthenticated: true}}}
	if g, _, err := security(context.Background(), anon, "0.0.0.0:8080", "0.0.0.0:9090", nil); err != nil || g == nil || !g.AllowAnonymous {
		t.Errorf("allow_unauthenticated on 0.0.0.0: guard %+v, %v", g, err)
	}
	if g, _, err := security(context.Background(), nil, "0.0.0.0:8080", "0.0.0.0:9090", nil); err != nil || g != nil {
		t.Errorf("demo mode (no config file) on 0.0.0.0: %v, %v; demo mode stays open", g, err)
	}
}

func TestRPCOfRESTRequest(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v1/clouds", "ListClouds"},
		{"GET", "/v1/clouds/nhn", "GetCloud"},
		{"GET", "/v1/clouds/-/instances", "ListInstances"},
		{"GET", "/v1/clouds/nhn/instances/i-1", "GetInstance"},
		{"GET", "/v1/clouds/nhn/instances/i-1:watch", "WatchInstance"},
		{"POST", "/v1/clouds/nhn/instances/i-1:stop", "StopInstance"},
		{"POST", "/v1/clouds/nhn/instances", "CreateInstance"},
		{"PATCH", "/v1/clouds/nhn/instances/i-1", "UpdateInstance"},
		{"DELETE", "/v1/clouds/nhn/instances/i-1/volumeAttachments/v", "DetachVolume"},
		{"DELETE", "/v1/clouds/nhn/keyPairs/k", "DeleteKeyPair"},
		{"GET", "/v1/nothing", ""},
		{"PUT", "/v1/clouds", ""},
	} {
		r, _ := http.NewRequest(c.method, "http://x"+c.path, nil)
		if got := rpcOf(r); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
}
