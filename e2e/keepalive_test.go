package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/conncount"
	"github.com/computegw/computegw/internal/eventually"
)

// TestListReusesBackendConnections: through the real binary, 200
// ListInstances calls on a cloud with 50 instances open no backend
// connection after the first calls (the vendor's chunked list answers are
// drained, so their connection goes back to the pool). The fake counts the
// TCP connections it accepts.
func TestListReusesBackendConnections(t *testing.T) {
	hs := conncount.StartFake(t, nhnfake.NewHandler(nhnfake.Options{}))
	g := start(t, demoPasswords(), "--config", writeFile(t, "c.yaml", "admin_addr: 127.0.0.1:0\nclouds:\n"+nhnEntry("nhn-kr1", hs.URL)))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			req := &pb.CreateInstanceRequest{Parent: "clouds/nhn-kr1", Instance: demoCreateProto("nhn-demo", fmt.Sprintf("ka-%02d", i))}
			if _, err := g.client.CreateInstance(ctx(t), req); err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	list := func() {
		t.Helper()
		res, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/nhn-kr1", PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.GetInstances()); n != 50 {
			t.Fatalf("%d instances listed, want 50", n)
		}
	}
	list()
	// The flavor cache fills in the background after the first reads;
	// wait for it, so that no concurrent flavor read needs a connection of
	// its own during the counted lists.
	admin := g.adminAddr(t)
	eventually.True(t, 20*time.Second, "flavor cache filled", func() bool {
		return scrape(t, admin).value("computegw_flavor_cache_refreshes_total", "cloud", "nhn-kr1", "result", "ok") >= 1
	})
	list()
	first := hs.Accepted()
	for range 200 {
		list()
	}
	if n := hs.Accepted() - first; n != 0 {
		t.Errorf("200 lists of 50 instances opened %d new backend connections, want 0 (after %d for the first calls)", n, first)
	}
}
