package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/gateway"
)

// otlpSink is an OTLP/HTTP trace receiver in the process: it decodes every
// export (as a collector would) and counts the spans.
type otlpSink struct {
	srv   *httptest.Server
	spans atomic.Int64
}

func newOTLPSink() *otlpSink {
	s := &otlpSink{}
	ok, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		n := 0
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				n += len(ss.GetSpans())
			}
		}
		s.spans.Add(int64(n))
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(ok)
	}))
	return s
}

// waitSpans waits (at most 5 s) until the sink holds at least want spans,
// and returns how many it holds.
func (s *otlpSink) waitSpans(want int64) int64 {
	for deadline := time.Now().Add(5 * time.Second); s.spans.Load() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return s.spans.Load()
}

// BenchmarkTelemetry measures what observability adds to a GetInstance,
// over gRPC and REST, with four gateways in turn:
//
//   - bare: no metrics (gateway.Options.NoMetrics), no traces;
//   - metrics: the Prometheus metrics (the default), no traces;
//   - traced: metrics and traces exported over OTLP/HTTP to a receiver in
//     the process (spans/op says how many arrived per call: the server span
//     and the vendor request's);
//   - traced-no-endpoint: metrics, OTEL_* variables set (service name,
//     sampler) but no endpoint, so traces are off.
//
// The ratios tool gives each variant's ratio to bare ("× floor" column).
func BenchmarkTelemetry(b *testing.B) {
	sink := newOTLPSink()
	defer sink.srv.Close()
	for _, v := range []struct {
		name      string
		noMetrics bool
		env       map[string]string
	}{
		{name: "bare", noMetrics: true},
		{name: "metrics"},
		{name: "traced", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": sink.srv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_BSP_SCHEDULE_DELAY": "100"}},
		{name: "traced-no-endpoint", env: map[string]string{"OTEL_SERVICE_NAME": "computegw-bench", "OTEL_TRACES_SAMPLER": "always_on"}},
	} {
		for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
			"OTEL_BSP_SCHEDULE_DELAY", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"} {
			b.Setenv(k, v.env[k])
		}
		e := setupWith(b, false, func(o *gateway.Options) { o.NoMetrics = v.noMetrics })
		req := &pb.GetInstanceRequest{Name: webServer}
		traced := v.env["OTEL_EXPORTER_OTLP_ENDPOINT"] != ""
		// spansPerCall reports what the receiver got per call of the
		// sub-benchmark (none without an endpoint: the check that traces
		// are really off).
		spansPerCall := func(b *testing.B, before int64, calls int) {
			want := before
			if traced {
				want += 2 * int64(calls)
			}
			got := sink.waitSpans(want)
			if !traced {
				time.Sleep(150 * time.Millisecond) // an export would have come by now
				got = sink.spans.Load()
			}
			b.ReportMetric(float64(got-before)/float64(calls), "spans/op")
			if traced != (got > before) {
				b.Fatalf("%s: %d spans exported for %d calls", v.name, got-before, calls)
			}
		}
		b.Run("grpc/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			before, calls := sink.waitSpans(0), 0
			for b.Loop() {
				if _, err := e.gw.GetInstance(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				calls++
			}
			b.StopTimer()
			spansPerCall(b, before, calls)
		})
		b.Run("rest/"+v.name, func(b *testing.B) {
			u := "http://" + e.httpAddr + "/v1/" + webServer
			b.ReportAllocs()
			before, calls := sink.waitSpans(0), 0
			for b.Loop() {
				restGet(b, e.http, u)
				calls++
			}
			b.StopTimer()
			spansPerCall(b, before, calls)
		})
		e.stop()
	}
}
