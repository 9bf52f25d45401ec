// Command vulndb builds a Go vulnerability database in the v1 layout that
// govulncheck reads with -db file:///DIR (index/db.json, index/modules.json,
// index/vulns.json, ID/GO-YYYY-NNNN.json) from the OSV files of the
// golang.org/x/vulndb module (its data/osv directory), offline: CI downloads
// the module through the module proxy and never reaches vuln.go.dev.
//
//	go run ./internal/tools/vulndb -src $(go mod download -json golang.org/x/vulndb@VERSION | jq .Dir)/data/osv -out DIR
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases"`
	Affected []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

var idPattern = regexp.MustCompile(`^GO-\d{4}-\d{4,}$`)

func main() {
	src := flag.String("src", "", "the data/osv directory of the golang.org/x/vulndb module")
	out := flag.String("out", "", "directory to write the database to (created)")
	flag.Parse()
	if *src == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "vulndb: -src and -out are required")
		os.Exit(2)
	}
	n, err := build(*src, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
	fmt.Printf("vulndb: %d entries from %s written to %s\n", n, *src, *out)
}

// build converts every GO-*.json of src and returns how many it wrote.
func build(src, out string) (int, error) {
	files, err := filepath.Glob(filepath.Join(src, "GO-*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("%s holds no GO-*.json OSV files (want the data/osv directory of golang.org/x/vulndb)", src)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return 0, err
	}
	// The module's OSV files carry no modification time (the vulndb
	// repository takes it from git history): the snapshot's own time, from
	// the module's pseudo-version, stands in for it.
	snapshot := snapshotTime(src)
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	var newest time.Time
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if !idPattern.MatchString(e.ID) || e.ID+".json" != filepath.Base(f) {
			return 0, fmt.Errorf("%s: id %q does not match the file name", f, e.ID)
		}
		if e.Modified.Year() < 2000 {
			e.Modified = snapshot
			// Keep the entry and its index consistent.
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return 0, err
			}
			doc["modified"] = snapshot.Format(time.RFC3339)
			if raw, err = json.Marshal(doc); err != nil {
				return 0, err
			}
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), raw, 0o644); err != nil {
			return 0, err
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			if a.Package.Ecosystem != "Go" || a.Package.Name == "" {
				continue
			}
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			fixed := ""
			for _, r := range a.Ranges {
				if r.Type != "SEMVER" {
					continue
				}
				for _, ev := range r.Events {
					if v, ok := ev["fixed"]; ok && (fixed == "" || semver.Compare("v"+v, "v"+fixed) > 0) {
						fixed = v
					}
				}
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: fixed})
		}
	}
	list := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].ID < vulns[j].ID })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": newest},
		"modules.json": list,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

// snapshotTime is the commit time in the pseudo-version of the module
// directory holding src (…/golang.org/x/vulndb@v0.0.0-YYYYMMDDhhmmss-…/data/osv),
// else the Unix epoch.
func snapshotTime(src string) time.Time {
	for dir := filepath.Clean(src); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, v, ok := strings.Cut(filepath.Base(dir), "@"); ok {
			if t, err := module.PseudoVersionTime(v); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Unix(0, 0).UTC()
}
