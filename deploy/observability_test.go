package deploy_test

// The monitoring artefacts: the Prometheus alert rules (checked and
// unit-tested with the real promtool) and the Grafana dashboard (loaded,
// checked against Grafana's dashboard model, and every query parsed by
// promtool). Every metric either names must be one the gateway exports.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

const (
	rulesPath     = "prometheus/computegw.rules.yaml"
	rulesTestPath = "prometheus/computegw.rules.test.yaml"
	dashboardPath = "grafana/computegw.json"
)

// promtool finds the real promtool (Debian's prometheus package; .ci/run
// installs it). Without it the test skips, unless
// COMPUTEGW_REQUIRE_PROMTOOL=1 (CI) makes that a failure.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("COMPUTEGW_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool is not installed (apt-get install prometheus)")
		}
		t.Skip("promtool is not installed (apt-get install prometheus); CI runs this")
	}
	return p
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// exportedMetrics are the gateway's metric names, read from the
// definitions in internal/telemetry, with the series names a histogram
// adds.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../internal/telemetry/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name:\s+"(computegw_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			out[m[1]+suffix] = true
		}
	}
	if len(out) < 6 {
		t.Fatalf("found only %d metric names in internal/telemetry/metrics.go", len(out))
	}
	return out
}

var metricRef = regexp.MustCompile(`\bcomputegw_[a-z_]+\b`)

func checkMetricNames(t *testing.T, what, expr string, known map[string]bool) {
	t.Helper()
	for _, m := range metricRef.FindAllString(expr, -1) {
		if !known[m] {
			t.Errorf("%s: %s is not a metric the gateway exports", what, m)
		}
	}
}

func TestAlertRules(t *testing.T) {
	data, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
				Labels      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	known := exportedMetrics(t)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			checkMetricNames(t, "alert "+r.Alert, r.Expr, known)
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s has no severity label", r.Alert)
			}
		}
	}
	// What an operator of a gateway in front of several clouds alerts on.
	for _, want := range []string{"ComputegwDown", "ComputegwBackendErrorRatioHigh", "ComputegwBackendLatencyHigh", "ComputegwBackendLoginsRejected", "ComputegwBackendCircuitOpen"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
	runPromtool(t, "check", "rules", rulesPath)
	runPromtool(t, "test", "rules", rulesTestPath)
}

// dashboard is the part of Grafana's dashboard model the checks read.
type dashboard struct {
	Title         string `json:"title"`
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name, Type string
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource struct {
			Type, UID string
		} `json:"datasource"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func TestDashboard(t *testing.T) {
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s does not load: %v", dashboardPath, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("title %q uid %q schemaVersion %d: a dashboard needs all three (schemaVersion >= 36)", d.Title, d.UID, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" {
		t.Errorf("no datasource variable: the dashboard must not hard-code a Prometheus")
	}
	known := exportedMetrics(t)
	ids := map[int]bool{}
	covered := map[string]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for _, p := range d.Panels {
		what := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if ids[p.ID] {
			t.Errorf("%s: duplicate id", what)
		}
		ids[p.ID] = true
		if !slices.Contains([]string{"timeseries", "stat", "gauge", "table", "bargauge", "heatmap"}, p.Type) {
			t.Errorf("%s: type %q", what, p.Type)
		}
		if p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
			t.Errorf("%s: datasource %+v, want the ${datasource} variable", what, p.Datasource)
		}
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside Grafana's 24 columns", what, g)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", what)
		}
		for _, q := range p.Targets {
			if q.RefID == "" || q.Expr == "" {
				t.Errorf("%s: a target without refId or expr", what)
				continue
			}
			checkMetricNames(t, what, q.Expr, known)
			for _, m := range metricRef.FindAllString(q.Expr, -1) {
				covered[m] = true
			}
			for _, v := range regexp.MustCompile(`\$\{?([a-zA-Z_]+)`).FindAllStringSubmatch(q.Expr, -1) {
				if _, ok := vars[v[1]]; !ok && !strings.HasPrefix(v[1], "__") {
					t.Errorf("%s: $%s is not a dashboard variable", what, v[1])
				}
			}
			// As a recording rule, so promtool parses the query with
			// Prometheus's own parser (variables filled in as Grafana would).
			expr := strings.NewReplacer("$__rate_interval", "5m", "$cloud", ".*").Replace(q.Expr)
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d:%s\n        expr: %q\n", p.ID, strings.ToLower(q.RefID), expr)
		}
	}
	// The panels: calls and errors per RPC and cloud, backend
	// latency per cloud, logins, watch streams; each cloud's circuit
	// breaker and read retries.
	for _, m := range []string{"computegw_requests_total", "computegw_backend_request_duration_seconds_bucket",
		"computegw_backend_logins_total", "computegw_watch_streams", "computegw_backend_requests_total",
		"computegw_backend_circuit_state", "computegw_backend_retries_total"} {
		if !covered[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
	f := filepath.Join(t.TempDir(), "dashboard-queries.yaml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, "check", "rules", f)
}

// checkAdminListener checks a Kubernetes pod's admin listener (addr, the
// config's admin_addr or --admin-addr): reachable from the cluster's
// Prometheus (not loopback), and the pod's prometheus.io annotations point
// at it. It returns the admin port, 0 when there is no admin listener.
func checkAdminListener(t *testing.T, addr string, annotations map[string]string) int {
	t.Helper()
	if addr == "" {
		if annotations["prometheus.io/scrape"] == "true" {
			t.Errorf("the pod asks Prometheus to scrape it, but the config has no admin_addr: /metrics is served only there")
		}
		return 0
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("admin_addr %q: %v", addr, err)
		return 0
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		t.Errorf("admin_addr %s is loopback only: Prometheus cannot scrape it", addr)
	}
	if annotations["prometheus.io/scrape"] != "true" || annotations["prometheus.io/port"] != port ||
		cmp.Or(annotations["prometheus.io/path"], "/metrics") != "/metrics" {
		t.Errorf("pod annotations %v: want prometheus.io/scrape \"true\", prometheus.io/port %q (admin_addr) and path /metrics", annotations, port)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// scrapeAdmin reads /metrics from the admin listener named in the
// gateway's "computegw serving" line and parses it as Prometheus does.
func scrapeAdmin(t *testing.T, stderr string) {
	t.Helper()
	var addr string
	for _, line := range strings.Split(stderr, "\n") {
		var l struct {
			Msg       string `json:"msg"`
			AdminAddr string `json:"admin_addr"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "computegw serving" {
			addr = l.AdminAddr
		}
	}
	if addr == "" {
		t.Error("the gateway's serving line names no admin_addr")
		return
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Errorf("admin /metrics: %v", err)
		return
	}
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if res.StatusCode != 200 || err != nil {
		t.Errorf("admin /metrics: HTTP %d, %v", res.StatusCode, err)
		return
	}
	if fams["computegw_watch_streams"] == nil || fams["computegw_backend_logins_total"] == nil {
		t.Errorf("admin /metrics lacks the gateway's metrics: %d families", len(fams))
	}
}
