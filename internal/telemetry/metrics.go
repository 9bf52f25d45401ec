package telemetry

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
)

// Label values with a fixed meaning.
const (
	// CloudUnknown is the cloud label of a call naming a cloud that is not
	// configured: the name the caller sent never becomes a label value (it
	// cannot be a cloud name either, which starts with a letter).
	CloudUnknown = "_unknown"
	// CloudAll is the cloud label of a call on clouds/-.
	CloudAll = "-"
	// StatusError is the backend status label when no HTTP answer came.
	StatusError = "error"
)

// Login results (computegw_backend_logins_total{result}).
const (
	LoginOK       = "ok"
	LoginRejected = "rejected"
	LoginError    = "error"
)

// latencyBuckets spans a cached answer (milliseconds) to the default
// backend timeout (30 s).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// metrics are the gateway's Prometheus collectors, on a registry of their
// own (never the global one), so that two gateways in one process (tests)
// do not collide and nothing else registered in the process leaks into
// /metrics.
type metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec   // method, cloud, code, transport
	requestDuration *prometheus.HistogramVec // method, transport
	inFlight        *prometheus.GaugeVec     // transport
	watchStreams    prometheus.Gauge

	backendRequests *prometheus.CounterVec   // cloud, dialect, status
	backendDuration *prometheus.HistogramVec // cloud, dialect
	backendInFlight *prometheus.GaugeVec     // cloud, dialect
	breakerState    *prometheus.GaugeVec     // cloud
	backendRetries  *prometheus.CounterVec   // cloud

	logins        *prometheus.CounterVec   // cloud, result
	loginDuration *prometheus.HistogramVec // cloud
	tokenExpiry   *prometheus.GaugeVec     // cloud
	loginBackoff  *prometheus.GaugeVec     // cloud

	flavorRefreshes   *prometheus.CounterVec // cloud, result
	flavorEntries     *prometheus.GaugeVec   // cloud
	flavorLastRefresh *prometheus.GaugeVec   // cloud
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = m.counter(prometheus.Opts{Name: "computegw_requests_total", Help: "RPCs served, by short RPC name, cloud (a configured name, - for every cloud, empty for none, " + CloudUnknown + " for a name not configured), gRPC code and transport (grpc or rest)."}, "method", "cloud", "code", "transport")
	m.requestDuration = m.histogram(prometheus.Opts{Name: "computegw_request_duration_seconds", Help: "Time to serve an RPC (for WatchInstance: the whole stream), by short RPC name and transport."}, "method", "transport")
	m.inFlight = m.gauge(prometheus.Opts{Name: "computegw_requests_in_flight", Help: "RPCs being served now (open watch streams included), by transport."}, "transport")
	m.watchStreams = register(m.reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "computegw_watch_streams",
		Help: "WatchInstance streams open now (both transports).",
	}))
	m.backendRequests = m.counter(prometheus.Opts{Name: "computegw_backend_requests_total", Help: "HTTP requests to the clouds' APIs (logins included), by cloud, dialect and HTTP status (error when no answer came)."}, "cloud", "dialect", "status")
	m.backendDuration = m.histogram(prometheus.Opts{Name: "computegw_backend_request_duration_seconds", Help: "Time from sending a backend HTTP request to its response headers (or its failure), by cloud and dialect."}, "cloud", "dialect")
	m.backendInFlight = m.gauge(prometheus.Opts{Name: "computegw_backend_requests_in_flight", Help: "Backend HTTP requests waiting for their response headers now, by cloud and dialect."}, "cloud", "dialect")
	// Per-cloud isolation (backendhttp.Guard).
	m.breakerState = m.gauge(prometheus.Opts{Name: "computegw_backend_circuit_state", Help: "Each cloud's circuit breaker: 0 closed (calls go through), 1 half-open (one probe is let through), 2 open (calls fail at once with UNAVAILABLE)."}, "cloud")
	m.backendRetries = m.counter(prometheus.Opts{Name: "computegw_backend_retries_total", Help: "Idempotent backend reads sent again after a transport failure or a 429/502/503/504 answer, by cloud."}, "cloud")
	m.logins = m.counter(prometheus.Opts{Name: "computegw_backend_logins_total", Help: "Logins to the clouds' identity APIs, by cloud and result: ok, rejected (the gateway's credentials were refused) or error (no usable answer)."}, "cloud", "result")
	m.loginDuration = m.histogram(prometheus.Opts{Name: "computegw_backend_login_duration_seconds", Help: "Time a login took, by cloud."}, "cloud")
	m.tokenExpiry = m.gauge(prometheus.Opts{Name: "computegw_backend_token_expiry_timestamp_seconds", Help: "When the cached backend token of each cloud expires (Unix time; 0: it does not expire). Set at each successful login."}, "cloud")
	m.loginBackoff = m.gauge(prometheus.Opts{Name: "computegw_backend_login_backoff_until_timestamp_seconds", Help: "After a rejected password, when the gateway will try to log in to that cloud again (Unix time); 0 after a successful login."}, "cloud")
	m.flavorRefreshes = m.counter(prometheus.Opts{Name: "computegw_flavor_cache_refreshes_total", Help: "Reads of a cloud's flavor list into the flavor cache, by cloud and result (ok or error)."}, "cloud", "result")
	m.flavorEntries = m.gauge(prometheus.Opts{Name: "computegw_flavor_cache_flavors", Help: "Flavors in each cloud's flavor cache."}, "cloud")
	m.flavorLastRefresh = m.gauge(prometheus.Opts{Name: "computegw_flavor_cache_last_refresh_timestamp_seconds", Help: "When each cloud's flavor cache was last filled successfully (Unix time)."}, "cloud")
	return m
}

// counter, gauge and histogram make one labelled collector (histograms
// with latencyBuckets) and register it on m's registry.
func (m *metrics) counter(o prometheus.Opts, labels ...string) *prometheus.CounterVec {
	return register(m.reg, prometheus.NewCounterVec(prometheus.CounterOpts(o), labels))
}

func (m *metrics) gauge(o prometheus.Opts, labels ...string) *prometheus.GaugeVec {
	return register(m.reg, prometheus.NewGaugeVec(prometheus.GaugeOpts(o), labels))
}

func (m *metrics) histogram(o prometheus.Opts, labels ...string) *prometheus.HistogramVec {
	return register(m.reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: o.Name, Help: o.Help, Buckets: latencyBuckets}, labels))
}

func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	reg.MustRegister(c)
	return c
}

// CodeName is the gRPC code's canonical name as the contract writes it
// (NOT_FOUND, not grpc-go's NotFound).
func CodeName(c codes.Code) string {
	if name, ok := rpccode.Code_name[int32(c)]; ok {
		return name
	}
	return strconv.Itoa(int(c))
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
