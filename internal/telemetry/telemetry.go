// Package telemetry is computegw's observability: the
// Prometheus metrics (on a registry of the gateway's own), OpenTelemetry
// traces (configured from the OTEL_* variables only, off without an
// endpoint), the slog handler that joins log lines to traces, and the small
// hooks the layers call — the portable server per RPC (both transports pass
// through it), the backend HTTP client per request, the token cache per
// login, the flavor cache per refresh.
//
// Every hook is safe on a nil *Telemetry or nil *Cloud and then does
// nothing, so a gateway without telemetry pays one nil check per hook.
package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
)

// Options configure New.
type Options struct {
	// Metrics turns the Prometheus metrics on (the gateway does when it has
	// an admin listener to serve them).
	Metrics bool
	// Getenv reads the OTEL_* variables that turn traces on (nil:
	// os.Getenv). The exporter and SDK read the rest of them from the
	// process environment themselves.
	Getenv func(string) string
	// Version is the service.version of the traces' resource.
	Version string
	// Logger receives telemetry's own errors (nil: discard).
	Logger *slog.Logger
}

// Telemetry holds the gateway's metrics and tracer. nil is everything off.
type Telemetry struct {
	m   *metrics
	tr  *tracing
	log *slog.Logger
}

// New returns the gateway's telemetry; nil (everything off, at no cost)
// when opt turns nothing on and no OTLP endpoint is set.
func New(opt Options) (*Telemetry, error) {
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	traces := TracingConfigured(getenv)
	if !opt.Metrics && !traces {
		return nil, nil
	}
	t := &Telemetry{log: opt.Logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if opt.Metrics {
		t.m = newMetrics()
	}
	if traces {
		tr, err := newTracing(context.Background(), getenv, opt.Version)
		if err != nil {
			return nil, err
		}
		t.tr = tr
	}
	return t, nil
}

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if !t.Tracing() {
		return nil
	}
	return t.tr.tp.Shutdown(ctx)
}

// Registry is the Prometheus registry of the gateway's metrics (nil when
// metrics are off).
func (t *Telemetry) Registry() *prometheus.Registry {
	if t == nil || t.m == nil {
		return nil
	}
	return t.m.reg
}

// MetricsHandler serves the metrics in the Prometheus text format (404
// when metrics are off).
func (t *Telemetry) MetricsHandler() http.Handler {
	reg := t.Registry()
	if reg == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(t.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg, // promhttp_metric_handler_errors_total
	})
}

// --- per RPC ----------------------------------------------------------------

// Call is one RPC being served; End it exactly once.
type Call struct {
	t         *Telemetry
	ctx       context.Context
	method    string
	transport string
	start     time.Time
	inFlight  prometheus.Gauge // the transport's, resolved once per call
}

// StartCall records that an RPC began on transport ("grpc" or "rest").
func (t *Telemetry) StartCall(ctx context.Context, method, transport string) (context.Context, Call) {
	if t == nil {
		return ctx, Call{}
	}
	c := Call{t: t, ctx: ctx, method: method, transport: transport, start: time.Now()}
	if t.m != nil {
		c.inFlight = t.m.inFlight.WithLabelValues(transport)
		c.inFlight.Inc()
	}
	return ctx, c
}

// End records the RPC's outcome. cloud is a configured cloud's name,
// CloudAll, CloudUnknown or "" (the RPC names no cloud): never a name the
// caller sent that is not configured.
func (c Call) End(cloud string, code codes.Code) {
	if c.t == nil {
		return
	}
	if c.t.tr != nil {
		annotateCall(c.ctx, c.method, c.transport, cloud, CodeName(code), code != codes.OK)
	}
	m := c.t.m
	if m == nil {
		return
	}
	c.inFlight.Dec()
	m.requests.WithLabelValues(c.method, cloud, CodeName(code), c.transport).Inc()
	m.requestDuration.WithLabelValues(c.method, c.transport).Observe(time.Since(c.start).Seconds())
}

// WatchStarted counts an open WatchInstance stream; call the function it
// returns when the stream ends.
func (t *Telemetry) WatchStarted() (ended func()) {
	if t == nil || t.m == nil {
		return func() {}
	}
	t.m.watchStreams.Inc()
	return t.m.watchStreams.Dec
}

// --- per cloud --------------------------------------------------------------

// Cloud is the telemetry of one configured cloud: its backend HTTP
// requests, its logins, its flavor cache.
type Cloud struct {
	t        *Telemetry
	name     string
	dialect  string
	redactor atomic.Pointer[PathRedactor]
}

// Cloud returns the telemetry handle of a configured cloud (nil when t is).
func (t *Telemetry) Cloud(name, dialect string) *Cloud {
	if t == nil {
		return nil
	}
	if t.m != nil {
		// Every result from the start, so that rate() and increase() see
		// a cloud's first rejected login.
		for _, r := range []string{LoginOK, LoginRejected, LoginError} {
			t.m.logins.WithLabelValues(name, r)
		}
		t.m.breakerState.WithLabelValues(name).Set(0)
		t.m.backendRetries.WithLabelValues(name)
	}
	return &Cloud{t: t, name: name, dialect: dialect}
}

var attrLoginResult = attribute.Key("computegw.login.result")

type cloudKey struct{}

// WithCloud marks ctx as work for cloud c, so that a login started under
// it (package tokensource) is counted for c. A nil c leaves ctx as it is.
func WithCloud(ctx context.Context, c *Cloud) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, cloudKey{}, c)
}

// CloudFrom returns the cloud WithCloud put in ctx, or nil.
func CloudFrom(ctx context.Context) *Cloud {
	c, _ := ctx.Value(cloudKey{}).(*Cloud)
	return c
}

// Login is one login in progress; End it exactly once.
type Login struct {
	c     *Cloud
	start time.Time
	span  trace.Span
}

// StartLogin records that a login began for the cloud in ctx (see
// WithCloud), and starts its span (a child of the call that needed the
// token); without a cloud in ctx it records nothing.
func StartLogin(ctx context.Context) (context.Context, Login) {
	c := CloudFrom(ctx)
	if c == nil {
		return ctx, Login{}
	}
	l := Login{c: c, start: time.Now()}
	if c.t.tr != nil {
		ctx, l.span = c.t.tr.tracer.Start(ctx, "computegw.login", trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(AttrCloud.String(c.name), AttrDialect.String(c.dialect)))
	}
	return ctx, l
}

// End records the login's result (LoginOK, LoginRejected, LoginError), the
// new token's expiry (ok) and, after a rejection, when logins resume.
func (l Login) End(result string, expires, retryAt time.Time) {
	if l.c == nil {
		return
	}
	if l.span != nil {
		l.span.SetAttributes(attrLoginResult.String(result))
		if result != LoginOK {
			l.span.SetStatus(otelcodes.Error, "login "+result)
		}
		l.span.End()
	}
	m, name := l.c.t.m, l.c.name
	if m == nil {
		return
	}
	m.logins.WithLabelValues(name, result).Inc()
	m.loginDuration.WithLabelValues(name).Observe(time.Since(l.start).Seconds())
	switch result {
	case LoginOK:
		m.tokenExpiry.WithLabelValues(name).Set(unixSeconds(expires))
		m.loginBackoff.WithLabelValues(name).Set(0)
	case LoginRejected:
		m.loginBackoff.WithLabelValues(name).Set(unixSeconds(retryAt))
	}
}

// BreakerState records the cloud's circuit breaker state (0 closed, 1
// half-open, 2 open).
func (c *Cloud) BreakerState(state int) {
	if c == nil || c.t.m == nil {
		return
	}
	c.t.m.breakerState.WithLabelValues(c.name).Set(float64(state))
}

// BackendRetry counts one backend read sent again.
func (c *Cloud) BackendRetry() {
	if c == nil || c.t.m == nil {
		return
	}
	c.t.m.backendRetries.WithLabelValues(c.name).Inc()
}

// FlavorRefresh records one read of the cloud's flavor list: its outcome
// and, when it worked, how many flavors the cache now holds.
func (c *Cloud) FlavorRefresh(err error, flavors int) {
	if c == nil || c.t.m == nil {
		return
	}
	m := c.t.m
	if err != nil {
		m.flavorRefreshes.WithLabelValues(c.name, "error").Inc()
		return
	}
	m.flavorRefreshes.WithLabelValues(c.name, "ok").Inc()
	m.flavorEntries.WithLabelValues(c.name).Set(float64(flavors))
	m.flavorLastRefresh.WithLabelValues(c.name).SetToCurrentTime()
}

// Transport wraps base (the cloud's backend HTTP transport) so that every
// request to the cloud's API is counted with its HTTP status and timed,
// and, with traces on, is a client span (see SetRedactor). A nil c returns
// base unchanged.
func (c *Cloud) Transport(base http.RoundTripper) http.RoundTripper {
	if c == nil {
		return base
	}
	if c.t.tr != nil {
		base = c.tracedTransport(base)
	}
	m := c.t.m
	if m == nil {
		return base
	}
	return &backendTransport{
		base:     base,
		requests: m.backendRequests.MustCurryWith(prometheus.Labels{"cloud": c.name, "dialect": c.dialect}),
		duration: m.backendDuration.WithLabelValues(c.name, c.dialect),
		inFlight: m.backendInFlight.WithLabelValues(c.name, c.dialect),
	}
}

type backendTransport struct {
	base     http.RoundTripper
	requests *prometheus.CounterVec // status
	duration prometheus.Observer
	inFlight prometheus.Gauge
	// byStatus holds the counters of the HTTP statuses seen so far
	// (int -> prometheus.Counter): a vendor answers a handful, and the
	// lookup spares each request formatting and hashing its label.
	byStatus sync.Map
}

// counter is the request counter of an HTTP status (0: no answer).
func (b *backendTransport) counter(code int) prometheus.Counter {
	if c, ok := b.byStatus.Load(code); ok {
		return c.(prometheus.Counter)
	}
	label := StatusError
	if code != 0 {
		label = strconv.Itoa(code)
	}
	c, _ := b.byStatus.LoadOrStore(code, b.requests.WithLabelValues(label))
	return c.(prometheus.Counter)
}

func (b *backendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	b.inFlight.Inc()
	start := time.Now()
	res, err := b.base.RoundTrip(req)
	b.duration.Observe(time.Since(start).Seconds())
	b.inFlight.Dec()
	code := 0
	if err == nil {
		code = res.StatusCode
	}
	b.counter(code).Inc()
	return res, err
}

// CloseIdleConnections passes on to the wrapped transport (http.Client's
// CloseIdleConnections looks for it).
func (b *backendTransport) CloseIdleConnections() {
	if ci, ok := b.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}
