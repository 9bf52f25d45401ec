// Package gateway wires computegw together: config (or demo mode), the
// adapters, the portable server, the gRPC listener (with health and
// reflection) and the REST listener (grpc-gateway, in process), and drains
// both on shutdown. cmd/gateway is a thin main around Run.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	goruntime "runtime"
	"slices"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/gen"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/demo"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/dialects"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/telemetry"
	"github.com/computegw/computegw/server"
)

// The listener addresses when neither the config file nor a flag names
// one: loopback only.
const (
	DefaultHTTPAddr = "127.0.0.1:8080"
	DefaultGRPCAddr = "127.0.0.1:9090"
)

// Options configure Run.
type Options struct {
	// ConfigPath is the config file; empty starts demo mode.
	ConfigPath string
	// HTTPAddr and GRPCAddr override the config file's addresses.
	HTTPAddr, GRPCAddr string
	// AdminAddr overrides the config file's admin_addr (the admin
	// listener: /metrics, /debug/pprof/, /healthz, /readyz).
	AdminAddr string
	Logger    *slog.Logger // nil: JSON to stderr
	// Banner receives the demo-mode banner (nil: stderr).
	Banner io.Writer
	// ShutdownTimeout bounds the drain on shutdown (default: the config's
	// shutdown_timeout, else 20s).
	ShutdownTimeout time.Duration
	// ShutdownDelay overrides the config's shutdown_delay: how long the
	// gateway reports NOT_SERVING, still serving, before it stops
	// accepting. Negative: none.
	ShutdownDelay time.Duration
	// Limits, if set, replace the config's limits section (and the
	// defaults, without a config).
	Limits *config.Limits
	// WatchInterval overrides how often WatchInstance polls (tests).
	WatchInterval time.Duration
	// Getenv resolves password_env (nil: os.LookupEnv).
	Getenv config.Env
	// Clouds, if set, are served instead of the config file's or the demo
	// clouds (for embedding and tests). Run takes ownership of the adapters.
	Clouds []server.Cloud
	// OnReady, if set, is called with the bound addresses once both
	// listeners accept connections.
	OnReady func(httpAddr, grpcAddr string)
	// NoMetrics turns the Prometheus metrics off (the admin listener's
	// /metrics is then a 404): for embedding, and for the benchmark that
	// measures what the metrics cost per call. Traces still follow the
	// OTEL_* variables.
	NoMetrics bool
}

// Run serves until ctx is done, then drains in-flight calls (bounded by
// ShutdownTimeout) and returns nil. Config and listen errors are returned
// at once.
func Run(ctx context.Context, opt Options) error {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	tel, err := telemetry.New(telemetry.Options{Metrics: !opt.NoMetrics, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		// Export what is buffered, within a bound of its own.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("exporting the last spans failed", "error", err)
		}
	}()
	if tel.Tracing() {
		log = slog.New(telemetry.LogHandler(log.Handler()))
	}
	ct := newCloudTelemetry(tel)
	var (
		clouds  []server.Cloud
		cleanup = func() {}
		file    *config.File
		fleet   = &shared{} // state.go: the state.redis store, opened with the config
	)
	defer fleet.close()
	if opt.Clouds != nil {
		clouds = opt.Clouds
	} else {
		clouds, cleanup, file, err = buildClouds(opt, log, ct, fleet)
		ct.bind(clouds)
	}
	if err != nil {
		return err
	}
	defer cleanup()

	httpAddr, grpcAddr, adminAddr := DefaultHTTPAddr, DefaultGRPCAddr, ""
	var pageKey []byte
	shutdown, delay := 20*time.Second, time.Duration(0)
	limits := config.DefaultLimits()
	if file != nil {
		delay, limits = file.ShutdownDelay, file.Limits
		if file.HTTPAddr != "" {
			httpAddr = file.HTTPAddr
		}
		if file.GRPCAddr != "" {
			grpcAddr = file.GRPCAddr
		}
		pageKey, adminAddr = file.PageTokenKey, file.AdminAddr
		if file.ShutdownTimeout > 0 {
			shutdown = file.ShutdownTimeout
		}
	}
	if opt.HTTPAddr != "" {
		httpAddr = opt.HTTPAddr
	}
	if opt.GRPCAddr != "" {
		grpcAddr = opt.GRPCAddr
	}
	if opt.ShutdownTimeout > 0 {
		shutdown = opt.ShutdownTimeout
	}
	if opt.ShutdownDelay != 0 {
		delay = max(opt.ShutdownDelay, 0)
	}
	if opt.Limits != nil {
		limits = *opt.Limits
	}
	if opt.AdminAddr != "" {
		adminAddr = opt.AdminAddr
	}

	guard, tlsCfg, err := security(ctx, file, httpAddr, grpcAddr, log)
	if err != nil {
		return err
	}
	var crossCloud time.Duration
	if file != nil {
		crossCloud = file.CrossCloudTimeout
	}
	srv, err := server.New(server.Options{Clouds: clouds, Logger: log, PageTokenKey: pageKey, WatchInterval: opt.WatchInterval, Guard: guard, CrossCloudTimeout: crossCloud,
		Telemetry: tel, State: fleet.store})
	if err != nil {
		return err
	}
	defer srv.Close()

	grpcLis, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return fmt.Errorf("grpc_addr %s: %w", grpcAddr, err)
	}
	httpLis, err := net.Listen("tcp", httpAddr)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("http_addr %s: %w", httpAddr, err)
	}

	// Stream workers: grpc-go otherwise starts a goroutine per RPC, whose
	// 8 KiB stack the call chain (server, adapter, gophercloud, net/http)
	// outgrows, so every call paid two or three stack copies (15 µs of
	// CPU, found with -cpuprofile in runtime.newstack). Workers keep their
	// grown stacks between calls; when all are busy grpc-go falls back to a
	// new goroutine, so they add no queueing. bench/ GetInstance over gRPC:
	// 248 -> 215 µs with 4 per core (2 per core: 209, 16 per core: 230).
	lim := newLimiter(limits, guard)
	gsOpts := slices.Concat(grpcOptions(tlsCfg), lim.grpcOptions(), tel.GRPCServerOptions())
	gsOpts = append(gsOpts, grpc.NumStreamWorkers(uint32(4*goruntime.GOMAXPROCS(0))))
	gs := grpc.NewServer(gsOpts...)
	pb.RegisterComputeServiceServer(gs, srv)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	hs.SetServingStatus(pb.ComputeService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	reflection.Register(gs)

	handler, err := newHTTPHandler(srv, hs, lim)
	if err != nil {
		grpcLis.Close()
		httpLis.Close()
		return err
	}
	asrv, adminLis, err := listenAdmin(adminAddr, tel, hs, srv, log)
	if err != nil {
		grpcLis.Close()
		httpLis.Close()
		return fmt.Errorf("admin_addr %s: %w", adminAddr, err)
	}
	hsrv := lim.httpServer(tel.HTTPHandler(handler))
	hsrv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)

	errc := make(chan error, 3)
	go func() { errc <- gs.Serve(grpcLis) }()
	go func() { errc <- serveHTTP(hsrv, httpLis, tlsCfg) }()
	if asrv != nil {
		go func() { errc <- asrv.Serve(adminLis) }()
		// Last to stop, so /metrics shows the drain.
		defer asrv.Close()
	}

	if opt.ConfigPath == "" && opt.Clouds == nil {
		banner := opt.Banner
		if banner == nil {
			banner = os.Stderr
		}
		printBanner(banner, httpLis.Addr().String(), grpcLis.Addr().String(), clouds)
	}
	serving := []any{"http_addr", httpLis.Addr().String(), "grpc_addr", grpcLis.Addr().String(),
		"clouds", len(clouds), "demo", opt.ConfigPath == "" && opt.Clouds == nil}
	if adminLis != nil {
		serving = append(serving, "admin_addr", adminLis.Addr().String())
	}
	log.Info("computegw serving", serving...)
	if opt.OnReady != nil {
		opt.OnReady(httpLis.Addr().String(), grpcLis.Addr().String())
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		log.Error("listener failed", "error", serveErr)
	}

	// Report NOT_SERVING (gRPC health, /readyz) and keep serving for the
	// shutdown delay, so that load balancers stop sending here; then stop
	// accepting, end the watches, let in-flight calls finish within the
	// shutdown timeout, and cut what is left.
	log.Info("shutting down", "delay", delay.String(), "drain_timeout", shutdown.String())
	hs.Shutdown()
	if delay > 0 && serveErr == nil {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case serveErr = <-errc:
			t.Stop()
			log.Error("listener failed", "error", serveErr)
		}
	}
	log.Info("draining")
	srv.Drain()
	sdCtx, cancel := context.WithTimeout(context.Background(), shutdown)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := hsrv.Shutdown(sdCtx); err != nil {
			log.Warn("REST drain cut short", "error", err)
			hsrv.Close()
		}
	})
	wg.Go(func() {
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-sdCtx.Done():
			log.Warn("gRPC drain cut short")
			gs.Stop()
		}
	})
	wg.Wait()
	log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && !errors.Is(serveErr, grpc.ErrServerStopped) {
		return serveErr
	}
	return nil
}

// NewHTTPHandler returns the REST surface, with the default limits: see
// newHTTPHandler.
func NewHTTPHandler(srv *server.Server, hs *health.Server) (http.Handler, error) {
	return newHTTPHandler(srv, hs, newLimiter(config.DefaultLimits(), nil))
}

// newHTTPHandler returns the REST surface: grpc-gateway with the service
// registered in process (no loopback gRPC hop), the streaming watch route,
// the OpenAPI document, and health endpoints, behind caller authentication
// and then the limits.
func newHTTPHandler(srv *server.Server, hs *health.Server, lim *limiter) (http.Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, decodingMarshaler{&runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithErrorHandler(restError),
		runtime.WithRoutingErrorHandler(restRoutingError),
		// Process-wide in grpc-gateway: every mux gets the same parser.
		runtime.SetQueryParameterParser(&strictQueryParser{}),
	)
	if err := pb.RegisterComputeServiceHandlerServer(context.Background(), mux, srv); err != nil {
		return nil, err
	}
	// grpc-gateway's in-process registration cannot stream; this route
	// (registered later, so it takes precedence) serves WatchInstance as
	// newline-delimited JSON in grpc-gateway's streaming format.
	if err := mux.HandlePath(http.MethodGet, "/v1/{name=clouds/*/instances/*}:watch", watchHandler(srv)); err != nil {
		return nil, err
	}
	root := http.NewServeMux()
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(gen.OpenAPI)
	})
	root.HandleFunc("GET /openapi.v3.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(gen.OpenAPIv3)
	})
	root.HandleFunc("GET /healthz", healthz)
	root.HandleFunc("GET /readyz", readyz(hs, srv))
	root.Handle("/", routed(mux, routeCheck(mux)))
	return callerCredentials(srv, lim.rest(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root.ServeHTTP(w, r.WithContext(server.WithTransport(r.Context(), "rest")))
	}))), nil
}

// restError is grpc-gateway's error answer, with the contract's ErrorInfo
// added to the errors grpc-gateway makes itself before the service runs (a
// body that is not JSON, a query parameter of the wrong type): those carry
// none, while every error of the service already has one.
func restError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	if v := violationsIn(st.Message()); v != nil {
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, violationsStatus(v).Err())
		return
	}
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
			return
		}
	}
	reason := st.Code().String()
	switch st.Code() {
	case codes.InvalidArgument:
		reason, st = "INVALID_ARGUMENT", status.New(codes.InvalidArgument, "malformed request: "+st.Message())
	case codes.NotFound:
		reason = "NOT_FOUND"
	case codes.Unimplemented:
		reason = "METHOD_NOT_ALLOWED"
	}
	if withInfo, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: server.ErrorDomain}); derr == nil {
		st = withInfo
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
}

// restRoutingError answers a request that matches no REST route, naming
// what was asked for.
func restRoutingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusNotFound:
		st = status.Newf(codes.NotFound, "no REST route for %s %s (the routes are listed in /openapi.json)", r.Method, r.URL.Path)
	case http.StatusMethodNotAllowed:
		st = status.Newf(codes.Unimplemented, "method %s is not allowed on %s", r.Method, r.URL.Path)
	default:
		st = status.New(codes.InvalidArgument, http.StatusText(httpStatus))
	}
	restError(ctx, mux, m, w, r, st.Err())
}

func buildClouds(opt Options, log *slog.Logger, ct *cloudTelemetry, fleet *shared) ([]server.Cloud, func(), *config.File, error) {
	if opt.ConfigPath == "" {
		return demoClouds(log, ct)
	}
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	file, err := config.Load(opt.ConfigPath, getenv, dialects.All)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config %s: %w", opt.ConfigPath, err)
	}
	for _, w := range file.Warnings {
		log.Warn("config", "warning", w)
	}
	if err := fleet.open(file, log); err != nil {
		return nil, nil, nil, fmt.Errorf("config %s: %w", opt.ConfigPath, err)
	}
	var clouds []server.Cloud
	var adapters []driver.Adapter
	cleanup := func() {}
	for i, c := range file.Clouds {
		a, err := newAdapter(c, log, ct, fleet.gate(c.Name))
		if err != nil {
			for _, a := range adapters {
				a.Close()
			}
			return nil, nil, nil, fmt.Errorf("config %s: clouds[%d] (%s): %w", opt.ConfigPath, i, c.Name, err)
		}
		adapters = append(adapters, a)
		clouds = append(clouds, server.Cloud{Name: c.Name, Adapter: a, Timeout: c.Timeout, Zones: c.Zones})
	}
	return clouds, cleanup, file, nil
}

// newAdapter builds a cloud's adapter through its dialect. Each cloud gets
// its own keep-alive HTTP client, so one slow vendor cannot exhaust
// another's connections.
func newAdapter(c config.Cloud, log *slog.Logger, ct *cloudTelemetry, gate state.LoginGate) (driver.Adapter, error) {
	return c.Open(dialect.Deps{HTTPClient: ct.client(c.Name, c.Dialect, c.Policy), Logger: log.With("cloud", c.Name, "dialect", c.Dialect),
		LoginGate: gate})
}

// demoClouds starts one emulated vendor per dialect on loopback.
func demoClouds(log *slog.Logger, ct *cloudTelemetry) ([]server.Cloud, func(), *config.File, error) {
	clouds, cleanup, err := demo.Start(log, func(cloud string, d driver.Dialect) *http.Client {
		return ct.client(cloud, string(d), backendhttp.Policy{})
	})
	return clouds, cleanup, nil, err
}

func printBanner(w io.Writer, httpAddr, grpcAddr string, clouds []server.Cloud) {
	names := ""
	for i, c := range clouds {
		if i > 0 {
			names += ", "
		}
		names += c.Name
	}
	fmt.Fprintf(w, `
computegw DEMO MODE: no config given (--config or COMPUTEGW_CONFIG), so the gateway
serves emulated clouds backed by in-process fake vendor servers: %s.
Nothing here touches a real cloud.

  REST  http://%[2]s    curl http://%[2]s/v1/clouds
                                 curl http://%[2]s/v1/clouds/-/instances
  gRPC  %[3]s           grpcurl -plaintext %[3]s list
  API   http://%[2]s/openapi.json (OpenAPI 2.0), http://%[2]s/openapi.v3.json (OpenAPI 3.0)

`, names, httpAddr, grpcAddr)
	demo.WriteHints(w, httpAddr)
}
