package config_test

import (
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
	"strings"
	"testing"
)

func TestAdminAddr(t *testing.T) {
	const clouds = "\nclouds:\n" + k5Cloud + "    password: pw\n"
	env := func(string) (string, bool) { return "", false }
	f, err := config.Parse([]byte("admin_addr: 127.0.0.1:9464\n"+clouds), env, dialects.All)
	if err != nil || f.AdminAddr != "127.0.0.1:9464" {
		t.Fatalf("admin_addr: %+v, %v", f, err)
	}
	if f, err := config.Parse([]byte(clouds), env, dialects.All); err != nil || f.AdminAddr != "" {
		t.Fatalf("no admin_addr: %+v, %v", f, err)
	}
	for doc, want := range map[string]string{
		"admin_addr: localhost\n":                                 "admin_addr: \"localhost\" is not a host:port address",
		"admin_addr: [9464]\n":                                    "admin_addr: must be a single value",
		"http_addr: 0.0.0.0:8080\nadmin_addr: 0.0.0.0:8080\n":     "admin_addr: 0.0.0.0:8080 is also a public listener's address",
		"grpc_addr: 127.0.0.1:9090\nadmin_addr: 127.0.0.1:9090\n": "admin_addr: 127.0.0.1:9090 is also a public listener's address",
	} {
		_, err := config.Parse([]byte(doc+clouds), env, dialects.All)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", doc, err, want)
		}
	}
}
