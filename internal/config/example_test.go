package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
)

// TestDeployExamplesParse keeps the shipped example configs valid.
func TestDeployExamplesParse(t *testing.T) {
	env := func(string) (string, bool) { return "a-long-enough-page-token-key", true }
	dir := t.TempDir()
	for _, n := range []string{"nhn", "toast", "k5"} {
		os.WriteFile(filepath.Join(dir, n), []byte("pw\n"), 0o600)
	}
	data, err := os.ReadFile("../../deploy/computegw.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The example points at /run/secrets/computegw; read them from dir.
	data = []byte(strings.ReplaceAll(string(data), "/run/secrets/computegw", dir))
	f, err := config.Parse(data, env, dialects.All)
	if err != nil {
		t.Fatalf("deploy/computegw.example.yaml: %v", err)
	}
	if len(f.Clouds) != 3 || f.PageTokenKey == nil || f.ShutdownTimeout == 0 {
		t.Errorf("parsed %+v", f)
	}
}
