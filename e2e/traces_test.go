package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
)

// otlpReceiver is an OTLP/gRPC trace collector: the TraceService a real
// collector serves, keeping every span it is sent.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	addr string

	mu       sync.Mutex
	spans    []*tracepb.Span
	services map[string]bool // service.name of the resources seen
}

func startReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{addr: lis.Addr().String(), services: map[string]bool{}}
	gs := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(gs, r)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return r
}

func (r *otlpReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				r.services[kv.GetValue().GetStringValue()] = true
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// trace returns the spans of one trace.
func (r *otlpReceiver) trace(id string) []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range r.spans {
		if hex.EncodeToString(s.GetTraceId()) == id {
			out = append(out, s)
		}
	}
	return out
}

func (r *otlpReceiver) all() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

func attr(s *tracepb.Span, key string) (string, bool) {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			return anyString(kv.GetValue()), true
		}
	}
	return "", false
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// spanTexts is everything a span shows a reader: its name, status message,
// attributes, events and their attributes, links.
func spanTexts(s *tracepb.Span) []string {
	out := []string{s.GetName(), s.GetStatus().GetMessage()}
	for _, kv := range s.GetAttributes() {
		out = append(out, kv.GetKey()+"="+anyString(kv.GetValue()))
	}
	for _, e := range s.GetEvents() {
		out = append(out, e.GetName())
		for _, kv := range e.GetAttributes() {
			out = append(out, kv.GetKey()+"="+anyString(kv.GetValue()))
		}
	}
	return out
}

// tokenRecorder is a reverse proxy in front of a fake vendor that notes
// every token the gateway sends it or is given by it, so the test knows
// the secrets to look for.
type tokenRecorder struct {
	mu     sync.Mutex
	tokens map[string]bool
	srv    *httptest.Server
}

func recordTokens(t *testing.T, target string) *tokenRecorder {
	t.Helper()
	rec := &tokenRecorder{tokens: map[string]bool{}}
	rec.srv = vendorProxy(t, target, func(r *http.Request) bool {
		if tok := r.Header.Get("X-Auth-Token"); tok != "" {
			rec.add(tok)
		}
		return true
	}, func(res *http.Response) {
		if tok := res.Header.Get("X-Subject-Token"); tok != "" {
			rec.add(tok)
		}
	})
	return rec
}

func (r *tokenRecorder) add(tok string) { r.mu.Lock(); r.tokens[tok] = true; r.mu.Unlock() }

func (r *tokenRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for t := range r.tokens {
		out = append(out, t)
	}
	return out
}

// TestTraces points the binary at an OTLP receiver in this process with
// OTEL_EXPORTER_OTLP_ENDPOINT and makes a REST call and a gRPC call, each
// with a caller's traceparent: the server span is the caller's child, each
// backend request a child span (a login's under the login span) with the
// cloud, dialect, method, status and a URL path without the appkey; no
// span holds a password, token or appkey; the log lines of the calls carry
// their trace_id and span_id.
func TestTraces(t *testing.T) {
	recv := startReceiver(t)
	nhn, toast, k5 := startFakes(t)
	nhnP, toastP, k5P := recordTokens(t, nhn.URL), recordTokens(t, toast.URL), recordTokens(t, k5.URL)
	cfg := "clouds:\n" + nhnEntry("nhn-kr1", nhnP.srv.URL, "compute_endpoint", nhnP.srv.URL) + toastEntry("toast", toastP.srv.URL) +
		k5Entry("k5-uk1", k5P.srv.URL, "compute_endpoint", k5P.srv.URL, "zones", "["+k5fake.ZoneA+"]")
	g := start(t, demoPasswords(
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+recv.addr,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_BSP_SCHEDULE_DELAY=50",
		"OTEL_SERVICE_NAME=computegw-e2e",
	), "--config", writeFile(t, "computegw.yaml", cfg))

	type call struct {
		name, cloud, dialect, transport string
		traceID, parentID               string
		do                              func(traceparent string) error
	}
	// grpcCall is the do of a gRPC call: f on a context carrying the
	// caller's traceparent.
	grpcCall := func(f func(c context.Context) error) func(traceparent string) error {
		return func(tp string) error { return f(metadata.AppendToOutgoingContext(ctx(t), "traceparent", tp)) }
	}
	calls := []call{
		{name: "ListInstances", cloud: "toast", dialect: "toastv1", transport: "rest",
			traceID: "4bf92f3577b34da6a3ce929d0e0e4736", parentID: "00f067aa0ba902b7",
			do: func(tp string) error {
				req, _ := http.NewRequest("GET", "http://"+g.httpAddr+"/v1/clouds/toast/instances", nil)
				req.Header.Set("traceparent", tp)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					return fmt.Errorf("HTTP %d", res.StatusCode)
				}
				return nil
			}},
		{name: "ListInstances", cloud: "k5-uk1", dialect: "k5", transport: "grpc",
			traceID: "0af7651916cd43dd8448eb211c80319c", parentID: "b7ad6b7169203331",
			do: grpcCall(func(c context.Context) error {
				_, err := g.client.ListInstances(c, &pb.ListInstancesRequest{Parent: "clouds/k5-uk1"})
				return err
			})},
		{name: "GetInstance", cloud: "nhn-kr1", dialect: "nhnv2", transport: "grpc",
			traceID: "5b8aa5a2d2c872e8321cf37308d69df2", parentID: "051581bf3cb55c13",
			do: grpcCall(func(c context.Context) error {
				if _, err := g.client.GetInstance(c, &pb.GetInstanceRequest{Name: "clouds/nhn-kr1/instances/00000000-no-such-server"}); err == nil {
					return fmt.Errorf("found a server that does not exist")
				}
				return nil
			})},
	}
	for _, c := range calls {
		if err := c.do("00-" + c.traceID + "-" + c.parentID + "-01"); err != nil {
			t.Fatalf("%s %s: %v", c.transport, c.name, err)
		}
	}

	for _, c := range calls {
		t.Run(c.transport+"-"+c.cloud, func(t *testing.T) {
			// The spans come in batches; wait for the server span and the
			// login's request (the last to end is the server span).
			var spans []*tracepb.Span
			var server *tracepb.Span
			eventually.Nil(t, 20*time.Second, "server span in trace "+c.traceID, func() error {
				spans = recv.trace(c.traceID)
				for _, s := range spans {
					if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
						server = s
					}
				}
				if server == nil {
					return eventually.NotYet("%d spans, none a server span", len(spans))
				}
				return nil
			})
			var servers int
			for _, s := range spans {
				if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
					servers++
				}
			}
			if servers != 1 {
				t.Errorf("%d server spans for one call, want 1", servers)
			}
			if got := hex.EncodeToString(server.GetParentSpanId()); got != c.parentID {
				t.Errorf("server span's parent %s, want the caller's %s", got, c.parentID)
			}
			if want := "computegw.v1.ComputeService/" + c.name; server.GetName() != want {
				t.Errorf("server span %q, want %q", server.GetName(), want)
			}
			if v, _ := attr(server, "computegw.cloud"); v != c.cloud {
				t.Errorf("server span computegw.cloud %q", v)
			}
			serverID := hex.EncodeToString(server.GetSpanId())
			byID := map[string]*tracepb.Span{}
			for _, s := range spans {
				byID[hex.EncodeToString(s.GetSpanId())] = s
			}
			var logins, clients int
			for _, s := range spans {
				parent := hex.EncodeToString(s.GetParentSpanId())
				switch {
				case s.GetName() == "computegw.login":
					logins++
					if parent != serverID {
						t.Errorf("login span's parent %s, want the server span %s", parent, serverID)
					}
					if v, _ := attr(s, "computegw.login.result"); v != "ok" {
						t.Errorf("login result %q", v)
					}
				case s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT:
					clients++
					if p := byID[parent]; parent != serverID && (p == nil || p.GetName() != "computegw.login") {
						t.Errorf("backend span %q has parent %s: neither the server span nor its login", s.GetName(), parent)
					}
					want := map[string]string{"computegw.cloud": c.cloud, "computegw.dialect": c.dialect}
					for k, w := range want {
						if v, _ := attr(s, k); v != w {
							t.Errorf("backend span %s = %q, want %q", k, v, w)
						}
					}
					for _, k := range []string{"http.request.method", "http.response.status_code", "url.path", "server.address"} {
						if v, ok := attr(s, k); !ok || v == "" {
							t.Errorf("backend span %q lacks %s", s.GetName(), k)
						}
					}
					if p, _ := attr(s, "url.path"); c.dialect == "toastv1" && !strings.Contains(p, "/appkeys/") {
						t.Errorf("toast url.path %q does not show the appkeys path (masked)", p)
					}
				}
			}
			if logins != 1 {
				t.Errorf("%d login spans, want 1 (the cloud's first call)", logins)
			}
			if clients < 2 {
				t.Errorf("%d backend spans, want the login's and the call's", clients)
			}
			if c.cloud == "nhn-kr1" {
				found := false
				for _, s := range spans {
					if v, _ := attr(s, "http.response.status_code"); v == "404" {
						found = true
					}
				}
				if !found {
					t.Error("no backend span with the vendor's 404")
				}
			}
			// The call's log line carries its trace and span.
			found := false
			for _, line := range strings.Split(g.stderr.String(), "\n") {
				var l map[string]any
				if json.Unmarshal([]byte(line), &l) != nil || l["msg"] != "rpc" || l["cloud"] != c.cloud || l["method"] != c.name {
					continue
				}
				found = true
				if l["trace_id"] != c.traceID || l["span_id"] != serverID {
					t.Errorf("rpc log line has trace_id %v span_id %v, want %s %s: %s", l["trace_id"], l["span_id"], c.traceID, serverID, line)
				}
			}
			if !found {
				t.Error("no rpc log line for the call")
			}
		})
	}

	secrets := demoSecrets()
	for _, r := range []*tokenRecorder{nhnP, toastP, k5P} {
		toks := r.list()
		if len(toks) == 0 {
			t.Fatalf("no token seen by the proxy at %s", r.srv.URL)
		}
		secrets = append(secrets, toks...)
	}
	all := recv.all()
	for _, s := range all {
		for _, text := range spanTexts(s) {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("span %q holds a secret: %s", s.GetName(), text)
				}
			}
		}
	}
	if !recv.services["computegw-e2e"] {
		t.Errorf("resources' service.name %v, want OTEL_SERVICE_NAME's computegw-e2e", recv.services)
	}
	t.Logf("%d spans checked for %d secrets", len(all), len(secrets))
}
