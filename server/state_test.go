package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/state/redistest"
)

// shared is one vendor behind several replicas: Close is the test's.
type shared struct{ *countingCreate }

func (shared) Close() error { return nil }

// replicas starts n Servers sharing one Redis (a real redis-server) and
// one vendor, as n gateway replicas behind a load balancer do.
func replicas(t *testing.T, n int, vendor *countingCreate) ([]*Server, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	var out []*Server
	for range n {
		st, err := state.NewRedis(state.RedisOptions{Address: srv.Addr, Poll: 5 * time.Millisecond, OpTimeout: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: shared{vendor}}}, State: st, CreateSettle: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out, srv
}

func TestReplicasShareRequestIDs(t *testing.T) {
	cc := &countingCreate{Adapter: seeded(), delay: 50 * time.Millisecond}
	rs, _ := replicas(t, 2, cc)
	var wg sync.WaitGroup
	names := make([]string, 10)
	for i := range names {
		wg.Go(func() {
			in, err := rs[i%2].CreateInstance(context.Background(), createReq("fleet-1", "idem"))
			if err != nil {
				t.Error(err)
				return
			}
			names[i] = in.GetName()
		})
	}
	wg.Wait()
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d backend creates for one request_id on two replicas, want 1", n)
	}
	for _, n := range names {
		if n == "" || n != names[0] {
			t.Fatalf("replicas answered different instances: %v", names)
		}
	}
	// Later, on either replica: the same answer, no create.
	for _, s := range rs {
		in, err := s.CreateInstance(context.Background(), createReq("fleet-1", "idem"))
		if err != nil || in.GetName() != names[0] {
			t.Fatalf("later retry: %v %v", in.GetName(), err)
		}
	}
	_, err := rs[1].CreateInstance(context.Background(), createReq("fleet-1", "other body"))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("same request_id, different request, other replica: %v", err)
	}
	if cc.n.Load() != 1 {
		t.Errorf("%d creates", cc.n.Load())
	}
}

func TestReplicasShareOutcomes(t *testing.T) {
	// Refused on one replica: the retry on the other may create.
	cc := &countingCreate{Adapter: seeded(), failOne: &driver.Error{Code: driver.CodeResourceExhausted, Message: "quota"}}
	rs, _ := replicas(t, 2, cc)
	if _, err := rs[0].CreateInstance(context.Background(), createReq("r1", "x")); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("first: %v", err)
	}
	if _, err := rs[1].CreateInstance(context.Background(), createReq("r1", "x")); err != nil {
		t.Fatalf("retry on the other replica after a definite refusal: %v", err)
	}
	// Unknown on one replica, and the vendor shows nothing with the
	// marker: the other replica makes it, once.
	cc2 := &countingCreate{Adapter: seeded(), failOne: &driver.Error{Code: driver.CodeUnavailable, Message: "connection reset"}}
	rs2, _ := replicas(t, 2, cc2)
	_, _ = rs2[0].CreateInstance(context.Background(), createReq("r2", "x"))
	if _, err := rs2[1].CreateInstance(context.Background(), createReq("r2", "x")); err != nil {
		t.Errorf("retry on the other replica after an unknown outcome: %v", err)
	}
	if n := countMarked(t, cc2.Adapter, createReq("r2", "x").GetRequestId()); n != 1 {
		t.Errorf("%d instances carry the request_id, want 1", n)
	}
	// Made, but the answer was lost: the other replica answers with that
	// instance and creates nothing.
	lc := &lostCreate{Adapter: seeded()}
	rs3, _ := replicas(t, 2, &countingCreate{Adapter: lc})
	_, err := rs3[0].CreateInstance(context.Background(), createReq("r3", "x"))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("the lost answer: %v", err)
	}
	in, err := rs3[1].CreateInstance(context.Background(), createReq("r3", "x"))
	if err != nil || in.GetName() != "clouds/a/instances/"+lc.made[0] {
		t.Fatalf("retry on the other replica: %v %v, want the instance made (%v)", in.GetName(), err, lc.made)
	}
	if len(lc.made) != 1 {
		t.Errorf("%d instances made, want 1", len(lc.made))
	}
}

// TestRedisDownRefusesOnlyIdempotentCreates: with Redis gone a create with
// request_id is UNAVAILABLE STATE_UNAVAILABLE and reaches no backend;
// reads, actions and creates without request_id work; CheckState says so;
// when Redis is back the same Server uses it again by itself.
func TestRedisDownRefusesOnlyIdempotentCreates(t *testing.T) {
	cc := &countingCreate{Adapter: seeded()}
	rs, redisSrv := replicas(t, 1, cc)
	s := rs[0]
	ctx := context.Background()
	if _, err := s.CreateInstance(ctx, createReq("before", "x")); err != nil {
		t.Fatal(err)
	}
	redisSrv.Stop()

	_, err := s.CreateInstance(ctx, createReq("during", "x"))
	if status.Code(err) != codes.Unavailable || errInfo(t, err).GetReason() != "STATE_UNAVAILABLE" {
		t.Fatalf("create with request_id, Redis down: %v", err)
	}
	if cc.n.Load() != 1 {
		t.Fatalf("%d creates: a create with request_id reached the backend without its record", cc.n.Load())
	}
	list, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/a"})
	if err != nil || len(list.GetInstances()) == 0 {
		t.Fatalf("list with Redis down: %v", err)
	}
	if _, err := s.StopInstance(ctx, &pb.StopInstanceRequest{Name: list.GetInstances()[0].GetName()}); err != nil {
		t.Fatalf("an action with Redis down: %v", err)
	}
	if _, err := s.CreateInstance(ctx, createReq("", "no-id")); err != nil {
		t.Fatalf("create without request_id, Redis down: %v", err)
	}
	if kind, err := s.CheckState(ctx); kind != "redis" || err == nil {
		t.Fatalf("CheckState with Redis down: %s %v", kind, err)
	}

	redisSrv.Restart()
	if _, err := s.CheckState(ctx); err != nil {
		t.Fatalf("CheckState after restart: %v", err)
	}
	n := cc.n.Load()
	if _, err := s.CreateInstance(ctx, createReq("during", "x")); err != nil {
		t.Fatalf("create with request_id after Redis came back: %v", err)
	}
	if _, err := s.CreateInstance(ctx, createReq("before", "x")); err != nil {
		t.Fatalf("retry of the record kept over the restart: %v", err)
	}
	if got := cc.n.Load() - n; got != 1 {
		t.Errorf("%d creates after the restart, want 1 (the record from before was kept)", got)
	}
}
