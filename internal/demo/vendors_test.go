package demo

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/dialects"
)

// TestVendorsConfig: the config WriteConfig prints for the running fake
// vendors loads with the gateway's own strict loader (no warnings: the
// credentials are in files, not inline), names every demo cloud with its
// dialect, holds no credential, and each cloud it describes answers
// through an adapter opened from it.
func TestVendorsConfig(t *testing.T) {
	vs, stop := StartVendors()
	defer stop()
	dir := t.TempDir()
	data, err := WriteConfig(vs, dir, "127.0.0.1:8080", "127.0.0.1:9090")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if strings.Contains(string(data), v.SecretValue) {
			t.Errorf("the config holds %s's %s:\n%s", v.Cloud, v.Secret, data)
		}
		fi, err := os.Stat(filepath.Join(dir, v.Cloud+"."+v.Secret))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s's %s file: %v %v", v.Cloud, v.Secret, fi, err)
		}
	}
	path := filepath.Join(dir, "computegw.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path, func(string) (string, bool) { return "", false }, dialects.All)
	if err != nil {
		t.Fatalf("the printed config does not load: %v\n%s", err, data)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %v", f.Warnings)
	}
	if f.HTTPAddr != "127.0.0.1:8080" || f.GRPCAddr != "127.0.0.1:9090" {
		t.Errorf("addresses %q %q", f.HTTPAddr, f.GRPCAddr)
	}
	if len(f.Clouds) != len(Clouds) {
		t.Fatalf("%d clouds, want %d:\n%s", len(f.Clouds), len(Clouds), data)
	}
	for i, c := range f.Clouds {
		if c.Name != Clouds[i].Name || driver.Dialect(c.Dialect) != Clouds[i].Dialect {
			t.Errorf("cloud %d: %s/%s, want %s/%s", i, c.Name, c.Dialect, Clouds[i].Name, Clouds[i].Dialect)
			continue
		}
		a, err := c.Open(dialect.Deps{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Errorf("%s: open: %v", c.Name, err)
			continue
		}
		p, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
		if err != nil || len(p.Instances) < 2 {
			t.Errorf("%s: list through the config: %v %+v", c.Name, err, p)
		}
		zones, err := a.ListZones(ctx(t))
		if err != nil || len(zones) == 0 {
			t.Errorf("%s: zones: %v %v", c.Name, err, zones)
		}
		_ = a.Close()
	}

	// Uncommented, the TLS block serves mTLS with the files written.
	tlsOn := regexp.MustCompile(`(?m)^# ((?:tls|policy):.*|  .*)$`).ReplaceAllString(string(data), "$1")
	if tlsOn == string(data) {
		t.Fatalf("no commented-out tls block:\n%s", data)
	}
	f, err = config.Parse([]byte(tlsOn), func(string) (string, bool) { return "", false }, dialects.All)
	if err != nil {
		t.Fatalf("the config with its tls block uncommented: %v\n%s", err, tlsOn)
	}
	if f.TLS == nil || f.TLS.ClientCAFile == "" || len(f.Policy) != 1 || len(f.Warnings) != 0 {
		t.Errorf("tls %+v policy %+v warnings %v", f.TLS, f.Policy, f.Warnings)
	}
}
