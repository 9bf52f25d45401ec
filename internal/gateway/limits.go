package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/server"
)

// limiter enforces the `limits` section (config.Limits) on both
// listeners: request sizes, the calls and body bytes in flight, and the
// watch streams per caller. The listeners' own settings (timeouts, header
// sizes, gRPC streams and keepalive) are in httpServer and grpcLimits.
type limiter struct {
	cfg    config.Limits
	guard  *auth.Guard // nil: callers are told apart by address only
	calls  *semaphore.Weighted
	bodies *semaphore.Weighted

	mu      sync.Mutex
	watches map[string]int // open watch streams per caller
}

func newLimiter(cfg config.Limits, guard *auth.Guard) *limiter {
	return &limiter{cfg: cfg, guard: guard, calls: semaphore.NewWeighted(int64(cfg.MaxInflightCalls)),
		bodies: semaphore.NewWeighted(cfg.MaxInflightRequestBytes), watches: map[string]int{}}
}

// busy is the answer to a call over an in-flight cap: RESOURCE_EXHAUSTED
// (HTTP 429) with RetryInfo, as the gateway itself is what is short.
func busy(what string) error {
	return &driver.Error{Code: driver.CodeResourceExhausted, Reason: "GATEWAY_BUSY", RetryAfter: time.Second,
		Message: "the gateway is at its limit of " + what + "; retry shortly"}
}

func tooLarge(n, limit int64) error {
	size := "request body is"
	if n >= 0 {
		size = fmt.Sprintf("request body of %d bytes is", n)
	}
	return &driver.Error{Code: driver.CodeResourceExhausted, Reason: "REQUEST_TOO_LARGE",
		Message: fmt.Sprintf("%s over the gateway's limit of %d bytes (limits.max_request_bytes)", size, limit)}
}

// rest applies the limits to a REST request (after authentication, before
// anything reads the body): a body over max_request_bytes is 413 whatever
// the load; then the call takes a slot of max_inflight_calls and its body's
// bytes of max_inflight_request_bytes, or is answered 429 GATEWAY_BUSY. The
// watch route instead takes a slot of its caller's watch streams and is
// freed of the listener's read and write timeouts.
func (l *limiter) rest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ":watch") {
			release, err := l.watch(r.Context(), auth.FromHTTP(r), r.RemoteAddr)
			if err != nil {
				writeStatus(w, server.Status(err))
				return
			}
			defer release()
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
			next.ServeHTTP(w, r)
			return
		}
		if openPaths[r.URL.Path] { // health and the API description: never refused for load
			next.ServeHTTP(w, r)
			return
		}
		limit := l.cfg.MaxRequestBytes
		if r.ContentLength > limit {
			writeStatus(w, server.Status(tooLarge(r.ContentLength, limit)))
			return
		}
		if !l.calls.TryAcquire(1) {
			writeStatus(w, server.Status(busy(fmt.Sprintf("%d calls in flight (limits.max_inflight_calls)", l.cfg.MaxInflightCalls))))
			return
		}
		defer l.calls.Release(1)
		if r.Body != nil && r.Body != http.NoBody {
			// A body of unknown length (chunked) holds the largest
			// allowed size until it is read.
			n := r.ContentLength
			if n < 0 {
				n = limit
			}
			if !l.bodies.TryAcquire(n) {
				writeStatus(w, server.Status(busy(fmt.Sprintf("%d request bytes in flight (limits.max_inflight_request_bytes)", l.cfg.MaxInflightRequestBytes))))
				return
			}
			defer l.bodies.Release(n)
			if r.ContentLength < 0 {
				// Read here, at most one byte past the limit, so that an
				// oversized one gets the same answer as a declared one.
				body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
				if err != nil {
					writeStatus(w, server.Status(&driver.Error{Code: driver.CodeInvalidArgument, Message: "reading the request body: " + err.Error()}))
					return
				}
				if int64(len(body)) > limit {
					writeStatus(w, server.Status(tooLarge(-1, limit)))
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// watch takes one of the caller's watch streams, or fails with
// RESOURCE_EXHAUSTED naming the cap. The caller is the authenticated
// principal; without one (no auth, anonymous, or credentials the RPC will
// refuse itself) the client's IP address.
func (l *limiter) watch(ctx context.Context, creds auth.Credentials, remote string) (func(), error) {
	caller := ""
	if l.guard != nil {
		if id, err := l.guard.Authenticate(ctx, creds); err == nil && id != nil && id.Principal != "" && id.Principal != "anonymous" {
			caller = id.Principal
		}
	}
	if caller == "" {
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		caller = "address " + host
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watches[caller] >= l.cfg.WatchStreamsPerCaller {
		return nil, &driver.Error{Code: driver.CodeResourceExhausted, Reason: "TOO_MANY_WATCHES", RetryAfter: 5 * time.Second,
			Message: fmt.Sprintf("%s already has %d open watch streams, the gateway's limit per caller (limits.watch_streams_per_caller); end one first",
				caller, l.cfg.WatchStreamsPerCaller)}
	}
	l.watches[caller]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.watches[caller]--; l.watches[caller] <= 0 {
				delete(l.watches, caller)
			}
		})
	}, nil
}

const computeService = "/computegw.v1.ComputeService/"

// grpcOptions are the gRPC server's limits: message and metadata sizes,
// streams per connection, keepalive enforcement and connection ages, the
// in-flight call cap (unary ComputeService calls; health and reflection
// are exempt) and the watch streams per caller.
func (l *limiter) grpcOptions() []grpc.ServerOption {
	c := l.cfg
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(c.MaxRequestBytes)),
		grpc.MaxHeaderListSize(uint32(c.MaxHeaderBytes)),
		grpc.MaxConcurrentStreams(c.GRPCMaxConcurrentStreams),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: c.GRPCKeepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: c.GRPCMaxConnectionIdle, MaxConnectionAge: c.GRPCMaxConnectionAge, MaxConnectionAgeGrace: c.GRPCMaxConnectionAgeGrace,
			Time: c.GRPCKeepaliveTime, Timeout: c.GRPCKeepaliveTimeout,
		}),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if !strings.HasPrefix(info.FullMethod, computeService) {
				return handler(ctx, req)
			}
			if !l.calls.TryAcquire(1) {
				return nil, server.Status(busy(fmt.Sprintf("%d calls in flight (limits.max_inflight_calls)", c.MaxInflightCalls))).Err()
			}
			defer l.calls.Release(1)
			return handler(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			if info.FullMethod != computeService+"WatchInstance" {
				return handler(srv, ss)
			}
			remote := ""
			if p, ok := peer.FromContext(ss.Context()); ok && p.Addr != nil {
				remote = p.Addr.String()
			}
			release, err := l.watch(ss.Context(), auth.FromGRPC(ss.Context()), remote)
			if err != nil {
				return server.Status(err).Err()
			}
			defer release()
			return handler(srv, ss)
		}),
	}
}

// httpServer is the REST listener's server with the limits' timeouts and
// header cap.
func (l *limiter) httpServer(h http.Handler) *http.Server {
	c := l.cfg
	return &http.Server{Handler: h, MaxHeaderBytes: c.MaxHeaderBytes,
		ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout, IdleTimeout: c.IdleTimeout}
}
