package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/gen"
)

// TestTypeScriptClient generates a TypeScript client from the OpenAPI 3
// document the real binary serves (openapi-typescript types, openapi-fetch
// calls, pinned in e2e/tsclient/package-lock.json), type-checks it with tsc
// and runs create -> get -> stop -> delete through it, with IDs from the
// API's own discovery lists. It needs node and npm; without them it skips,
// unless COMPUTEGW_REQUIRE_NODE=1 (CI sets it).
func TestTypeScriptClient(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("COMPUTEGW_REQUIRE_NODE") == "1" {
				t.Fatalf("%s is not installed, and COMPUTEGW_REQUIRE_NODE=1", tool)
			}
			t.Skipf("%s is not installed: the generated TypeScript client cannot run here", tool)
		}
	}
	dir, err := filepath.Abs("tsclient")
	if err != nil {
		t.Fatal(err)
	}
	npmInstall(t, dir)

	g := start(t, []string{"COMPUTEGW_CONFIG="})
	code, served := g.do(t, "GET", "/openapi.v3.json", nil)
	if code != 200 || !bytes.Equal(served, gen.OpenAPIv3) || !bytes.Contains(served, []byte(`"openapi": "3.0`)) {
		t.Fatalf("GET /openapi.v3.json: HTTP %d, %d bytes, not the committed OpenAPI 3 document", code, len(served))
	}
	build := filepath.Join(dir, "build")
	if err := os.MkdirAll(build, 0o755); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(build, "openapi.v3.json")
	if err := os.WriteFile(doc, served, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, 2*time.Minute, "node", "node_modules/openapi-typescript/bin/cli.js", doc, "-o", filepath.Join(build, "schema.d.ts"))
	run(t, dir, 2*time.Minute, "node", "node_modules/typescript/bin/tsc", "-p", ".")
	out := run(t, dir, 2*time.Minute, "node", filepath.Join(build, "lifecycle.js"), "http://"+g.httpAddr)
	for _, want := range []string{"created clouds/nhn-demo/instances/", "running", "stopped", "deleted", "LIFECYCLE OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("lifecycle output lacks %q:\n%s", want, out)
		}
	}
}

// npmInstall runs `npm ci` unless node_modules already holds exactly the
// locked packages (npm's hidden lockfile is newer than package-lock.json).
func npmInstall(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if hidden, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && hidden.ModTime().After(lock.ModTime()) {
		return
	}
	run(t, dir, 5*time.Minute, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
}

func run(t *testing.T, dir string, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, code := runFor(t, cmd, timeout)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// TestOpenAPIDocuments: the served documents name the real REST paths
// (finding 2: no /v1/{name} placeholders, GET and DELETE of an instance on
// one path), every operation ID once, and the :watch stream as
// newline-delimited JSON (finding 3).
func TestOpenAPIDocuments(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	for _, path := range []string{"/openapi.json", "/openapi.v3.json"} {
		var doc struct {
			Swagger, Openapi string
			Paths            map[string]map[string]struct {
				OperationID string `json:"operationId"`
				Produces    []string
				Responses   map[string]struct {
					Content map[string]any
				}
			}
		}
		if code := g.rest(t, "GET", path, nil, &doc); code != 200 {
			t.Fatalf("GET %s: HTTP %d", path, code)
		}
		ids := map[string]string{}
		for p, ops := range doc.Paths {
			if strings.Contains(p, "{name") || strings.Contains(p, "{parent") || strings.Contains(p, "{instance.name") {
				t.Errorf("%s: placeholder path %s", path, p)
			}
			for m, op := range ops {
				if prev, dup := ids[op.OperationID]; dup {
					t.Errorf("%s: operationId %s on %s and %s %s", path, op.OperationID, prev, m, p)
				}
				ids[op.OperationID] = m + " " + p
			}
		}
		inst := doc.Paths["/v1/clouds/{cloud}/instances/{instance}"]
		if inst["get"].OperationID != "ComputeService_GetInstance" || inst["delete"].OperationID != "ComputeService_DeleteInstance" {
			t.Errorf("%s: instance path %+v", path, inst)
		}
		for _, p := range []string{"/v1/clouds/{cloud}/instances/{instance}:stop", "/v1/clouds/{cloud}/images", "/v1/clouds/{cloud}/images/{image}",
			"/v1/clouds/{cloud}/networks", "/v1/clouds/{cloud}/volumes", "/v1/clouds/{cloud}/securityGroups"} {
			if len(doc.Paths[p]) == 0 {
				t.Errorf("%s: no path %s", path, p)
			}
		}
		watch := doc.Paths["/v1/clouds/{cloud}/instances/{instance}:watch"]["get"]
		switch {
		case doc.Swagger == "2.0":
			if strings.Join(watch.Produces, ",") != "application/x-ndjson" {
				t.Errorf("%s: watch produces %v", path, watch.Produces)
			}
		case strings.HasPrefix(doc.Openapi, "3.0"):
			if _, ok := watch.Responses["200"].Content["application/x-ndjson"]; !ok {
				t.Errorf("%s: watch 200 content %v", path, watch.Responses["200"].Content)
			}
		default:
			t.Errorf("%s: neither swagger 2.0 nor openapi 3.0", path)
		}
	}
}
