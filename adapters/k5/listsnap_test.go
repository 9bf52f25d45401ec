package k5

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
)

// TestPagingIsLinear: paging through ~300 servers 5 at a time lists the
// servers from K5 once (not once per page), returns every server exactly
// once in ID order, and lists again once the snapshot is older than its
// TTL or for another filter.
func TestPagingIsLinear(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := fakeAdapter(t, srv, func(c *Config) { c.Zones = []string{fake.ZoneA, fake.ZoneB} })
	a.snaps.now = clock // the snapshots' clock only: tokens keep real time
	ctx := context.Background()
	const n = 300
	for i := range n {
		if _, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{Name: fmt.Sprintf("p-%03d", i), FlavorID: fake.FlavorS1,
			ImageID: fake.ImageUbuntu, Zone: fake.ZoneA, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkA}}}); err != nil {
			t.Fatal(err)
		}
	}
	walk := func(f driver.InstanceFilter, between func(page int)) (ids []string, lists int) {
		t.Helper()
		before := srv.ComputeRequests()
		marker := ""
		for page := 0; ; page++ {
			p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 5, Marker: marker, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range p.Instances {
				ids = append(ids, in.ID)
			}
			if !p.More {
				break
			}
			marker = p.Instances[len(p.Instances)-1].ID
			if between != nil {
				between(page)
			}
		}
		return ids, srv.ComputeRequests() - before
	}
	check := func(ids []string, want int) {
		t.Helper()
		if len(ids) != want {
			t.Fatalf("%d servers paged, want %d", len(ids), want)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("page order broken at %d: %s after %s (a server twice or out of ID order)", i, ids[i], ids[i-1])
			}
		}
	}
	start := time.Now()
	ids, lists := walk(driver.InstanceFilter{}, nil)
	check(ids, n+2)
	if lists != 1 {
		t.Errorf("paging %d servers 5 at a time made %d compute requests, want 1 (the first page's list)", n+2, lists)
	}
	t.Logf("%d pages in %v, %d compute request(s)", (n+2+4)/5, time.Since(start).Round(time.Millisecond), lists)

	// A snapshot older than its TTL is not used: the page lists again.
	ids, lists = walk(driver.InstanceFilter{}, func(page int) {
		if page == 10 {
			mu.Lock()
			now = now.Add(snapshotTTL + time.Second)
			mu.Unlock()
		}
	})
	check(ids, n+2)
	if lists != 2 {
		t.Errorf("%d compute requests with the snapshot expiring mid-walk, want 2", lists)
	}
	// Another filter does not reuse the snapshot; it pages its own.
	ids, lists = walk(driver.InstanceFilter{Zone: fake.ZoneB}, nil)
	if len(ids) != 1 || lists != 1 {
		t.Errorf("zone %s: %d servers in %d requests, want the one seeded there in 1", fake.ZoneB, len(ids), lists)
	}
}
