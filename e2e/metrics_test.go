package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/faulttest"
)

// pinnedMetrics are the metrics the gateway promises (README.md, Metrics):
// type and exact label set.
var pinnedMetrics = map[string]struct {
	typ    dto.MetricType
	labels []string
}{
	"computegw_requests_total":                   {dto.MetricType_COUNTER, []string{"cloud", "code", "method", "transport"}},
	"computegw_request_duration_seconds":         {dto.MetricType_HISTOGRAM, []string{"method", "transport"}},
	"computegw_backend_requests_total":           {dto.MetricType_COUNTER, []string{"cloud", "dialect", "status"}},
	"computegw_backend_request_duration_seconds": {dto.MetricType_HISTOGRAM, []string{"cloud", "dialect"}},
	"computegw_backend_logins_total":             {dto.MetricType_COUNTER, []string{"cloud", "result"}},
	"computegw_watch_streams":                    {dto.MetricType_GAUGE, nil},
}

// adminAddr is the admin listener's address from the "computegw serving"
// log line.
func (g *gateway) adminAddr(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(g.stderr.String(), "\n") {
		var l struct {
			Msg       string `json:"msg"`
			AdminAddr string `json:"admin_addr"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "computegw serving" {
			if l.AdminAddr == "" {
				t.Fatalf("the serving line names no admin_addr: %s", line)
			}
			return l.AdminAddr
		}
	}
	t.Fatal("no serving line")
	return ""
}

// metricSet is one scrape of /metrics, parsed by the Prometheus text parser.
type metricSet map[string]*dto.MetricFamily

func scrape(t *testing.T, addr string) metricSet {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: HTTP %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the sample of name with exactly labels (a counter's or gauge's
// value, a histogram's count); 0 when there is none.
func (m metricSet) value(name string, labels ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	f := m[name]
	if f == nil {
		return 0
	}
	for _, s := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range s.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return s.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return s.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(s.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// sum adds up every sample of a counter.
func (m metricSet) sum(name string) float64 {
	n := 0.0
	for _, s := range m[name].GetMetric() {
		n += s.GetCounter().GetValue()
	}
	return n
}

// series lists name's samples as "label=value,..." strings (for failure
// messages and label checks).
func (m metricSet) series(name string) []string {
	var out []string
	for _, s := range m[name].GetMetric() {
		var ls []string
		for _, l := range s.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		out = append(out, strings.Join(ls, ","))
	}
	sort.Strings(out)
	return out
}

// checkPinned asserts every pinned metric is present with its type and
// exactly its label set, and that no label value anywhere holds one of
// forbidden (secrets, names the caller sent).
func checkPinned(t *testing.T, m metricSet, forbidden ...string) {
	t.Helper()
	checkPinnedSome(t, m, false, forbidden...)
}

// checkPinnedSome is checkPinned; with fresh, a counter or histogram
// whose series are made by calls may be absent (before any call).
func checkPinnedSome(t *testing.T, m metricSet, fresh bool, forbidden ...string) {
	t.Helper()
	for name, want := range pinnedMetrics {
		f := m[name]
		if f == nil {
			if !fresh || name == "computegw_watch_streams" || name == "computegw_backend_logins_total" {
				t.Errorf("%s is missing", name)
			}
			continue
		}
		if f.GetType() != want.typ {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), want.typ)
		}
		for _, s := range f.GetMetric() {
			var got []string
			for _, l := range s.GetLabel() {
				got = append(got, l.GetName())
			}
			sort.Strings(got)
			if !slices.Equal(got, want.labels) {
				t.Errorf("%s has labels %v, want exactly %v", name, got, want.labels)
			}
		}
	}
	for _, f := range m {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				for _, bad := range forbidden {
					if strings.Contains(l.GetValue(), bad) {
						t.Errorf("%s{%s=%q}: a label holds %q", f.GetName(), l.GetName(), l.GetValue(), bad)
					}
				}
			}
		}
	}
}

// delta asserts after - before of one series.
func delta(t *testing.T, before, after metricSet, want float64, name string, labels ...string) {
	t.Helper()
	if got := after.value(name, labels...) - before.value(name, labels...); got != want {
		t.Errorf("%s%v went up by %v, want %v\nnow: %v", name, labels, got, want, after.series(name))
	}
}

// TestMetrics runs the binary in config mode against the fake vendors,
// with one cloud whose password is wrong and one whose identity endpoint
// does not answer, and checks /metrics on the admin listener: the pinned
// names, types and label sets, and the exact counter deltas of known calls
// over both transports — the call counters, the backend statuses (a vendor
// 404, a 401 login, a request that got no answer) and the logins.
func TestMetrics(t *testing.T) {
	nhn, toast, k5 := startFakes(t)
	const badPassword = "Wr0ng-NHN-Passw0rd"
	cfg := "admin_addr: 127.0.0.1:0\nclouds:\n" +
		nhnEntry("nhn-kr1", nhn.URL) + toastEntry("toast", toast.URL) + k5Entry("k5-uk1", k5.URL, "zones", "["+k5fake.ZoneA+"]") +
		nhnEntry("nhn-bad", nhn.URL, "password_env", "E2E_BAD_PASSWORD") +
		k5Entry("k5-down", "http://"+faulttest.ClosedAddr(), "timeout", "5s")
	g := start(t, demoPasswords("E2E_BAD_PASSWORD="+badPassword), "--config", writeFile(t, "computegw.yaml", cfg))
	admin := g.adminAddr(t)
	c := ctx(t)

	// Before any call: the gauge at 0, and every cloud's login results
	// at 0.
	m0 := scrape(t, admin)
	checkPinnedSome(t, m0, true)
	if v := m0.value("computegw_watch_streams"); v != 0 {
		t.Errorf("computegw_watch_streams = %v before any watch", v)
	}
	if n, sum := len(m0.series("computegw_backend_logins_total")), m0.sum("computegw_backend_logins_total"); n != 5*3 || sum != 0 {
		t.Errorf("logins before any call: %v", m0.series("computegw_backend_logins_total"))
	}

	// Warm up the good clouds (one login each, flavor caches filled),
	// counting the logins.
	for _, cloud := range []string{"nhn-kr1", "toast", "k5-uk1"} {
		if _, err := g.client.ListInstances(c, &pb.ListInstancesRequest{Parent: "clouds/" + cloud}); err != nil {
			t.Fatalf("%s: %v", cloud, err)
		}
	}
	// The flavor caches fill in the background: wait for them, so that
	// no flavor read lands among the counted calls below.
	var m1 metricSet
	eventually.Nil(t, 20*time.Second, "flavor caches filled", func() error {
		m1 = scrape(t, admin)
		if m1.value("computegw_flavor_cache_refreshes_total", "cloud", "nhn-kr1", "result", "ok") == 1 &&
			m1.value("computegw_flavor_cache_refreshes_total", "cloud", "k5-uk1", "result", "ok") == 1 {
			return nil
		}
		return eventually.NotYet("%v", m1.series("computegw_flavor_cache_refreshes_total"))
	})
	for _, cloud := range []string{"nhn-kr1", "toast", "k5-uk1"} {
		delta(t, m0, m1, 1, "computegw_backend_logins_total", "cloud", cloud, "result", "ok")
		delta(t, m0, m1, 1, "computegw_requests_total", "method", "ListInstances", "cloud", cloud, "code", "OK", "transport", "grpc")
		if m1.value("computegw_backend_requests_total", "cloud", cloud, "dialect", dialectOf(cloud), "status", "200")+
			m1.value("computegw_backend_requests_total", "cloud", cloud, "dialect", dialectOf(cloud), "status", "201") < 2 {
			t.Errorf("%s: fewer than two answered backend requests (a login and a list): %v", cloud, m1.series("computegw_backend_requests_total"))
		}
	}

	// Known calls, each on a warm cloud (no login, no flavor read).
	rest := func(method, path string, body any, wantHTTP int) {
		t.Helper()
		if code := g.rest(t, method, path, body, nil); code != wantHTTP {
			t.Errorf("%s %s: HTTP %d, want %d", method, path, code, wantHTTP)
		}
	}
	grpcCode := func(err error, want codes.Code) {
		t.Helper()
		if status.Code(err) != want {
			t.Errorf("got %v, want %v", err, want)
		}
	}
	// The same RPC on both transports, a vendor 404 each time.
	_, err := g.client.GetInstance(c, &pb.GetInstanceRequest{Name: "clouds/nhn-kr1/instances/0000-no-such-server"})
	grpcCode(err, codes.NotFound)
	rest("GET", "/v1/clouds/nhn-kr1/instances/0000-no-such-server", nil, 404)
	// Calls that name no cloud, every cloud, and a cloud not configured
	// (its name must not become a label).
	_, err = g.client.ListClouds(c, &pb.ListCloudsRequest{})
	grpcCode(err, codes.OK)
	rest("GET", "/v1/clouds", nil, 200)
	_, err = g.client.GetCloud(c, &pb.GetCloudRequest{Name: "clouds/not-a-cloud-e2e"})
	grpcCode(err, codes.NotFound)
	rest("GET", "/v1/clouds/not-a-cloud-e2e/instances", nil, 404)
	// Flavors on toast, answered from the backend.
	rest("GET", "/v1/clouds/toast/flavors", nil, 200)
	// The wrong password: one rejected login (HTTP 401), then the
	// back-off answers the second call without a login.
	rest("GET", "/v1/clouds/nhn-bad/instances", nil, 400)
	_, err = g.client.ListInstances(c, &pb.ListInstancesRequest{Parent: "clouds/nhn-bad"})
	grpcCode(err, codes.FailedPrecondition)
	// An identity endpoint that does not answer: the login errs, no HTTP
	// status came back.
	_, err = g.client.ListZones(c, &pb.ListZonesRequest{Parent: "clouds/k5-down"})
	grpcCode(err, codes.Unavailable)
	m2 := scrape(t, admin)

	req := "computegw_requests_total"
	delta(t, m1, m2, 1, req, "method", "GetInstance", "cloud", "nhn-kr1", "code", "NOT_FOUND", "transport", "grpc")
	delta(t, m1, m2, 1, req, "method", "GetInstance", "cloud", "nhn-kr1", "code", "NOT_FOUND", "transport", "rest")
	delta(t, m1, m2, 1, req, "method", "ListClouds", "cloud", "", "code", "OK", "transport", "grpc")
	delta(t, m1, m2, 1, req, "method", "ListClouds", "cloud", "", "code", "OK", "transport", "rest")
	delta(t, m1, m2, 1, req, "method", "GetCloud", "cloud", "_unknown", "code", "NOT_FOUND", "transport", "grpc")
	delta(t, m1, m2, 1, req, "method", "ListInstances", "cloud", "_unknown", "code", "NOT_FOUND", "transport", "rest")
	delta(t, m1, m2, 1, req, "method", "ListFlavors", "cloud", "toast", "code", "OK", "transport", "rest")
	delta(t, m1, m2, 1, req, "method", "ListInstances", "cloud", "nhn-bad", "code", "FAILED_PRECONDITION", "transport", "rest")
	delta(t, m1, m2, 1, req, "method", "ListInstances", "cloud", "nhn-bad", "code", "FAILED_PRECONDITION", "transport", "grpc")
	delta(t, m1, m2, 1, req, "method", "ListZones", "cloud", "k5-down", "code", "UNAVAILABLE", "transport", "grpc")
	if calls := m2.sum(req) - m1.sum(req); calls != 10 {
		t.Errorf("%v calls counted, want the 10 made: %v", calls, m2.series(req))
	}
	delta(t, m1, m2, 2, "computegw_request_duration_seconds", "method", "ListInstances", "transport", "rest")
	delta(t, m1, m2, 1, "computegw_request_duration_seconds", "method", "ListInstances", "transport", "grpc")

	back := "computegw_backend_requests_total"
	delta(t, m1, m2, 2, back, "cloud", "nhn-kr1", "dialect", "nhnv2", "status", "404")
	delta(t, m1, m2, 0, back, "cloud", "nhn-kr1", "dialect", "nhnv2", "status", "200")
	delta(t, m1, m2, 1, back, "cloud", "toast", "dialect", "toastv1", "status", "200")
	delta(t, m1, m2, 1, back, "cloud", "nhn-bad", "dialect", "nhnv2", "status", "401")
	delta(t, m1, m2, 1, back, "cloud", "k5-down", "dialect", "k5", "status", "error")
	delta(t, m1, m2, 2, "computegw_backend_request_duration_seconds", "cloud", "nhn-kr1", "dialect", "nhnv2")

	login := "computegw_backend_logins_total"
	for _, cloud := range []string{"nhn-kr1", "toast", "k5-uk1"} {
		delta(t, m1, m2, 0, login, "cloud", cloud, "result", "ok")
	}
	delta(t, m1, m2, 1, login, "cloud", "nhn-bad", "result", "rejected")
	delta(t, m1, m2, 1, login, "cloud", "k5-down", "result", "error")
	if until := m2.value("computegw_backend_login_backoff_until_timestamp_seconds", "cloud", "nhn-bad"); until < float64(time.Now().Unix()) {
		t.Errorf("nhn-bad login back-off until %v, want a time ahead", until)
	}
	checkPinned(t, m2, append([]string{"not-a-cloud-e2e", "0000-no-such-server", badPassword}, demoSecrets()...)...)

	// Watch streams, one per transport: the gauge counts them while open.
	wctx, cancel := context.WithCancel(c)
	stream, err := g.client.WatchInstance(wctx, &pb.WatchInstanceRequest{Name: firstInstance(t, g, "k5-uk1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	hreq, _ := http.NewRequestWithContext(wctx, "GET", "http://"+g.httpAddr+"/v1/"+firstInstance(t, g, "nhn-kr1")+":watch", nil)
	hres, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer hres.Body.Close()
	if _, err := hres.Body.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if v := scrape(t, admin).value("computegw_watch_streams"); v != 2 {
		t.Errorf("computegw_watch_streams = %v with two watches open", v)
	}
	cancel()
	io.Copy(io.Discard, hres.Body)
	// The gauge drops as each stream ends, a moment before the call is
	// counted: wait for both.
	var m metricSet
	eventually.Nil(t, 10*time.Second, "both watches ended and counted", func() error {
		m = scrape(t, admin)
		if v, watches := m.value("computegw_watch_streams"), m.sum(req)-m2.sum(req); v != 0 || watches < 4 {
			return eventually.NotYet("computegw_watch_streams = %v, %v more calls", v, watches)
		}
		return nil
	})
	delta(t, m2, m, 1, req, "method", "WatchInstance", "cloud", "k5-uk1", "code", "CANCELLED", "transport", "grpc")
	delta(t, m2, m, 1, req, "method", "WatchInstance", "cloud", "nhn-kr1", "code", "CANCELLED", "transport", "rest")
}

func dialectOf(cloud string) string {
	switch {
	case strings.HasPrefix(cloud, "nhn"):
		return "nhnv2"
	case strings.HasPrefix(cloud, "toast"):
		return "toastv1"
	}
	return "k5"
}

func firstInstance(t *testing.T, g *gateway, cloud string) string {
	t.Helper()
	res, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/" + cloud, PageSize: 1})
	if err != nil || len(res.GetInstances()) == 0 {
		t.Fatalf("%s: no instance to watch (%v)", cloud, err)
	}
	return res.GetInstances()[0].GetName()
}

// TestAdminListener: demo mode with --admin-addr serves /metrics,
// /debug/pprof/, /healthz and /readyz there, and the public listener serves
// none of the admin paths.
func TestAdminListener(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="}, "--admin-addr", "127.0.0.1:0")
	admin := g.adminAddr(t)
	get := func(base, path string) (int, string) {
		t.Helper()
		res, err := http.Get("http://" + base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if _, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/-"}); err != nil {
		t.Fatal(err)
	}
	m := scrape(t, admin)
	checkPinned(t, m)
	if v := m.value("computegw_requests_total", "method", "ListInstances", "cloud", "-", "code", "OK", "transport", "grpc"); v != 1 {
		t.Errorf("ListInstances on clouds/- counted %v times: %v", v, m.series("computegw_requests_total"))
	}
	for _, cloud := range []string{"nhn-demo", "toast-demo", "k5-demo"} {
		if v := m.value("computegw_backend_logins_total", "cloud", cloud, "result", "ok"); v != 1 {
			t.Errorf("%s: %v logins", cloud, v)
		}
	}
	for _, fam := range []string{"go_goroutines", "process_resident_memory_bytes", "computegw_requests_in_flight"} {
		if m[fam] == nil {
			t.Errorf("%s is missing", fam)
		}
	}
	if code, body := get(admin, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("admin /debug/pprof/: HTTP %d", code)
	}
	if code, body := get(admin, "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("admin goroutine profile: HTTP %d", code)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := get(admin, p); code != 200 {
			t.Errorf("admin %s: HTTP %d", p, code)
		}
	}
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/goroutine"} {
		if code, _ := get(g.httpAddr, p); code != 404 {
			t.Errorf("public listener %s: HTTP %d, want 404", p, code)
		}
	}
}
