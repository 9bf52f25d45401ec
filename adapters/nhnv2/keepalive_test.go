package nhnv2

import (
	"fmt"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/conncount"
)

// TestListInstancesReusesConnections: gophercloud closes a list answer
// once it has decoded the JSON, before the end of the chunked body; the
// shared client drains it so the connection goes back to the pool. 200
// lists of a 50-instance cloud open no connection after the first.
func TestListInstancesReusesConnections(t *testing.T) {
	f := fake.NewHandler(fake.Options{})
	hs := conncount.StartFake(t, f)
	a := newAdapter(t, f, nil)
	ctx := ctxT(t)
	for i := range 50 {
		if _, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{
			Name: fmt.Sprintf("k-%02d", i), FlavorID: fake.FlavorU2C1M2, ImageID: fake.ImageUbuntu,
			KeyName: fake.KeyPairName, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkVPC2}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	first := int64(0)
	for i := range 200 {
		p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Instances) != 50 {
			t.Fatalf("list %d: %d instances, want 50", i, len(p.Instances))
		}
		if i == 0 {
			first = hs.Accepted()
		}
	}
	if n := hs.Accepted(); n != first {
		t.Errorf("199 more lists of 50 instances opened %d new connections, want 0", n-first)
	}
}
