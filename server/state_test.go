package server

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
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
	first := sameCreates(t, cc, 10, func(i int) *Server { return rs[i%2] }, "fleet-1")
	// Later, on either replica: the same answer, no create.
	for _, s := range rs {
		in, err := s.CreateInstance(context.Background(), createReq("fleet-1", "idem"))
		if err != nil || in.GetName() != first {
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
	if status.Code(err) != codes.Unavailable || rpcdetail.ErrorInfo(t, err).GetReason() != "STATE_UNAVAILABLE" {
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

// --- settling unknown outcomes by the vendor's marker ------------------------

// countMarked counts the vendor's instances carrying requestID's marker.
func countMarked(t *testing.T, a driver.Adapter, requestID string) int {
	t.Helper()
	page, err := a.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range page.Instances {
		if driver.MarkerOf(&page.Instances[i]) == requestID {
			n++
		}
	}
	return n
}

// lostCreate makes the instance, then loses the answer (a reset after the
// vendor acted) for the first loseN creates; listFails makes lists fail
// while set.
type lostCreate struct {
	driver.Adapter
	mu        sync.Mutex
	made      []string
	loseN     int
	lost      int
	listFails atomic.Bool
	lists     atomic.Int32
}

func (l *lostCreate) CreateInstance(ctx context.Context, r *driver.CreateInstanceRequest) (*driver.Instance, error) {
	in, err := l.Adapter.CreateInstance(ctx, r)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.made = append(l.made, in.ID)
	if l.lost < max(l.loseN, 1) {
		l.lost++
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "connection reset after the vendor acted"}
	}
	return in, nil
}

// Close leaves the vendor running (a restart of the gateway, not of the
// vendor).
func (l *lostCreate) Close() error { return nil }

func (l *lostCreate) ListInstances(ctx context.Context, o driver.ListInstancesOptions) (*driver.InstancePage, error) {
	l.lists.Add(1)
	if l.listFails.Load() {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "vendor down"}
	}
	return l.Adapter.ListInstances(ctx, o)
}

// TestUnknownOutcomeSettledByMarker: a create made but unanswered is
// answered on retry with the instance carrying the marker, never made
// twice; while the vendor cannot be listed the retry is UNAVAILABLE
// CREATE_OUTCOME_UNKNOWN, and answers once it can.
func TestUnknownOutcomeSettledByMarker(t *testing.T) {
	lc := &lostCreate{Adapter: seeded()}
	s := settlingServer(t, lc, 50*time.Millisecond)
	ctx := context.Background()
	req := createReq("lost-1", "lost")
	if _, err := s.CreateInstance(ctx, req); status.Code(err) != codes.Unavailable {
		t.Fatalf("first attempt: %v, want the lost answer (UNAVAILABLE)", err)
	}
	lc.listFails.Store(true)
	_, err := s.CreateInstance(ctx, req)
	if status.Code(err) != codes.Unavailable || rpcdetail.ErrorInfo(t, err).GetReason() != "CREATE_OUTCOME_UNKNOWN" {
		t.Fatalf("retry while the vendor cannot be asked: %v, want UNAVAILABLE CREATE_OUTCOME_UNKNOWN", err)
	}
	lc.listFails.Store(false)
	in, err := s.CreateInstance(ctx, req)
	if err != nil || len(lc.made) != 1 || in.GetName() != "clouds/a/instances/"+lc.made[0] {
		t.Fatalf("retry once the vendor answers: %v %v (made %v)", in.GetName(), err, lc.made)
	}
	if _, ok := in.GetMetadata()[driver.MarkerKey]; ok {
		t.Errorf("the marker shows in the answer: %v", in.GetMetadata())
	}
	// Later retries read the settled record: no more lists.
	n := lc.lists.Load()
	if again, err := s.CreateInstance(ctx, req); err != nil || again.GetName() != in.GetName() || lc.lists.Load() != n {
		t.Fatalf("retry after settling: %v %v, lists %d -> %d", again.GetName(), err, n, lc.lists.Load())
	}
}

// settlingServer serves a over a store that outlives the process (as
// Redis does), settling unknown outcomes after settle.
func settlingServer(t *testing.T, a driver.Adapter, settle time.Duration) *Server {
	t.Helper()
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: a}}, CreateSettle: settle,
		State: durableMemory{state.NewMemory(state.MemoryOptions{})}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// durableMemory is an in-process store that claims to outlive the
// process, so that a test sees the settle path without the pre-create
// lookup of a memory store.
type durableMemory struct{ *state.Memory }

func (durableMemory) Kind() string { return "test-durable" }

// TestUnknownOutcomeSettledInBackground: without any retry, the gateway
// settles an unknown outcome itself; the retry then reads the record
// without asking the vendor.
func TestUnknownOutcomeSettledInBackground(t *testing.T) {
	lc := &lostCreate{Adapter: seeded()}
	s := settlingServer(t, lc, 20*time.Millisecond)
	req := createReq("bg-1", "bg")
	_, _ = s.CreateInstance(context.Background(), req)
	deadline := time.Now().Add(5 * time.Second)
	for lc.lists.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	n := lc.lists.Load()
	if n == 0 {
		t.Fatal("the unknown outcome was not settled in the background")
	}
	in, err := s.CreateInstance(context.Background(), req)
	if err != nil || in.GetName() != "clouds/a/instances/"+lc.made[0] || lc.lists.Load() != n {
		t.Fatalf("retry after background settling: %v %v (lists %d -> %d)", in.GetName(), err, n, lc.lists.Load())
	}
}

// TestRestartAsksTheVendor: the in-process store forgets its records at a
// restart; a retry on the new process finds the instance by its marker
// instead of creating a second one, and a create the vendor cannot be
// asked about is refused as not created.
func TestRestartAsksTheVendor(t *testing.T) {
	vendor := seeded()
	lc := &lostCreate{Adapter: vendor}
	first := newServer(t, Cloud{Name: "a", Adapter: lc})
	req := createReq("restart-1", "rs")
	if _, err := first.CreateInstance(context.Background(), req); status.Code(err) != codes.Unavailable {
		t.Fatalf("first: %v", err)
	}
	first.Close() // the restart: a new Server, a new memory store, the same vendor
	lc2 := &lostCreate{Adapter: vendor, loseN: -1}
	lc2.lost = 1 // lose nothing
	second := newServer(t, Cloud{Name: "a", Adapter: lc2})
	lc2.listFails.Store(true)
	_, err := second.CreateInstance(context.Background(), req)
	if status.Code(err) != codes.Unavailable || len(lc2.made) != 0 {
		t.Fatalf("retry with the vendor unlistable: %v (made %v), want UNAVAILABLE and nothing made", err, lc2.made)
	}
	lc2.listFails.Store(false)
	in, err := second.CreateInstance(context.Background(), req)
	if err != nil || in.GetName() != "clouds/a/instances/"+lc.made[0] || len(lc2.made) != 0 {
		t.Fatalf("retry after the restart: %v %v (made %v), want %v", in.GetName(), err, lc2.made, lc.made)
	}
	if n := countMarked(t, vendor, req.GetRequestId()); n != 1 {
		t.Errorf("%d instances with the request_id, want 1", n)
	}
	// A fresh ID creates (after one lookup).
	if _, err := second.CreateInstance(context.Background(), createReq("restart-2", "rs")); err != nil || len(lc2.made) != 1 {
		t.Fatalf("fresh create: %v (made %v)", err, lc2.made)
	}
}

// TestMarkerRefusedFromCallers: the marker key is the gateway's.
func TestMarkerRefusedFromCallers(t *testing.T) {
	s := newServer(t, Cloud{Name: "a", Adapter: seeded()})
	req := createReq("m-1", "m")
	req.Instance.Metadata = map[string]string{driver.MarkerKey: "x"}
	_, err := s.CreateInstance(context.Background(), req)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("create with the marker key: %v", err)
	}
	if !slices.Contains(rpcdetail.Fields(err), "instance.metadata") {
		t.Errorf("the error names no instance.metadata violation: %v", err)
	}
}

// slowSettler is a vendor whose creates may show up to a minute late.
type slowSettler struct{ *countingCreate }

func (slowSettler) CreateSettle() time.Duration { return time.Minute }

// TestLongSettleIsNotHeld: on a dialect whose instances may show late
// (driver.CreateSettler), a retry within the settle time is not held: it
// answers UNAVAILABLE CREATE_OUTCOME_UNKNOWN with a retry delay and makes
// nothing while the vendor shows no marked instance, and answers with the
// instance as soon as the vendor shows it.
func TestLongSettleIsNotHeld(t *testing.T) {
	cc := &countingCreate{Adapter: seeded(), failOne: &driver.Error{Code: driver.CodeUnavailable, Message: "connection reset"}}
	s := settlingServer(t, slowSettler{cc}, 10*time.Millisecond)
	req := createReq("slow-1", "slow")
	_, _ = s.CreateInstance(context.Background(), req)
	start := time.Now()
	_, err := s.CreateInstance(context.Background(), req)
	if status.Code(err) != codes.Unavailable || rpcdetail.ErrorInfo(t, err).GetReason() != "CREATE_OUTCOME_UNKNOWN" || time.Since(start) > 2*time.Second {
		t.Fatalf("early retry: %v after %v, want UNAVAILABLE CREATE_OUTCOME_UNKNOWN at once", err, time.Since(start))
	}
	if delay, ok := rpcdetail.RetryDelay(err); !ok || delay < 50*time.Second {
		t.Errorf("early retry carries RetryInfo %v (present %v), want about a minute", delay, ok)
	}
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d creates, want 1 (no re-create within the settle time)", n)
	}
	// The vendor shows it (the late create happened): the retry answers it.
	made, err := cc.Adapter.CreateInstance(context.Background(), &driver.CreateInstanceRequest{Name: "slow", FlavorID: memory.FlavorSmall,
		ImageID: memory.ImageUbuntu, Metadata: driver.WithMarker(nil, req.GetRequestId())})
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.CreateInstance(context.Background(), req)
	if err != nil || in.GetName() != "clouds/a/instances/"+made.ID || cc.n.Load() != 1 {
		t.Fatalf("retry once the instance shows: %v %v (creates %d), want %s", in.GetName(), err, cc.n.Load(), made.ID)
	}
}

// unanswered is a vendor whose creates get no answer and make nothing (a
// timeout before the vendor acted, which the gateway cannot tell apart).
type unanswered struct{ driver.Adapter }

func (unanswered) CreateInstance(context.Context, *driver.CreateInstanceRequest) (*driver.Instance, error) {
	return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "no answer"}
}

// TestSettleWaitHonoursTheCaller: a retry held for the settle time (the
// marked instance not found yet) ends when its caller's deadline does,
// leaves the outcome unknown rather than creating, and a later retry can
// still claim it.
func TestSettleWaitHonoursTheCaller(t *testing.T) {
	s := settlingServer(t, unanswered{seeded()}, 3*time.Second)
	req := createReq("held-1", "held")
	if _, err := s.CreateInstance(context.Background(), req); status.Code(err) != codes.Unavailable {
		t.Fatalf("first attempt: %v, want UNAVAILABLE", err)
	}
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := s.CreateInstance(ctx, req)
		cancel()
		if took := time.Since(start); took > time.Second || status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("retry %d with a 100ms deadline: %v after %v, want DEADLINE_EXCEEDED within the deadline", i+1, err, took)
		}
	}
}
