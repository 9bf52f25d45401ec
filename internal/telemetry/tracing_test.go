package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestTracingConfigured(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_SERVICE_NAME": "x"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	} {
		if got := TracingConfigured(env(c.env)); got != c.want {
			t.Errorf("%v: %v, want %v", c.env, got, c.want)
		}
	}
}

// TestTracesOffAddNothing: without an endpoint there is no tracer, no
// gRPC stats handler, the REST handler and backend transport are the ones
// given (metrics aside), and a login starts no span.
func TestTracesOffAddNothing(t *testing.T) {
	tel, err := New(Options{Metrics: true, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if tel.Tracing() || tel.GRPCServerOptions() != nil || tel.GRPCStatsHandler() != nil {
		t.Fatal("traces on without an endpoint")
	}
	h := http.NewServeMux()
	if got := tel.HTTPHandler(h); got != http.Handler(h) {
		t.Fatalf("REST handler wrapped: %T", got)
	}
	rt := tel.Cloud("a", "k5").Transport(http.DefaultTransport).(*backendTransport)
	if rt.base != http.DefaultTransport {
		t.Fatalf("backend transport wrapped for traces: %T", rt.base)
	}
	ctx, l := StartLogin(WithCloud(context.Background(), tel.Cloud("a", "k5")))
	if l.span != nil || trace.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Fatal("a login span without traces")
	}
}

func TestBadTraceConfig(t *testing.T) {
	for _, e := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		if _, err := New(Options{Getenv: env(e)}); err == nil {
			t.Errorf("%v: no error", e)
		}
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("cloud", "toast")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	log.InfoContext(ctx, "traced")
	log.Info("untraced")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%q", buf.String())
	}
	var a, b map[string]any
	json.Unmarshal(lines[0], &a)
	json.Unmarshal(lines[1], &b)
	if a["trace_id"] != tid.String() || a["span_id"] != sid.String() || a["cloud"] != "toast" {
		t.Errorf("traced line %s", lines[0])
	}
	if _, ok := b["trace_id"]; ok {
		t.Errorf("untraced line %s", lines[1])
	}
}
