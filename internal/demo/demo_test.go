package demo

import (
	"context"
	"log/slog"
	"net/http"
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

// catalogue is what a demo cloud's adapter lists right after it starts.
type catalogue struct {
	instances []driver.Instance
	zones     []driver.Zone
	flavors   []driver.Flavor
	keyPairs  []driver.KeyPair
}

// startDemo starts a demo vendor and its adapter with start (both stop
// when the test ends) and lists what it serves; a list that fails stops
// the test. Key pairs are listed where the dialect manages them.
func startDemo[A driver.Adapter](t *testing.T, start func(*slog.Logger, *http.Client) (A, func(), error)) (A, catalogue) {
	t.Helper()
	a, stop, err := start(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	var c catalogue
	p, err := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
	if err != nil {
		t.Fatalf("demo instances: %v", err)
	}
	c.instances = p.Instances
	if c.zones, err = a.ListZones(ctx(t)); err != nil {
		t.Fatalf("demo zones: %v", err)
	}
	if c.flavors, err = a.ListFlavors(ctx(t), driver.FlavorFilter{}); err != nil {
		t.Fatalf("demo flavors: %v", err)
	}
	if km, ok := any(a).(driver.KeyPairManager); ok {
		if c.keyPairs, err = km.ListKeyPairs(ctx(t)); err != nil {
			t.Fatalf("demo key pairs: %v", err)
		}
	}
	return a, c
}

func TestNHN(t *testing.T) {
	_, c := startDemo(t, NHN)
	if len(c.instances) < 2 {
		t.Errorf("demo instances: %+v, want at least 2", c.instances)
	}
	if len(c.keyPairs) != 1 {
		t.Errorf("demo key pairs: %+v, want 1", c.keyPairs)
	}
}

func TestTOAST(t *testing.T) {
	a, c := startDemo(t, TOAST)
	if len(c.instances) < 2 {
		t.Fatalf("demo has %d instances, want at least 2", len(c.instances))
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
	if len(c.flavors) < 2 {
		t.Errorf("demo flavors %d", len(c.flavors))
	}
	if len(c.zones) == 0 {
		t.Errorf("demo zones %v", c.zones)
	}
	// Windows image names are limited to 12 characters in the demo.
	_, err = a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{Name: "windows-server-1", FlavorID: toastfake.FlavorID,
		ImageID: toastfake.WindowsImageID, Zone: toastfake.Zone, Networks: []driver.NetworkSpec{{NetworkID: toastfake.NetworkID}}})
	if driver.CodeOf(err) != driver.CodeInvalidArgument {
		t.Errorf("13-character Windows name: %v, want InvalidArgument", err)
	}
}

func TestK5(t *testing.T) {
	_, c := startDemo(t, K5)
	if len(c.instances) < 2 {
		t.Errorf("demo instances: %+v, want at least 2", c.instances)
	}
	if len(c.zones) != 2 || c.zones[0].Name != k5fake.ZoneA {
		t.Errorf("demo zones: %+v, want 2 starting with %s", c.zones, k5fake.ZoneA)
	}
	if len(c.keyPairs) != 1 || c.keyPairs[0].Name != k5fake.KeyPairName {
		t.Errorf("demo key pairs: %+v, want only %s", c.keyPairs, k5fake.KeyPairName)
	}
	if len(c.flavors) < 2 {
		t.Errorf("demo flavors: %+v, want at least 2", c.flavors)
	}
}

// TestGcore: gcore-demo is seeded, and a create waits for its few-second
// build and answers with the running instance.
func TestGcore(t *testing.T) {
	a, c := startDemo(t, Gcore)
	if p := c.instances; len(p) != 2 || p[0].ID != gcorefake.InstanceWeb || p[0].State != driver.StateRunning || p[1].State != driver.StateStopped {
		t.Fatalf("demo instances: %+v", p)
	}
	if len(c.zones) != 1 || c.zones[0].Name != GcoreZone {
		t.Fatalf("demo zones: %+v", c.zones)
	}
	if len(c.flavors) != 3 {
		t.Fatalf("demo flavors (the disabled one left out): %+v", c.flavors)
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
