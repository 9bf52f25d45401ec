package gateway

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/telemetry"
	"github.com/computegw/computegw/server"
)

// NewAdminHandler is the admin listener's surface:
// /metrics, /debug/pprof/, /healthz and /readyz, none of them behind the
// caller authentication of the public listeners, and none of them served
// by those listeners (the pprof handlers are registered on this mux only,
// never on http.DefaultServeMux's behalf).
func NewAdminHandler(tel *telemetry.Telemetry, hs *health.Server, srv *server.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", tel.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(hs, srv))
	return mux
}

func healthz(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }

// readyz answers 200 while the gRPC health service reports the compute
// service SERVING (it stops on shutdown), else 503.
func readyz(hs *health.Server, srv *server.Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, err := hs.Check(r.Context(), &healthpb.HealthCheckRequest{Service: pb.ComputeService_ServiceDesc.ServiceName})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			http.Error(w, "not serving", http.StatusServiceUnavailable)
			return
		}
		writeReady(w, r, srv) // state.go: "ok" and the state store's line
	}
}

// listenAdmin binds the admin listener; a nil server when addr is empty.
func listenAdmin(addr string, tel *telemetry.Telemetry, hs *health.Server, compute *server.Server, log *slog.Logger) (*http.Server, net.Listener, error) {
	if addr == "" {
		return nil, nil, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if ip, ok := lis.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.Warn("the admin listener is reachable beyond this host: it serves /debug/pprof/ and /metrics without authentication; keep it on a private network (or a loopback address)",
			"admin_addr", lis.Addr().String())
	}
	// Profiles run for their ?seconds= (30 s by default): the write timeout
	// leaves room for that and no more.
	srv := &http.Server{Handler: NewAdminHandler(tel, hs, compute), ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return srv, lis, nil
}

// cloudTelemetry hands each cloud its own backend HTTP client (keep-alive
// pool), counted and traced for that cloud, and once the cloud's adapter
// exists gives its backend spans the adapter's secret set, so that a URL
// path holding a secret (TOAST's appkey) is recorded masked.
type cloudTelemetry struct {
	tel    *telemetry.Telemetry
	clouds map[string]*telemetry.Cloud
}

func newCloudTelemetry(tel *telemetry.Telemetry) *cloudTelemetry {
	return &cloudTelemetry{tel: tel, clouds: map[string]*telemetry.Cloud{}}
}

// client is the backend HTTP client of cloud, isolated from the other
// clouds' faults under p (concurrency cap, circuit breaker, retries of
// reads; see backendhttp.Guard): the guard is outside the telemetry, so
// that every attempt sent is counted and a call refused by the breaker is
// not.
func (ct *cloudTelemetry) client(cloud, dialect string, p backendhttp.Policy) *http.Client {
	c := backendhttp.NewClient()
	tc := ct.tel.Cloud(cloud, dialect)
	ct.clouds[cloud] = tc
	p.OnState, p.OnRetry = tc.BreakerState, tc.BackendRetry
	c.Transport = backendhttp.NewGuard(cloud, p).Transport(tc.Transport(c.Transport))
	return c
}

// bind hands each cloud's secret set to its telemetry.
func (ct *cloudTelemetry) bind(clouds []server.Cloud) {
	for _, c := range clouds {
		if h, ok := c.Adapter.(interface{ Secrets() *redact.Set }); ok {
			ct.clouds[c.Name].SetRedactor(h.Secrets())
		}
	}
}
