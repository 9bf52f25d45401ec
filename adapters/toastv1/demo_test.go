package toastv1_test

import (
	"testing"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
)

func TestNewDemo(t *testing.T) {
	a, stop, err := toastv1.NewDemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	page, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) < 2 {
		t.Fatalf("demo has %d instances, want at least 2", len(page.Instances))
	}
	web, err := a.GetInstance(ctx(t), fake.DemoInstanceID1)
	if err != nil {
		t.Fatal(err)
	}
	if web.State != driver.StateRunning || len(web.VolumeIDs) != 1 || len(web.Addresses) != 2 || web.Launched.IsZero() {
		t.Errorf("demo instance %+v", web)
	}
	batch, err := a.GetInstance(ctx(t), fake.DemoInstanceID2)
	if err != nil || batch.State != driver.StateStopped {
		t.Errorf("second demo instance %+v, %v", batch, err)
	}
	if kp, err := a.GetKeyPair(ctx(t), fake.DemoKeyPair); err != nil || kp.PublicKey == "" {
		t.Errorf("demo key pair %+v, %v", kp, err)
	}
	if fl, err := a.ListFlavors(ctx(t), driver.FlavorFilter{}); err != nil || len(fl) < 2 {
		t.Errorf("demo flavors %d, %v", len(fl), err)
	}
	if z, err := a.ListZones(ctx(t)); err != nil || len(z) == 0 {
		t.Errorf("demo zones %v, %v", z, err)
	}
	// Windows image names are limited to 12 characters in the demo.
	_, err = a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{Name: "windows-server-1", FlavorID: fake.FlavorID,
		ImageID: fake.WindowsImageID, Zone: fake.Zone, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkID}}})
	if driver.CodeOf(err) != driver.CodeInvalidArgument {
		t.Errorf("13-character Windows name: %v, want InvalidArgument", err)
	}
}
