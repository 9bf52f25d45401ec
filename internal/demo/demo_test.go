package demo

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestNHN(t *testing.T) {
	a, stop, err := NHN(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil || len(p.Instances) < 2 {
		t.Fatalf("demo list: %v %+v", err, p)
	}
	kps, err := a.ListKeyPairs(ctx(t))
	if err != nil || len(kps) != 1 {
		t.Fatalf("demo key pairs: %v %+v", err, kps)
	}
}

func TestTOAST(t *testing.T) {
	a, stop, err := TOAST(nil, nil)
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
	web, err := a.GetInstance(ctx(t), toastfake.DemoInstanceID1)
	if err != nil {
		t.Fatal(err)
	}
	if web.State != driver.StateRunning || len(web.VolumeIDs) != 1 || len(web.Addresses) != 2 || web.Launched.IsZero() {
		t.Errorf("demo instance %+v", web)
	}
	batch, err := a.GetInstance(ctx(t), toastfake.DemoInstanceID2)
	if err != nil || batch.State != driver.StateStopped {
		t.Errorf("second demo instance %+v, %v", batch, err)
	}
	if kp, err := a.GetKeyPair(ctx(t), toastfake.DemoKeyPair); err != nil || kp.PublicKey == "" {
		t.Errorf("demo key pair %+v, %v", kp, err)
	}
	if fl, err := a.ListFlavors(ctx(t), driver.FlavorFilter{}); err != nil || len(fl) < 2 {
		t.Errorf("demo flavors %d, %v", len(fl), err)
	}
	if z, err := a.ListZones(ctx(t)); err != nil || len(z) == 0 {
		t.Errorf("demo zones %v, %v", z, err)
	}
	// Windows image names are limited to 12 characters in the demo.
	_, err = a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{Name: "windows-server-1", FlavorID: toastfake.FlavorID,
		ImageID: toastfake.WindowsImageID, Zone: toastfake.Zone, Networks: []driver.NetworkSpec{{NetworkID: toastfake.NetworkID}}})
	if driver.CodeOf(err) != driver.CodeInvalidArgument {
		t.Errorf("13-character Windows name: %v, want InvalidArgument", err)
	}
}

func TestK5(t *testing.T) {
	a, stop, err := K5(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil || len(p.Instances) < 2 {
		t.Fatalf("demo instances: %v %+v", err, p)
	}
	zs, err := a.ListZones(ctx(t))
	if err != nil || len(zs) != 2 || zs[0].Name != k5fake.ZoneA {
		t.Fatalf("demo zones: %v %+v", err, zs)
	}
	ks, err := a.ListKeyPairs(ctx(t))
	if err != nil || len(ks) != 1 || ks[0].Name != k5fake.KeyPairName {
		t.Fatalf("demo key pairs: %v %+v", err, ks)
	}
	fs, err := a.ListFlavors(ctx(t), driver.FlavorFilter{})
	if err != nil || len(fs) < 2 {
		t.Fatalf("demo flavors: %v %+v", err, fs)
	}
}

// TestGcore: gcore-demo is seeded, and a create waits for its few-second
// build and answers with the running instance.
func TestGcore(t *testing.T) {
	a, stop, err := Gcore(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil || len(p.Instances) != 2 || p.Instances[0].ID != gcorefake.InstanceWeb || p.Instances[0].State != driver.StateRunning ||
		p.Instances[1].State != driver.StateStopped {
		t.Fatalf("demo instances: %v %+v", err, p)
	}
	if zs, err := a.ListZones(ctx(t)); err != nil || len(zs) != 1 || zs[0].Name != GcoreZone {
		t.Fatalf("demo zones: %v %+v", err, zs)
	}
	if fs, err := a.ListFlavors(ctx(t), driver.FlavorFilter{}); err != nil || len(fs) != 3 {
		t.Fatalf("demo flavors (the disabled one left out): %v %+v", err, fs)
	}
	start := time.Now()
	in, err := a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{Name: "demo-new", FlavorID: gcorefake.FlavorSmall,
		ImageID: gcorefake.ImageUbuntu, Networks: []driver.NetworkSpec{{SubnetID: gcorefake.SubnetPrivate}},
		SecurityGroups: []string{gcorefake.SecurityGroupWeb}, BootVolume: &driver.BootVolumeSpec{SizeGB: 10}})
	if err != nil || in.State != driver.StateRunning || in.Zone != GcoreZone {
		t.Fatalf("demo create: %v %+v", err, in)
	}
	if took := time.Since(start); took < GcoreBuildTime || took > GcoreBuildTime+3*time.Second {
		t.Errorf("demo create took %v, want the %v build plus a poll", took, GcoreBuildTime)
	}
}

func TestStartServesEveryCloud(t *testing.T) {
	clouds, stop, err := Start(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if len(clouds) != len(Clouds) {
		t.Fatalf("%d clouds, want %d", len(clouds), len(Clouds))
	}
	for i, c := range clouds {
		if c.Name != Clouds[i].Name || c.Adapter.Dialect() != Clouds[i].Dialect {
			t.Errorf("cloud %d: %s (%s), want %s (%s)", i, c.Name, c.Adapter.Dialect(), Clouds[i].Name, Clouds[i].Dialect)
		}
	}
}

// The production adapter packages never import their fakes: only demo
// mode (this package) and tests do.
func TestAdaptersDoNotImportFakes(t *testing.T) {
	list := func(args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	args := []string{"-deps"}
	for _, p := range list("github.com/computegw/computegw/adapters/...") {
		if !strings.HasSuffix(p, "/fake") {
			args = append(args, p)
		}
	}
	if len(args) < 4 {
		t.Fatalf("found only %v under adapters/", args[1:])
	}
	for _, p := range list(args...) {
		if strings.HasSuffix(p, "/fake") || strings.Contains(p, "/fake/") {
			t.Errorf("a production adapter package depends on %s", p)
		}
	}
}
