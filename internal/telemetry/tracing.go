package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// Span attributes of the gateway's own, on every server and backend span.
const (
	AttrCloud   = attribute.Key("computegw.cloud")
	AttrDialect = attribute.Key("computegw.dialect")
)

const instrumentationName = "github.com/computegw/computegw/internal/telemetry"

// tracing is the OpenTelemetry side of Telemetry; nil when off.
type tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// TracingConfigured reports whether the environment asks for traces: an
// OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and neither OTEL_SDK_DISABLED=true
// nor OTEL_TRACES_EXPORTER=none turns them off. (Another exporter than
// otlp is then an error of New's.)
func TracingConfigured(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	if strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")) == "none" {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// newTracing builds the tracer provider from the standard OTEL_* variables
// alone: the exporter's endpoint, protocol (OTEL_EXPORTER_OTLP_PROTOCOL or
// its _TRACES_ form: http/protobuf, the default, or grpc), headers,
// timeout, TLS; the sampler (OTEL_TRACES_SAMPLER[_ARG]); the batch
// processor (OTEL_BSP_*); the resource (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES; service.name defaults to computegw). The
// exporter and SDK read them themselves.
func newTracing(ctx context.Context, getenv func(string) string, version string) (*tracing, error) {
	if e := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); e != "" && e != "otlp" && e != "none" {
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: only otlp (or none) is supported", e)
	}
	proto := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp *otlptrace.Exporter
		err error
	)
	switch proto {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: use grpc or http/protobuf", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	attrs := []attribute.KeyValue{semconv.ServiceName("computegw")}
	if version != "" {
		attrs = append(attrs, semconv.ServiceVersion(version))
	}
	res, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &tracing{
		tp:     tp,
		tracer: tp.Tracer(instrumentationName),
		prop:   propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// Tracing reports whether traces are being exported.
func (t *Telemetry) Tracing() bool { return t != nil && t.tr != nil }

// GRPCServerOptions are the gRPC server's options for traces (none when
// they are off).
func (t *Telemetry) GRPCServerOptions() []grpc.ServerOption {
	if sh := t.GRPCStatsHandler(); sh != nil {
		return []grpc.ServerOption{grpc.StatsHandler(sh)}
	}
	return nil
}

// GRPCStatsHandler is the gRPC server's OpenTelemetry stats handler: one
// server span per ComputeService RPC (health checks and reflection are
// not traced), continuing the caller's traceparent. nil when traces are
// off.
func (t *Telemetry) GRPCStatsHandler() stats.Handler {
	if !t.Tracing() {
		return nil
	}
	return otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(t.tr.tp),
		otelgrpc.WithPropagators(t.tr.prop),
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()), // metrics are Prometheus's
		otelgrpc.WithFilter(filters.ServiceName("computegw.v1.ComputeService")),
	)
}

// HTTPHandler wraps the REST listener's handler: one server span per
// request, continuing the caller's traceparent; server/ names it after the
// RPC. /healthz, /readyz and /openapi.json are not traced. h itself when
// traces are off.
func (t *Telemetry) HTTPHandler(h http.Handler) http.Handler {
	if !t.Tracing() {
		return h
	}
	return otelhttp.NewHandler(h, "computegw REST",
		otelhttp.WithTracerProvider(t.tr.tp),
		otelhttp.WithPropagators(t.tr.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/openapi.json":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// annotateCall names a REST call's server span after its RPC (gRPC's
// already is: computegw.v1.ComputeService/Method) and gives every call's
// span the cloud label and, for errors, the gRPC code.
func annotateCall(ctx context.Context, method, transport, cloud, code string, failed bool) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if transport == "rest" {
		// The same name and rpc.method as the gRPC span of the same RPC.
		full := "computegw.v1.ComputeService/" + method
		span.SetName(full)
		span.SetAttributes(semconv.RPCMethod(full))
	}
	span.SetAttributes(AttrCloud.String(cloud), attribute.String("computegw.code", code))
	if failed && transport == "rest" {
		// otelhttp marks only 5xx answers as errors; the RPC's own code
		// says more.
		span.SetStatus(otelcodes.Error, code)
	}
}

// --- backend requests -------------------------------------------------------

// PathRedactor masks secrets in a backend URL path (a cloud's redact.Set).
type PathRedactor interface{ String(string) string }

type origURLKey struct{}

// tracedTransport puts one client span around each backend request with
// otelhttp, showing it a copy of the request whose URL has the cloud's
// secrets masked (TOAST's appkey is a path segment), and sends the real
// request underneath.
func (c *Cloud) tracedTransport(base http.RoundTripper) http.RoundTripper {
	inner := otelhttp.NewTransport(restoreURL{base},
		otelhttp.WithTracerProvider(c.t.tr.tp),
		otelhttp.WithPropagators(c.t.tr.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "HTTP " + r.Method }),
		otelhttp.WithSpanOptions(trace.WithAttributes(AttrCloud.String(c.name), AttrDialect.String(c.dialect))),
	)
	return &redactingTransport{c: c, traced: inner, base: base}
}

type redactingTransport struct {
	c      *Cloud
	traced http.RoundTripper // otelhttp over restoreURL over base
	base   http.RoundTripper
}

func (r *redactingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	shown := req.WithContext(context.WithValue(req.Context(), origURLKey{}, req.URL))
	shown.URL = &url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: r.c.maskPath(req.URL.Path)}
	res, err := r.traced.RoundTrip(shown)
	if res != nil {
		res.Request = req
	}
	return res, err
}

// maskPath is path with the cloud's secrets masked; without a redactor,
// no path at all.
func (c *Cloud) maskPath(path string) string {
	if red := c.redactor.Load(); red != nil {
		return (*red).String(path)
	}
	return "/-"
}

// restoreURL sends the request otelhttp prepared (its span's context and
// traceparent header) to the real URL.
type restoreURL struct{ base http.RoundTripper }

func (r restoreURL) RoundTrip(req *http.Request) (*http.Response, error) {
	orig, _ := req.Context().Value(origURLKey{}).(*url.URL)
	if orig == nil {
		return r.base.RoundTrip(req)
	}
	trace.SpanFromContext(req.Context()).SetAttributes(semconv.URLPath(req.URL.Path))
	real := *req
	real.URL = orig
	return r.base.RoundTrip(&real)
}

// SetRedactor gives the cloud's backend spans the set of secrets to mask in
// URL paths (until then they show no path).
func (c *Cloud) SetRedactor(r PathRedactor) {
	if c == nil || r == nil {
		return
	}
	c.redactor.Store(&r)
}

func (r *redactingTransport) CloseIdleConnections() { closeIdle(r.traced) }
func (r restoreURL) CloseIdleConnections()          { closeIdle(r.base) }

func closeIdle(rt http.RoundTripper) {
	if ci, ok := rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// StartBackground starts the root span of background work for the cloud
// (a flavor cache refresh), so that its backend requests are not orphans;
// call end with the work's error.
func (c *Cloud) StartBackground(ctx context.Context, name string) (_ context.Context, end func(error)) {
	if c == nil || c.t.tr == nil {
		return ctx, func(error) {}
	}
	ctx, span := c.t.tr.tracer.Start(ctx, name, trace.WithNewRoot(),
		trace.WithAttributes(AttrCloud.String(c.name), AttrDialect.String(c.dialect)))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(otelcodes.Error, "failed")
		}
		span.End()
	}
}
