package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/telemetry"
)

// Caller security in the layer both transports share:
// every RPC authenticates first, in do, and is authorized for its cloud in
// lookup, the one place a cloud name becomes a cloud; the cross-cloud
// reads (ListClouds, ListInstances on clouds/-) show only the clouds the
// caller has a role on.

// Reasons of the caller-security errors (pinned).
const (
	ReasonUnauthenticated = "CALLER_UNAUTHENTICATED"
	ReasonForbidden       = "CALLER_FORBIDDEN"
)

// authz is the caller-security state of one call.
type authz struct {
	method    string
	need      auth.Role
	id        *auth.Identity
	resource  string // the request's resource name, for the audit line
	requestID string // CreateInstance's request_id, for the audit line
}

type (
	identityKey struct{}
	refusalKey  struct{}
)

// Authenticate checks the caller's credentials (from auth.WithCredentials,
// else the gRPC metadata and peer) and returns ctx carrying the identity,
// so that the RPC it is passed to does not check them again. The REST front
// end calls it before it reads the request, so that authentication comes
// before everything else; RPCs call it themselves. Without a guard it
// returns ctx unchanged.
func (s *Server) Authenticate(ctx context.Context) (context.Context, error) {
	if s.opt.Guard == nil {
		return ctx, nil
	}
	if _, ok := ctx.Value(identityKey{}).(*auth.Identity); ok {
		return ctx, nil
	}
	creds, ok := auth.CredentialsFrom(ctx)
	if !ok {
		creds = auth.FromGRPC(ctx)
	}
	id, err := s.opt.Guard.Authenticate(ctx, creds)
	if err != nil {
		err = authStatus(err)
		return context.WithValue(ctx, refusalKey{}, err), err
	}
	return context.WithValue(ctx, identityKey{}, id), nil
}

// Refused records a call the REST front end refused because Authenticate
// failed on ctx (the context it returned): the same call log line and
// metrics as any RPC, without checking the credentials again. method is
// the RPC's short name.
func (s *Server) Refused(ctx context.Context, method string) {
	_ = s.do(ctx, method, func(context.Context, *call) error { return nil })
}

// authStatus is the contract's status for an authentication failure.
func authStatus(err error) error {
	var ae *auth.Error
	if errors.As(err, &ae) && ae.Kind == auth.KeysUnavailable {
		return toStatus(context.Background(), nil, &driver.Error{Code: driver.CodeUnavailable, Reason: "AUTH_KEYS_UNAVAILABLE", Message: ae.Msg})
	}
	st := status.New(codes.Unauthenticated, "unauthenticated: "+err.Error())
	if d, derr := st.WithDetails(&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonUnauthenticated}); derr == nil {
		st = d
	}
	return st.Err()
}

// authenticate is the first step of every RPC.
func (c *call) authenticate(ctx context.Context, method string) error {
	c.method, c.need = method, auth.RoleFor(method)
	if c.s.opt.Guard == nil {
		return nil
	}
	if err, ok := ctx.Value(refusalKey{}).(error); ok {
		return err
	}
	ctx, err := c.s.Authenticate(ctx)
	if err != nil {
		return err
	}
	c.id = ctx.Value(identityKey{}).(*auth.Identity)
	return nil
}

// authorize checks that the caller has the call's role on cloud, before
// the cloud is looked up: a cloud without a role is PERMISSION_DENIED
// whether or not it exists.
func (c *call) authorize(cloud string) error {
	g := c.s.opt.Guard
	if g == nil {
		return nil
	}
	if has := g.Role(c.id, cloud); has >= c.need {
		return nil
	}
	msg := fmt.Sprintf("%s has no role %s on cloud %q (%s needs %s)", c.id.Principal, c.need, cloud, c.method, c.need)
	return &driver.Error{Code: driver.CodePermissionDenied, Reason: ReasonForbidden, Message: msg}
}

// sees reports whether the caller may see cloud in a cross-cloud read.
func (c *call) sees(cloud string) bool {
	g := c.s.opt.Guard
	return g == nil || g.Role(c.id, cloud) >= c.need
}

// visible filters clouds to those the caller sees.
func (c *call) visible(clouds []*cloud) []*cloud {
	if c.s.opt.Guard == nil {
		return clouds
	}
	out := make([]*cloud, 0, len(clouds))
	for _, cl := range clouds {
		if c.sees(cl.name) {
			out = append(out, cl)
		}
	}
	return out
}

// audit writes the one audit line of a call that changes something, once
// the caller is known (an unauthenticated attempt is only in the call log).
func (c *call) audit(ctx context.Context, code codes.Code) {
	if c.method == "" || !auth.Changes(c.method) {
		return
	}
	principal := auth.Anonymous
	if c.s.opt.Guard != nil {
		if c.id == nil {
			return
		}
		principal = c.id.Principal
	}
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("principal", principal), slog.String("rpc", c.method),
		slog.String("resource", c.resource), slog.String("code", telemetry.CodeName(code))}
	if c.requestID != "" {
		attrs = append(attrs, slog.String("request_id", c.requestID))
	}
	transport, _ := ctx.Value(transportKey{}).(string)
	if transport == "" {
		transport = "grpc"
	}
	attrs = append(attrs, slog.String("transport", transport))
	c.s.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}
