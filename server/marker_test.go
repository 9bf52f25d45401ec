package server

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/state"
)

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
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: lc}}, CreateSettle: 50 * time.Millisecond,
		State: durableMemory{state.NewMemory(state.MemoryOptions{})}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	req := createReq("lost-1", "lost")
	if _, err := s.CreateInstance(ctx, req); status.Code(err) != codes.Unavailable {
		t.Fatalf("first attempt: %v, want the lost answer (UNAVAILABLE)", err)
	}
	lc.listFails.Store(true)
	_, err = s.CreateInstance(ctx, req)
	if status.Code(err) != codes.Unavailable || errInfo(t, err).GetReason() != "CREATE_OUTCOME_UNKNOWN" {
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
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: lc}}, CreateSettle: 20 * time.Millisecond,
		State: durableMemory{state.NewMemory(state.MemoryOptions{})}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "instance.metadata") || !strings.Contains(msg, "reserved") {
		t.Errorf("the error does not say instance.metadata's key is reserved: %v", err)
	}
}
