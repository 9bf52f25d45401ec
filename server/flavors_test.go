package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/testclock"
)

// flavorSpy wraps an adapter to count and steer ListFlavors, and to shape
// the instances it reads.
type flavorSpy struct {
	driver.Adapter
	calls    atomic.Int32
	err      error          // ListFlavors fails with it
	stall    bool           // ListFlavors blocks until its context ends
	inline   *driver.Flavor // set as FlavorDetails on every instance read
	flavorID string         // replaces every instance's FlavorID
}

func (f *flavorSpy) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	f.calls.Add(1)
	if f.stall {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.Adapter.ListFlavors(ctx, filter)
}

func (f *flavorSpy) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	in, err := f.Adapter.GetInstance(ctx, id)
	if err == nil {
		if f.inline != nil {
			d := *f.inline
			in.FlavorDetails = &d
		}
		if f.flavorID != "" {
			in.FlavorID = f.flavorID
		}
	}
	return in, err
}

func flavorServer(t *testing.T, spy *flavorSpy, wait time.Duration) (*Server, *testclock.Clock, string) {
	t.Helper()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := New(Options{Clouds: []Cloud{{Name: "c", Adapter: spy}}, Now: clock.Now, FlavorWait: wait})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	page, err := spy.Adapter.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1})
	if err != nil || len(page.Instances) == 0 {
		t.Fatalf("seeded instance: %v %v", page, err)
	}
	return s, clock, "clouds/c/instances/" + page.Instances[0].ID
}

func get(t *testing.T, s *Server, name string) *pb.Instance {
	t.Helper()
	in, err := s.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
	if err != nil {
		t.Fatalf("GetInstance: %v", err)
	}
	return in
}

func TestFlavorDetailsComeFromTheCachedFlavorList(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true})}
	s, clock, name := flavorServer(t, spy, time.Second)
	want := &pb.InstanceFlavor{DisplayName: "m1.small", Vcpus: 1, RamMb: 2048, DiskGb: 20}
	for range 3 {
		if got := get(t, s, name).GetFlavorDetails(); got.String() != want.String() {
			t.Fatalf("flavor_details = %v, want %v", got, want)
		}
	}
	res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil || len(res.GetInstances()) != 2 {
		t.Fatalf("list: %v %v", res, err)
	}
	for _, in := range res.GetInstances() {
		if in.GetFlavorDetails().GetVcpus() != 1 {
			t.Errorf("listed %s without flavor details: %v", in.GetName(), in.GetFlavorDetails())
		}
	}
	if n := spy.calls.Load(); n != 1 {
		t.Errorf("ListFlavors called %d times for four reads, want 1 (cached)", n)
	}
	// Past the TTL the cached entry is served at once and refreshed behind.
	clock.Add(flavorTTL)
	if get(t, s, name).GetFlavorDetails().GetVcpus() != 1 {
		t.Error("stale entry not served during refresh")
	}
	waitFor(t, func() bool { return spy.calls.Load() == 2 }, "a refresh after the TTL")
}

func TestFlavorDetailsVendorValuesWin(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}),
		inline: &driver.Flavor{ID: memory.FlavorSmall, Name: "as-reported", EphemeralGB: 40}}
	s, _, name := flavorServer(t, spy, time.Second)
	got := get(t, s, name).GetFlavorDetails()
	want := &pb.InstanceFlavor{DisplayName: "as-reported", Vcpus: 1, RamMb: 2048, DiskGb: 20, EphemeralGb: 40}
	if got.String() != want.String() {
		t.Errorf("flavor_details = %v, want %v (vendor's name and ephemeral, the rest from the list)", got, want)
	}
	// A vendor that reports name, CPU and RAM inline costs no flavor list.
	spy2 := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}),
		inline: &driver.Flavor{ID: memory.FlavorSmall, Name: "t", VCPUs: 3, RAMMB: 3072}}
	s2, _, name2 := flavorServer(t, spy2, time.Second)
	if got := get(t, s2, name2).GetFlavorDetails(); got.GetVcpus() != 3 || got.GetRamMb() != 3072 {
		t.Errorf("inline flavor details lost: %v", got)
	}
	if n := spy2.calls.Load(); n != 0 {
		t.Errorf("ListFlavors called %d times though the instance carried its flavor", n)
	}
}

// noDetailsThrice reads instance name three times: none has
// flavor_details (why says why not), and one flavor list served all three.
func noDetailsThrice(t *testing.T, s *Server, name string, spy *flavorSpy, why string) {
	t.Helper()
	for range 3 {
		if fd := get(t, s, name).GetFlavorDetails(); fd != nil {
			t.Fatalf("flavor_details %v %s", fd, why)
		}
	}
	if n := spy.calls.Load(); n != 1 {
		t.Errorf("ListFlavors called %d times for three reads, want 1", n)
	}
}

func TestFlavorListFailureNeverFailsReads(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), err: errors.New("flavors down")}
	s, clock, name := flavorServer(t, spy, time.Second)
	noDetailsThrice(t, s, name, spy, "from a failing flavor list")
	clock.Add(flavorRetry)
	spy.err = nil // read by the next refresh only; the spy is not otherwise shared
	if get(t, s, name).GetFlavorDetails().GetVcpus() != 1 {
		t.Error("no flavor details after the flavor list recovered")
	}
	if n := spy.calls.Load(); n != 2 {
		t.Errorf("ListFlavors called %d times, want 2", n)
	}
}

func TestSlowFlavorListIsBounded(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), stall: true}
	s, _, name := flavorServer(t, spy, 50*time.Millisecond)
	start := time.Now()
	if fd := get(t, s, name).GetFlavorDetails(); fd != nil {
		t.Errorf("flavor_details %v from a stalled flavor list", fd)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("read waited %v for a stalled flavor list; FlavorWait is 50ms", el)
	}
	// While that refresh stays stalled, later readers are not held at all.
	s3, _, name3 := flavorServer(t, &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), stall: true}, 300*time.Millisecond)
	get(t, s3, name3) // starts the refresh, waits 300ms
	start = time.Now()
	for range 5 {
		get(t, s3, name3)
	}
	if el := time.Since(start); el >= 300*time.Millisecond {
		t.Errorf("five reads during a stalled refresh took %v: each waited again", el)
	}
	// The caller's own deadline bounds the wait too.
	s2, _, name2 := flavorServer(t, &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), stall: true}, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := s2.GetInstance(ctx, &pb.GetInstanceRequest{Name: name2}); err != nil {
		t.Errorf("GetInstance failed because of the flavor list: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("read waited %v for a stalled flavor list past its 100ms deadline", el)
	}
	// Close stops the refresh still stalled in the background.
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a stalled flavor refresh")
	}
}

func TestUnknownFlavorRefreshesAtMostOncePerInterval(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), flavorID: "created-later"}
	s, clock, name := flavorServer(t, spy, time.Second)
	noDetailsThrice(t, s, name, spy, "for a flavor the list lacks")
	clock.Add(flavorMissRefresh)
	get(t, s, name)
	if n := spy.calls.Load(); n != 2 {
		t.Errorf("ListFlavors called %d times after a minute, want 2", n)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	eventually.True(t, 5*time.Second, what, cond)
}

func TestConcurrentColdReadsShareOneFlavorList(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true})}
	s, _, name := flavorServer(t, spy, 5*time.Second)
	var wg sync.WaitGroup
	var missing atomic.Int32
	for range 50 {
		wg.Go(func() {
			in, err := s.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
			if err != nil || in.GetFlavorDetails().GetVcpus() != 1 {
				missing.Add(1)
			}
		})
	}
	wg.Wait()
	if n := spy.calls.Load(); n != 1 {
		t.Errorf("50 concurrent cold reads made %d flavor list calls, want 1", n)
	}
	if m := missing.Load(); m != 0 {
		t.Errorf("%d of 50 concurrent reads came back without flavor details", m)
	}
}

func TestFlavorReadsShareTheCacheAndItsRefreshRules(t *testing.T) {
	spy := &flavorSpy{Adapter: memory.New(memory.Options{Seed: true}), err: driver.Errorf(driver.CodeUnavailable, "flavors down")}
	s, clock, _ := flavorServer(t, spy, time.Second)
	ctx := context.Background()
	list := func() (*pb.ListFlavorsResponse, error) {
		return s.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/c"})
	}
	// Nothing cached and the read fails: the caller gets the vendor's error.
	if _, err := list(); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "flavors down") {
		t.Fatalf("failed cold read: %v", err)
	}
	// A flavor read with nothing cached tries again at once (an instance
	// read would wait flavorRetry).
	spy.err = nil
	first, err := list()
	if err != nil || len(first.GetFlavors()) == 0 {
		t.Fatalf("second read: %v %v", first, err)
	}
	if n := spy.calls.Load(); n != 2 {
		t.Fatalf("%d flavor list calls, want 2", n)
	}
	// Warm: no calls.
	for range 5 {
		if _, err := list(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetFlavor(ctx, &pb.GetFlavorRequest{Name: "clouds/c/flavors/" + first.GetFlavors()[0].GetName()[len("clouds/c/flavors/"):]}); err != nil {
		t.Fatal(err)
	}
	if n := spy.calls.Load(); n != 2 {
		t.Fatalf("warm reads made %d flavor list calls, want still 2", n)
	}
	// Stale: served at once, refreshed once in the background, and a
	// refresh failure keeps the old list.
	clock.Add(flavorTTL)
	spy.err = driver.Errorf(driver.CodeUnavailable, "flavors down")
	for range 3 {
		if out, err := list(); err != nil || len(out.GetFlavors()) != len(first.GetFlavors()) {
			t.Fatalf("stale read: %v %v", out, err)
		}
	}
	waitFor(t, func() bool { return spy.calls.Load() == 3 }, "one background refresh")
	if out, err := list(); err != nil || len(out.GetFlavors()) != len(first.GetFlavors()) {
		t.Fatalf("after a failed refresh: %v %v", out, err)
	}
	if n := spy.calls.Load(); n != 3 {
		t.Errorf("%d flavor list calls within flavorRetry of a failed refresh, want 3", n)
	}
}
