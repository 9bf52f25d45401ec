package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/computegw/computegw/adapters/memory"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
	"github.com/computegw/computegw/internal/rpcdetail"
	"github.com/computegw/computegw/internal/syncbuf"
)

// lockedBuf collects JSON log lines.
type lockedBuf struct{ syncbuf.Buffer }

func (l *lockedBuf) lines() []map[string]any {
	var out []map[string]any
	for _, ln := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(ln), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

type guarded struct {
	srv    *Server
	conn   *grpc.ClientConn
	idp    *authtest.Provider
	logs   *lockedBuf
	client pb.ComputeServiceClient
}

// guardedServer serves clouds alpha, beta and gamma over a real gRPC
// listener, with JWT auth and this policy: admins admin everywhere, ops
// operator on alpha, viewers viewer everywhere, bob viewer on beta only.
func guardedServer(t *testing.T) *guarded {
	t.Helper()
	idp := authtest.NewProvider("https://idp.test", "computegw")
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, idp.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.JWTConfig{Issuer: idp.Issuer, Audience: idp.Audience, JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	g := &auth.Guard{JWT: v, Policy: auth.Policy{Rules: []auth.Rule{
		{Principals: []string{"group:admins"}, Clouds: []string{"*"}, Role: auth.Admin},
		{Principals: []string{"group:ops"}, Clouds: []string{"alpha"}, Role: auth.Operator},
		{Principals: []string{"group:viewers"}, Clouds: []string{"*"}, Role: auth.Viewer},
		{Principals: []string{"user:bob"}, Clouds: []string{"beta"}, Role: auth.Viewer},
	}}}
	logs := &lockedBuf{}
	var clouds []Cloud
	for _, n := range []string{"alpha", "beta", "gamma"} {
		clouds = append(clouds, Cloud{Name: n, Adapter: memory.New(memory.Options{Seed: true, Delay: time.Millisecond})})
	}
	s, err := New(Options{Clouds: clouds, Guard: g, Logger: slog.New(slog.NewJSONHandler(logs, nil)), WatchInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	pb.RegisterComputeServiceServer(gs, s)
	go gs.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); gs.Stop(); s.Close() })
	return &guarded{srv: s, conn: conn, idp: idp, logs: logs, client: pb.NewComputeServiceClient(conn)}
}

func (g *guarded) as(t *testing.T, sub string, groups ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+g.idp.Token(sub, groups...))
}

var templateField = regexp.MustCompile(`\{([a-z_.]+)=([^}]+)\}`)

// requestFor builds method's request with its resource-name field set from
// the HTTP rule's template, the cloud being cloud.
func requestFor(t *testing.T, md protoreflect.MethodDescriptor, cloud string) proto.Message {
	req := dynamicpb.NewMessage(md.Input())
	rule := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	var path string
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		path = p.Get
	case *annotations.HttpRule_Post:
		path = p.Post
	case *annotations.HttpRule_Patch:
		path = p.Patch
	case *annotations.HttpRule_Delete:
		path = p.Delete
	case *annotations.HttpRule_Put:
		path = p.Put
	}
	m := templateField.FindStringSubmatch(path)
	if m == nil {
		return req // ListClouds
	}
	name := strings.Replace(m[2], "*", cloud, 1)
	name = strings.ReplaceAll(name, "*", "x1")
	var msg protoreflect.Message = req
	fields := strings.Split(m[1], ".")
	for i, f := range fields {
		fd := msg.Descriptor().Fields().ByName(protoreflect.Name(f))
		if fd == nil {
			t.Fatalf("%s: no field %s", md.Name(), m[1])
		}
		if i == len(fields)-1 {
			msg.Set(fd, protoreflect.ValueOfString(name))
		} else {
			msg = msg.Mutable(fd).Message()
		}
	}
	return req
}

func (g *guarded) invoke(ctx context.Context, md protoreflect.MethodDescriptor, req proto.Message) error {
	full := "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
	if md.IsStreamingServer() {
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		st, err := g.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, full)
		if err != nil {
			return err
		}
		if err := st.SendMsg(req); err != nil {
			return err
		}
		st.CloseSend()
		err = st.RecvMsg(dynamicpb.NewMessage(md.Output()))
		if status.Code(err) == codes.DeadlineExceeded {
			return nil
		}
		return err
	}
	return g.conn.Invoke(ctx, full, req, dynamicpb.NewMessage(md.Output()))
}

// Every RPC of the service, found from its descriptor (so an RPC added
// later is covered without editing this test), is refused without
// credentials and for a caller without the role the contract gives it, and
// is let through with that role: no RPC bypasses the authorization step.
func TestEveryRPCIsAuthorized(t *testing.T) {
	g := guardedServer(t)
	methods := pb.File_computegw_v1_compute_proto.Services().ByName("ComputeService").Methods()
	callers := map[auth.Role]func() context.Context{
		auth.NoRole:   func() context.Context { return g.as(t, "bob") }, // viewer on beta only
		auth.Viewer:   func() context.Context { return g.as(t, "vera", "viewers") },
		auth.Operator: func() context.Context { return g.as(t, "otto", "ops") },
		auth.Admin:    func() context.Context { return g.as(t, "ada", "admins") },
	}
	for i := range methods.Len() {
		md := methods.Get(i)
		name := string(md.Name())
		if name == "ListClouds" {
			continue // no cloud: filtered instead (TestCrossCloudReadsShowOnlyTheCallersClouds)
		}
		t.Run(name, func(t *testing.T) {
			need := auth.RoleFor(name)
			err := g.invoke(context.Background(), md, requestFor(t, md, "alpha"))
			if status.Code(err) != codes.Unauthenticated || rpcdetail.ErrorInfo(t, err).GetReason() != ReasonUnauthenticated {
				t.Errorf("no credentials: %v, want UNAUTHENTICATED/%s", err, ReasonUnauthenticated)
			}
			for role, ctx := range callers {
				err := g.invoke(ctx(), md, requestFor(t, md, "alpha"))
				denied := status.Code(err) == codes.PermissionDenied
				if role < need {
					if !denied || rpcdetail.ErrorInfo(t, err).GetReason() != ReasonForbidden {
						t.Errorf("%s caller: %v, want PERMISSION_DENIED/%s", role, err, ReasonForbidden)
					} else if msg := status.Convert(err).Message(); !strings.Contains(msg, "no role "+need.String()+" on cloud \"alpha\"") {
						t.Errorf("%s caller: message %q does not name the role and cloud", role, msg)
					}
				} else if denied || status.Code(err) == codes.Unauthenticated {
					t.Errorf("%s caller (needs %s): %v", role, need, err)
				}
			}
			// A cloud that does not exist is PERMISSION_DENIED too for a
			// caller without a role everywhere, never NOT_FOUND.
			err = g.invoke(g.as(t, "otto", "ops"), md, requestFor(t, md, "no-such-cloud"))
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("nonexistent cloud: %v, want PERMISSION_DENIED", err)
			}
		})
	}
}

func TestCrossCloudReadsShowOnlyTheCallersClouds(t *testing.T) {
	g := guardedServer(t)
	clouds := func(ctx context.Context) string {
		res, err := g.client.ListClouds(ctx, &pb.ListCloudsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range res.GetClouds() {
			names = append(names, c.GetName())
		}
		return strings.Join(names, ",")
	}
	if got := clouds(g.as(t, "ada", "admins")); got != "clouds/alpha,clouds/beta,clouds/gamma" {
		t.Errorf("admin sees %s", got)
	}
	if got := clouds(g.as(t, "otto", "ops")); got != "clouds/alpha" {
		t.Errorf("operator on alpha sees %s", got)
	}
	if got := clouds(g.as(t, "nobody")); got != "" {
		t.Errorf("caller without roles sees %s", got)
	}
	list := func(ctx context.Context, token string, size int32) *pb.ListInstancesResponse {
		res, err := g.client.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/-", PageSize: size, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if n := len(list(g.as(t, "ada", "admins"), "", 100).GetInstances()); n < 6 {
		t.Fatalf("admin sees %d instances in all clouds, want 2 per cloud", n)
	}
	if got := list(g.as(t, "nobody"), "", 100); len(got.GetInstances())+len(got.GetUnreachable()) != 0 {
		t.Errorf("caller without roles sees %v", got)
	}
	res := list(g.as(t, "otto", "ops"), "", 100)
	if len(res.GetInstances()) != 2 {
		t.Errorf("operator on alpha sees %d instances, want alpha's 2", len(res.GetInstances()))
	}
	for {
		for _, in := range res.GetInstances() {
			if !strings.HasPrefix(in.GetName(), "clouds/alpha/") {
				t.Errorf("operator on alpha sees %s", in.GetName())
			}
		}
		if res.GetNextPageToken() == "" {
			break
		}
		res = list(g.as(t, "otto", "ops"), res.GetNextPageToken(), 100)
	}
	// An admin's page token replayed by bob (viewer on beta) shows beta only.
	adminPage := list(g.as(t, "ada", "admins"), "", 1)
	if adminPage.GetNextPageToken() == "" {
		t.Fatal("admin list has one page")
	}
	res = list(g.as(t, "bob"), adminPage.GetNextPageToken(), 100)
	if len(res.GetInstances()) != 2 {
		t.Errorf("bob replaying an admin token sees %d instances, want beta's 2", len(res.GetInstances()))
	}
	for _, in := range res.GetInstances() {
		if !strings.HasPrefix(in.GetName(), "clouds/beta/") {
			t.Errorf("bob replaying an admin token sees %s", in.GetName())
		}
	}
	for _, u := range res.GetUnreachable() {
		t.Errorf("unreachable names %s", u)
	}
}

func TestAuditLines(t *testing.T) {
	g := guardedServer(t)
	ctx := g.as(t, "ada", "admins")
	res, err := g.client.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/alpha"})
	if err != nil || len(res.GetInstances()) == 0 {
		t.Fatal(err, res)
	}
	name := res.GetInstances()[0].GetName()
	if _, err := g.client.StopInstance(ctx, &pb.StopInstanceRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	_, err = g.client.DeleteInstance(g.as(t, "otto", "ops"), &pb.DeleteInstanceRequest{Name: name})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatal(err)
	}
	_, _ = g.client.CreateInstance(ctx, &pb.CreateInstanceRequest{Parent: "clouds/alpha", RequestId: "8d3c6b8e-8d4b-4bb8-9a59-3c3e4d5e6f70"})
	_, _ = g.client.StartInstance(context.Background(), &pb.StartInstanceRequest{Name: name}) // unauthenticated: no audit line
	var audits []map[string]any
	for _, l := range g.logs.lines() {
		if l["audit"] == true {
			audits = append(audits, l)
		}
	}
	want := []map[string]any{
		{"principal": "user:ada", "rpc": "StopInstance", "resource": name, "code": "OK"},
		{"principal": "user:otto", "rpc": "DeleteInstance", "resource": name, "code": "PERMISSION_DENIED"},
		{"principal": "user:ada", "rpc": "CreateInstance", "resource": "clouds/alpha", "code": "INVALID_ARGUMENT", "request_id": "8d3c6b8e-8d4b-4bb8-9a59-3c3e4d5e6f70"},
	}
	if len(audits) != len(want) {
		t.Fatalf("%d audit lines, want %d: %v", len(audits), len(want), audits)
	}
	for i, w := range want {
		for k, v := range w {
			if audits[i][k] != v {
				t.Errorf("audit line %d: %s = %v, want %v (%v)", i, k, audits[i][k], v, audits[i])
			}
		}
	}
	for _, l := range g.logs.lines() {
		for _, v := range l {
			if s, ok := v.(string); ok && strings.Contains(s, "eyJ") {
				t.Errorf("a log line carries a token: %v", l)
			}
		}
	}
}
