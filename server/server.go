// Package server is computegw's portable compute layer: the one
// implementation of computegw.v1.ComputeService, shared by the gRPC listener
// and the in-process REST gateway. It owns everything that must not differ
// between dialects — resource-name parsing, request validation, paging and
// page tokens, cross-cloud fan-out, idempotent creates, the per-call backend
// deadline, error conversion to google.rpc.Status (driver codes to gRPC
// codes with ErrorInfo, RetryInfo and BadRequest details), and
// the UNIMPLEMENTED answer for operations a dialect lacks — and the one call
// log both transports share. Adapters (package driver) only speak dialects.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/telemetry"
)

// Cloud is one configured cloud.
type Cloud struct {
	Name    string         // [a-z][a-z0-9-]{0,62}
	Adapter driver.Adapter // the dialect adapter, owned by the Server from now on
	// Timeout bounds each backend call (default 30s). The caller's own
	// deadline applies when it is earlier.
	Timeout time.Duration
	// Zones is the cloud's configured static zone list (informational here;
	// dialects that cannot list zones use it themselves).
	Zones []string
}

// Options configure a Server.
type Options struct {
	Clouds []Cloud
	Logger *slog.Logger // nil: discard
	// PageTokenKey signs page tokens. Gateways behind one load balancer
	// must share it; nil picks a random key (tokens then work only on this
	// process).
	PageTokenKey []byte
	// WatchInterval is how often WatchInstance polls the backend while the
	// instance is transitional (default 2s), WatchSteadyInterval while it
	// is steady (RUNNING, STOPPED, ...; default 5 x WatchInterval); one
	// poller serves every watcher of an instance. MaxWatch caps a watch
	// whose caller set no deadline (default 1h).
	WatchInterval       time.Duration
	WatchSteadyInterval time.Duration
	MaxWatch            time.Duration
	// State holds the CreateInstance request_id records (and is reported
	// by CheckState). nil: an in-process store (state.NewMemory) with
	// IdempotencyTTL (default 24h) and at most IdempotencyMaxEntries
	// (default 100000) records. The caller owns and closes a State it gives.
	State                 state.Store
	IdempotencyTTL        time.Duration
	IdempotencyMaxEntries int
	// FlavorWait is the longest a read waits for a cloud's flavor list to
	// fill Instance.flavor_details when nothing is cached yet (default 2s);
	// past it the instance is answered without them.
	FlavorWait time.Duration
	// CreateSettle is how long after a create with an unknown outcome
	// ended the gateway waits before it believes the vendor's "no instance
	// carries this request_id" and creates again (default 3s): the vendor
	// may still be acting on a request it received as the connection broke.
	CreateSettle time.Duration
	Now          func() time.Time
	// Guard authenticates callers and holds the per-cloud roles (viewer,
	// operator, admin); nil serves every caller.
	Guard *auth.Guard
	// Telemetry counts calls, watch streams, logins and the flavor cache
	// (nil: none).
	Telemetry *telemetry.Telemetry
	// CrossCloudTimeout bounds a clouds/- list whose caller set no
	// deadline (default DefaultCrossCloudTimeout, well under a cloud's
	// timeout): a cloud slower than that is reported unreachable instead
	// of holding the whole answer.
	CrossCloudTimeout time.Duration
}

// DefaultCrossCloudTimeout is Options.CrossCloudTimeout's default.
const DefaultCrossCloudTimeout = 5 * time.Second

type cloud struct {
	name    string
	dialect driver.Dialect
	adapter driver.Adapter
	timeout time.Duration
	zones   []string
	caps    []string          // the RPCs it supports (GetCloud)
	lacks   map[string]string // the optional RPCs it lacks -> name in messages
	flavors flavorCache
	tel     *telemetry.Cloud
	// logs are the call-line loggers of the cloud per transport (grpc,
	// rest), with transport, cloud and dialect bound once (see callLog).
	logs [2]*slog.Logger
}

// transports are the values of the call line's transport attribute that
// have loggers bound in advance.
var transports = [2]string{"grpc", "rest"}

// callLog is the logger of a call's line: the attributes every line of a
// cloud and transport carries are bound (and, by slog's handlers,
// formatted) once, not per call. ok is false for a transport without one.
func (s *Server) callLog(cl *cloud, transport string) (_ *slog.Logger, ok bool) {
	for i, t := range transports {
		if t == transport {
			if cl != nil {
				return cl.logs[i], true
			}
			return s.logs[i], true
		}
	}
	return s.log, false
}

// Server implements pb.ComputeServiceServer.
type Server struct {
	pb.UnimplementedComputeServiceServer

	log     *slog.Logger
	logs    [2]*slog.Logger // call-line loggers per transport, for calls naming no cloud
	clouds  []*cloud
	byName  map[string]*cloud
	tokens  pageTokens
	opt     Options
	idem    *idempotency
	state   state.Store
	watches *watchHub

	closeOnce sync.Once
	drainOnce sync.Once
	draining  chan struct{}

	// Background work (flavor cache refreshes) runs on bgCtx, which Close
	// cancels before it waits for bg and closes the adapters.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup
}

var _ pb.ComputeServiceServer = (*Server)(nil)

// New checks the clouds and returns a Server. It makes no backend call.
func New(opt Options) (*Server, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.WatchInterval <= 0 {
		opt.WatchInterval = 2 * time.Second
	}
	if opt.CrossCloudTimeout <= 0 {
		opt.CrossCloudTimeout = DefaultCrossCloudTimeout
	}
	if opt.WatchSteadyInterval <= 0 {
		opt.WatchSteadyInterval = 5 * opt.WatchInterval
	}
	if opt.MaxWatch <= 0 {
		opt.MaxWatch = time.Hour
	}
	if opt.IdempotencyTTL <= 0 {
		opt.IdempotencyTTL = 24 * time.Hour
	}
	if opt.IdempotencyMaxEntries <= 0 {
		opt.IdempotencyMaxEntries = 100000
	}
	if opt.FlavorWait <= 0 {
		opt.FlavorWait = 2 * time.Second
	}
	key := opt.PageTokenKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("page token key: %w", err)
		}
	}
	s := &Server{
		log:      opt.Logger,
		byName:   map[string]*cloud{},
		tokens:   pageTokens{key: key},
		opt:      opt,
		draining: make(chan struct{}),
	}
	s.state = opt.State
	if s.state == nil {
		s.state = state.NewMemory(state.MemoryOptions{TTL: opt.IdempotencyTTL, MaxEntries: opt.IdempotencyMaxEntries, Now: opt.Now})
	}
	for i, t := range transports {
		s.logs[i] = opt.Logger.With(slog.String("transport", t))
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.watches = &watchHub{s: s, polls: map[string]*poller{}}
	if opt.CreateSettle <= 0 {
		opt.CreateSettle = 3 * time.Second
	}
	s.idem = &idempotency{st: s.state, log: opt.Logger, durable: s.state.Kind() != "memory", settle: opt.CreateSettle,
		background: func(job func(context.Context)) {
			if s.bgCtx.Err() == nil {
				s.bg.Go(func() { job(s.bgCtx) })
			}
		}}
	for i, c := range opt.Clouds {
		if !CloudNamePattern.MatchString(c.Name) {
			return nil, fmt.Errorf("clouds[%d]: name %q does not match %s", i, c.Name, CloudNamePattern)
		}
		if _, dup := s.byName[c.Name]; dup {
			return nil, fmt.Errorf("clouds[%d]: duplicate cloud name %q", i, c.Name)
		}
		if c.Adapter == nil {
			return nil, fmt.Errorf("clouds[%d] (%s): no adapter", i, c.Name)
		}
		if c.Timeout <= 0 {
			c.Timeout = 30 * time.Second
		}
		cl := &cloud{name: c.Name, dialect: c.Adapter.Dialect(), adapter: c.Adapter,
			timeout: c.Timeout, zones: c.Zones,
			tel: opt.Telemetry.Cloud(c.Name, string(c.Adapter.Dialect()))}
		cl.caps, cl.lacks = capabilities(c.Adapter)
		for i, t := range transports {
			cl.logs[i] = opt.Logger.With(slog.String("transport", t), slog.String("cloud", cl.name), slog.String("dialect", string(cl.dialect)))
		}
		s.clouds = append(s.clouds, cl)
		s.byName[c.Name] = cl
	}
	return s, nil
}

// Drain ends open WatchInstance streams with UNAVAILABLE ("the gateway is
// shutting down; watch again") so a graceful stop need not wait for them.
// Unary calls in flight are unaffected.
func (s *Server) Drain() {
	s.drainOnce.Do(func() { close(s.draining) })
}

// CheckState reports the state store's kind ("memory", "redis") and
// whether it can be reached now (for readiness reports).
func (s *Server) CheckState(ctx context.Context) (kind string, err error) {
	return s.state.Kind(), s.state.Check(ctx)
}

// Close closes every adapter.
func (s *Server) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.bgCancel()
		s.bg.Wait()
		for _, c := range s.clouds {
			errs = append(errs, c.adapter.Close())
		}
	})
	return errors.Join(errs...)
}

// --- the call layer shared by gRPC and REST ---------------------------------

type transportKey struct{}

// WithTransport labels ctx with the transport a call came in on ("grpc",
// "rest") for the call log.
func WithTransport(ctx context.Context, t string) context.Context {
	return context.WithValue(ctx, transportKey{}, t)
}

// call is one RPC in progress: what the log line needs.
type call struct {
	s     *Server
	cloud *cloud
	authz // caller security: authz.go
	// label is the cloud as metrics name it: a configured name, "-",
	// telemetry.CloudUnknown, or "" while the call has named none.
	label string
}

// lookup resolves a cloud name and remembers it for the log line.
func (c *call) lookup(name string) (*cloud, error) {
	cl, ok := c.s.byName[name]
	c.label = telemetry.CloudUnknown
	if ok {
		c.label = name
	}
	if err := c.authorize(name); err != nil {
		return nil, err
	}
	if !ok {
		return nil, &driver.Error{Code: driver.CodeNotFound, Reason: "CLOUD_NOT_FOUND",
			Message: fmt.Sprintf("cloud %q is not configured on this gateway", name)}
	}
	c.cloud = cl
	return cl, nil
}

// do runs one RPC: panics become INTERNAL, errors become the contract's
// statuses, and one structured log line records method, cloud, code and
// latency. It never logs request bodies, so no secret reaches the log.
func (s *Server) do(ctx context.Context, method string, fn func(ctx context.Context, c *call) error) (err error) {
	start := time.Now()
	c := &call{s: s}
	transport, _ := ctx.Value(transportKey{}).(string)
	if transport == "" {
		transport = "grpc"
	}
	ctx, tc := s.opt.Telemetry.StartCall(ctx, method, transport)
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "panic in RPC", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error in computegw")
		}
		code := codes.OK
		// The gateway's own backend credentials refused is an operator's
		// problem, not the caller's: WARN although it is FAILED_PRECONDITION.
		credentials := err != nil && driver.CodeOf(err) == driver.CodeCredentialsRejected
		if err != nil {
			err = toStatus(ctx, c.cloud, err)
			code = status.Code(err)
		}
		tc.End(c.label, code)
		// Typed attributes in one fixed-size array: the line costs no
		// per-attribute boxing.
		var buf [7]slog.Attr
		attrs := append(buf[:0], slog.String("method", method), slog.String("code", code.String()),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000))
		log, bound := s.callLog(c.cloud, transport)
		if !bound {
			attrs = append(attrs, slog.String("transport", transport))
			if c.cloud != nil {
				attrs = append(attrs, slog.String("cloud", c.cloud.name), slog.String("dialect", string(c.cloud.dialect)))
			}
		}
		level := slog.LevelInfo
		switch code {
		case codes.Internal, codes.Unknown, codes.Unavailable, codes.DataLoss:
			level = slog.LevelWarn
		}
		if credentials {
			level = slog.LevelWarn
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
		}
		log.LogAttrs(ctx, level, "rpc", attrs...)
		c.audit(ctx, code)
	}()
	if err := c.authenticate(ctx, method); err != nil {
		return err
	}
	return fn(ctx, c)
}

// backend bounds one adapter call by the cloud's timeout.
func backend[T any](ctx context.Context, cl *cloud, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(telemetry.WithCloud(ctx, cl.tel), cl.timeout)
	defer cancel()
	return fn(ctx)
}

func backendErr(ctx context.Context, cl *cloud, fn func(ctx context.Context) error) error {
	_, err := backend(ctx, cl, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// unary runs one RPC (see do) whose body returns its answer; with an error
// the answer is nil.
func unary[T any](ctx context.Context, s *Server, method string, fn func(ctx context.Context, c *call) (T, error)) (T, error) {
	var out T
	err := s.do(ctx, method, func(ctx context.Context, c *call) (err error) {
		out, err = fn(ctx, c)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// empty runs one RPC (see do) that answers google.protobuf.Empty.
func (s *Server) empty(ctx context.Context, method string, fn func(ctx context.Context, c *call) error) (*emptypb.Empty, error) {
	if err := s.do(ctx, method, fn); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// resolveOptional resolves the cloud of a resource name (see resolve) and
// then the optional adapter interface I behind rpc (see optional).
func resolveOptional[I any](c *call, rpc, field, name string, collections ...string) (*cloud, I, []string, error) {
	var zero I
	cl, ids, err := c.resolve(field, name, collections...)
	if err != nil {
		return nil, zero, nil, err
	}
	v, err := optional[I](cl, rpc)
	if err != nil {
		return nil, zero, nil, err
	}
	return cl, v, ids, nil
}

// getOptional serves a Get RPC on an optional adapter interface I: it
// resolves name (a resource of the collection under a cloud), reads it
// with get, bounded by the cloud's timeout, and converts it with conv.
func getOptional[I, T, P any](ctx context.Context, s *Server, rpc, name, collection string,
	get func(v I, ctx context.Context, id string) (T, error), conv func(cloud string, v T) P) (P, error) {
	return unary(ctx, s, rpc, func(ctx context.Context, c *call) (P, error) {
		var zero P
		cl, v, ids, err := resolveOptional[I](c, rpc, "name", name, collection)
		if err != nil {
			return zero, err
		}
		got, err := backend(ctx, cl, func(ctx context.Context) (T, error) { return get(v, ctx, ids[0]) })
		if err != nil {
			return zero, err
		}
		return conv(cl.name, got), nil
	})
}

// deleteOptional serves a Delete RPC on an optional adapter interface I:
// it resolves name (a resource of the collection under a cloud) and calls
// del, bounded by the cloud's timeout.
func deleteOptional[I any](ctx context.Context, s *Server, rpc, name, collection string,
	del func(v I, ctx context.Context, id string) error) (*emptypb.Empty, error) {
	return s.empty(ctx, rpc, func(ctx context.Context, c *call) error {
		cl, v, ids, err := resolveOptional[I](c, rpc, "name", name, collection)
		if err != nil {
			return err
		}
		return backendErr(ctx, cl, func(ctx context.Context) error { return del(v, ctx, ids[0]) })
	})
}

// pagedRequest is a List request that the gateway pages itself.
type pagedRequest interface {
	GetParent() string
	GetPageSize() int32
	GetPageToken() string
}

// listLocal is the body of a List RPC that the gateway pages itself: it
// checks the page size, reads every item with fetch, bounded by the cloud's
// timeout, keeps what keep returns (nil: all) and pages that under kind,
// the request's parent and filter (the request's filter hash, "" for none).
func listLocal[T any](ctx context.Context, s *Server, cl *cloud, req pagedRequest, kind, filter string,
	fetch func(ctx context.Context) ([]T, error), keep func([]T) []T) ([]T, string, error) {
	if _, err := pageSize(req.GetPageSize()); err != nil {
		return nil, "", err
	}
	all, err := backend(ctx, cl, fetch)
	if err != nil {
		return nil, "", err
	}
	if keep != nil {
		all = keep(all)
	}
	return pageLocal(s.tokens, all, kind, req.GetParent(), filter, req.GetPageToken(), req.GetPageSize())
}

// listOptional serves a List RPC of a cloud's resources on an optional
// adapter interface I: it resolves the request's parent cloud, lists with
// list (see listLocal), sorted by id when id is set (so that page tokens
// stay valid while the vendor's order changes), converts the page with conv
// and answers what answer makes of it and the next page token.
func listOptional[I, T, P, R any](ctx context.Context, s *Server, rpc string, req pagedRequest, kind string,
	list func(v I, ctx context.Context) ([]T, error), id func(T) string, conv func(cloud string, t *T) P,
	answer func(page []P, next string) R) (R, error) {
	return unary(ctx, s, rpc, func(ctx context.Context, c *call) (R, error) {
		var zero R
		cl, v, _, err := resolveOptional[I](c, rpc, "parent", req.GetParent())
		if err != nil {
			return zero, err
		}
		var keep func([]T) []T
		if id != nil {
			keep = func(all []T) []T {
				all = slices.Clone(all)
				slices.SortStableFunc(all, func(a, b T) int { return strings.Compare(id(a), id(b)) })
				return all
			}
		}
		page, next, err := listLocal(ctx, s, cl, req, kind, "", func(ctx context.Context) ([]T, error) { return list(v, ctx) }, keep)
		if err != nil {
			return zero, err
		}
		return answer(protos(cl.name, page, conv), next), nil
	})
}

// protos converts items with conv (nil for none).
func protos[T, P any](cloud string, items []T, conv func(cloud string, t *T) P) []P {
	var out []P
	for i := range items {
		out = append(out, conv(cloud, &items[i]))
	}
	return out
}

// --- clouds -----------------------------------------------------------------

func (s *Server) cloudToProto(cl *cloud) *pb.Cloud {
	out := &pb.Cloud{Name: "clouds/" + cl.name, Dialect: DialectEnum(cl.dialect), Capabilities: cl.caps, ConfiguredZones: cl.zones}
	if r, ok := cl.adapter.(driver.CreateRequirer); ok {
		req := r.CreateRequirements()
		out.CreateRequirements = &pb.CreateRequirements{RequiredFields: req.RequiredFields,
			DisplayNameRule: req.DisplayNameRule, BootVolumeRule: req.BootVolumeRule}
	}
	return out
}

// ListClouds implements pb.ComputeServiceServer.
func (s *Server) ListClouds(ctx context.Context, _ *pb.ListCloudsRequest) (*pb.ListCloudsResponse, error) {
	out := &pb.ListCloudsResponse{}
	err := s.do(ctx, "ListClouds", func(ctx context.Context, c *call) error {
		for _, cl := range c.visible(s.clouds) {
			out.Clouds = append(out.Clouds, s.cloudToProto(cl))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetCloud implements pb.ComputeServiceServer.
func (s *Server) GetCloud(ctx context.Context, req *pb.GetCloudRequest) (*pb.Cloud, error) {
	return unary(ctx, s, "GetCloud", func(ctx context.Context, c *call) (*pb.Cloud, error) {
		cl, _, err := c.resolve("name", req.GetName())
		if err != nil {
			return nil, err
		}
		return s.cloudToProto(cl), nil
	})
}
