package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBuild: the index names each module with the newest fixed version of
// its ranges, entries without a time get the snapshot's, and a file whose
// name is not its ID is refused.
func TestBuild(t *testing.T) {
	src := filepath.Join(t.TempDir(), "golang.org", "x", "vulndb@v0.0.0-20261105234957-e22db6528018", "data", "osv")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("GO-2026-0001.json", `{"id":"GO-2026-0001","modified":"0001-01-01T00:00:00Z","aliases":["CVE-1"],
		"affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[
		{"introduced":"0"},{"fixed":"1.25.9"},{"introduced":"1.26.0"},{"fixed":"1.26.9"}]}]}]}`)
	write("GO-2026-0002.json", `{"id":"GO-2026-0002","modified":"2026-12-01T10:00:00Z",
		"affected":[{"package":{"name":"example.com/m","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]},
		{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.27.1"}]}]}]}`)
	out := t.TempDir()
	n, err := build(src, out)
	if err != nil || n != 2 {
		t.Fatalf("build: %d, %v; want 2 entries", n, err)
	}
	var mods []moduleMeta
	read(t, filepath.Join(out, "index", "modules.json"), &mods)
	got := map[string]map[string]string{}
	for _, m := range mods {
		got[m.Path] = map[string]string{}
		for _, v := range m.Vulns {
			got[m.Path][v.ID] = v.Fixed
		}
	}
	if got["stdlib"]["GO-2026-0001"] != "1.26.9" || got["stdlib"]["GO-2026-0002"] != "1.27.1" ||
		got["example.com/m"]["GO-2026-0002"] != "" || len(got) != 2 {
		t.Errorf("modules.json = %v", got)
	}
	var db struct{ Modified time.Time }
	read(t, filepath.Join(out, "index", "db.json"), &db)
	if want := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC); !db.Modified.Equal(want) {
		t.Errorf("db.json modified %v, want the newest entry's %v", db.Modified, want)
	}
	var e entry
	read(t, filepath.Join(out, "ID", "GO-2026-0001.json"), &e)
	if want := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC); !e.Modified.Equal(want) {
		t.Errorf("GO-2026-0001 modified %v, want the snapshot's %v", e.Modified, want)
	}

	write("GO-2026-0003.json", `{"id":"GO-2026-0004"}`)
	if _, err := build(src, t.TempDir()); err == nil {
		t.Error("an entry whose ID is not its file name was accepted")
	}
	if _, err := build(t.TempDir(), t.TempDir()); err == nil {
		t.Error("a directory without OSV files was accepted")
	}
}

func read(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
