package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/dialects"
)

// A gcore cloud entry with every key its dialect reads.
const gcoreDoc = `
http_addr: 127.0.0.1:8080
grpc_addr: 127.0.0.1:9090
clouds:
  - name: gcore-lux
    dialect: gcore
    project_id: 111
    region_id: 76
    api_key_env: GCORE_API_KEY
    zones: [luxembourg-1]
`

const gcoreKey = "7351$f0e1d2c3b4a5968778695a4b3c2d1e0f"

func TestGcoreCloud(t *testing.T) {
	f, err := config.Parse([]byte(gcoreDoc), env(map[string]string{"GCORE_API_KEY": gcoreKey}), dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Clouds[0]
	opts, _ := c.Options.(gcore.Config)
	if c.Dialect != "gcore" || c.Secret != gcoreKey || opts.ProjectID != 111 || opts.RegionID != 76 || opts.Endpoint != "" {
		t.Fatalf("cloud %+v options %+v", c, opts)
	}
	if c.Timeout != gcore.DefaultTimeout || gcore.DefaultTimeout < time.Minute {
		t.Errorf("timeout %v: a gcore cloud without one gets %v, long enough for 15–30 s builds", c.Timeout, gcore.DefaultTimeout)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %v (gcore answers the configured zones itself)", f.Warnings)
	}
	a, err := c.Descriptor.OpenAdapter(c.Common, c.Options, dialect.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil || a.Dialect() != gcore.Name {
		t.Fatalf("open: %v %v", a, err)
	}
	defer a.Close()
	z, err := a.ListZones(t.Context())
	if err != nil || len(z) != 1 || z[0].Name != "luxembourg-1" {
		t.Errorf("zones %v %v", z, err)
	}

	// An explicit timeout wins; the key from a file has its newline trimmed;
	// inline is warned about without showing the key.
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(gcoreKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(gcoreDoc, "api_key_env: GCORE_API_KEY", "api_key_file: "+file+"\n    timeout: 45s\n    endpoint: https://api.gcore.com/cloud", 1)
	f, err = config.Parse([]byte(doc), env(nil), dialects.All)
	if err != nil || f.Clouds[0].Secret != gcoreKey || f.Clouds[0].Timeout != 45*time.Second {
		t.Fatalf("file key: %v %+v", err, f)
	}
	doc = strings.Replace(gcoreDoc, "api_key_env: GCORE_API_KEY", "api_key: "+gcoreKey, 1)
	f, err = config.Parse([]byte(doc), env(nil), dialects.All)
	if err != nil || len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "clouds[0].api_key") || strings.Contains(f.Warnings[0], gcoreKey) {
		t.Fatalf("inline key: %v %v", err, f.Warnings)
	}
}

func TestGcoreCloudErrors(t *testing.T) {
	e := env(map[string]string{"GCORE_API_KEY": gcoreKey})
	for _, c := range []struct{ edit, with, want string }{
		{"    project_id: 111\n", "", "clouds[0].project_id: required for dialect gcore"},
		{"    region_id: 76\n", "    region_id: lux\n", `clouds[0].region_id: "lux" is not an integer`},
		{"    api_key_env: GCORE_API_KEY\n", "", "clouds[0].api_key_env: missing credential"},
		{"    api_key_env: GCORE_API_KEY\n", "    api_key_env: NOT_SET\n", "NOT_SET"},
		{"    api_key_env: GCORE_API_KEY\n", "    api_key_env: GCORE_API_KEY\n    password_env: X\n", "clouds[0].password_env: is not used by dialect gcore"},
		{"    region_id: 76\n", "    region_id: 76\n    endpoint: ftp://x\n", "clouds[0].endpoint"},
	} {
		_, err := config.Parse([]byte(strings.Replace(gcoreDoc, c.edit, c.with, 1)), e, dialects.All)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q -> %q: %v, want %s", c.edit, c.with, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), gcoreKey) {
			t.Errorf("error shows the key: %v", err)
		}
	}
}
