package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/nhnv2"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/server"
)

// These count requests at the fake NHN server behind the real nhnv2
// adapter: what the flavor cache saves is vendor round trips.

func nhnServer(t *testing.T) (*server.Server, *nhnfake.Server) {
	t.Helper()
	fake := nhnfake.NewServer(nhnfake.Options{SeedInstances: true, RecordRequests: true})
	t.Cleanup(fake.Close)
	a, err := nhnv2.New(nhnv2.Config{Name: "nhn", IdentityEndpoint: fake.URL, TenantID: nhnfake.DemoTenantID,
		Username: nhnfake.DemoUsername, Password: nhnfake.DemoPassword})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Options{Clouds: []server.Cloud{{Name: "nhn", Adapter: a}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, fake
}

// computeRequests lists the compute requests (not logins) from index from on.
func computeRequests(fake *nhnfake.Server, from int) []string {
	var out []string
	for _, r := range fake.Requests()[from:] {
		if !strings.HasSuffix(r.Path, "/tokens") {
			out = append(out, r.Method+" "+r.Path[strings.Index(r.Path, nhnfake.DemoTenantID)+len(nhnfake.DemoTenantID):])
		}
	}
	return out
}

func TestHundredConcurrentListFlavorsMakeOneBackendRequest(t *testing.T) {
	s, fake := nhnServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	counts := make([]int, 100)
	errs := make([]error, 100)
	for i := range 100 {
		wg.Go(func() {
			out, err := s.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/nhn"})
			counts[i], errs[i] = len(out.GetFlavors()), err
		})
	}
	wg.Wait()
	for i := range 100 {
		if errs[i] != nil || counts[i] == 0 || counts[i] != counts[0] {
			t.Fatalf("caller %d: %d flavors, %v (caller 0 had %d)", i, counts[i], errs[i], counts[0])
		}
	}
	if got := computeRequests(fake, 0); len(got) != 1 || got[0] != "GET /flavors/detail" {
		t.Errorf("100 concurrent ListFlavors made these backend requests: %v; want one GET /flavors/detail", got)
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
	// Warm: GetFlavor, a filtered ListFlavors and more lists make none.
	before := len(fake.Requests())
	f, err := s.GetFlavor(ctx, &pb.GetFlavorRequest{Name: "clouds/nhn/flavors/" + nhnfake.FlavorM2C2M4})
	if err != nil || f.GetDisplayName() != "m2.c2m4" || f.GetVcpus() != 2 {
		t.Fatalf("GetFlavor: %v %v", f, err)
	}
	big, err := s.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/nhn", MinRamMb: 100000})
	if err != nil || len(big.GetFlavors()) == 0 || len(big.GetFlavors()) >= counts[0] {
		t.Fatalf("min_ram_mb filter: %d of %d flavors, %v", len(big.GetFlavors()), counts[0], err)
	}
	for _, fl := range big.GetFlavors() {
		if fl.GetRamMb() < 100000 {
			t.Errorf("min_ram_mb=100000 kept %v", fl)
		}
	}
	if got := computeRequests(fake, before); len(got) != 0 {
		t.Errorf("warm flavor reads made backend requests: %v", got)
	}
}

func TestWarmCreateInstanceMakesTwoBackendRequests(t *testing.T) {
	s, fake := nhnServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/nhn"}); err != nil {
		t.Fatal(err)
	}
	// One flavor of each shape: U2 (local disk) and one that needs a root
	// volume sized from the cached flavor.
	for _, flavor := range []string{nhnfake.FlavorU2C1M2, nhnfake.FlavorM2C2M4} {
		before := len(fake.Requests())
		in, err := s.CreateInstance(ctx, &pb.CreateInstanceRequest{Parent: "clouds/nhn", Instance: &pb.Instance{
			DisplayName: "warm-" + flavor[len(flavor)-2:], Flavor: flavor, Image: nhnfake.ImageUbuntu,
			KeyPair: nhnfake.KeyPairName, Networks: []*pb.NetworkAttachment{{Network: nhnfake.NetworkVPC2}},
		}})
		if err != nil {
			t.Fatalf("create with %s: %v", flavor, err)
		}
		id := in.GetName()[len("clouds/nhn/instances/"):]
		got := computeRequests(fake, before)
		if len(got) != 2 || got[0] != "POST /servers" || got[1] != "GET /servers/"+id {
			t.Errorf("warm create (%s) made %v; want POST /servers, GET /servers/%s", flavor, got, id)
		}
		if in.GetFlavorDetails().GetVcpus() == 0 {
			t.Errorf("created instance lacks flavor details: %v", in)
		}
	}
}

func TestGetFlavorUnknownIsNotFoundAndRefreshesAtMostOncePerMinute(t *testing.T) {
	s, fake := nhnServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 3 {
		_, err := s.GetFlavor(ctx, &pb.GetFlavorRequest{Name: "clouds/nhn/flavors/no-such-flavor"})
		if err == nil || !strings.Contains(err.Error(), "no-such-flavor") || !strings.Contains(err.Error(), "NotFound") {
			t.Fatalf("unknown flavor: %v", err)
		}
	}
	// The first miss fills the cache; the later misses within the minute
	// answer from it.
	if got := computeRequests(fake, 0); len(got) != 1 {
		t.Errorf("three misses made %v; want one flavor list", got)
	}
}
