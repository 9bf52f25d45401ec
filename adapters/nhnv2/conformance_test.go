package nhnv2

import (
	"context"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
)

// harness runs the shared conformance suite against the fake NHN server.
//
// Fixtures use U2 flavors: NHN's createImage works only for U2 instances
// (the guide; the fake enforces it) and the suite snapshots its lifecycle
// instance. The volume-backed (non-U2) create path is covered by
// TestLifecycleAgainstFake.
type harness struct{ srv *fake.Server }

func (h *harness) MakeAdapter(context.Context) (driver.Adapter, error) {
	a, err := New(Config{
		Name:             "conf",
		IdentityEndpoint: h.srv.URL,
		TenantID:         h.srv.TenantID(),
		Username:         fake.DemoUsername,
		Password:         fake.DemoPassword,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (h *harness) Fixtures() drivertest.Fixtures {
	return drivertest.Fixtures{
		FlavorID:       fake.FlavorU2C1M2,
		ResizeFlavorID: fake.FlavorU2C2M4,
		ImageID:        fake.ImageUbuntu,
		Zone:           fake.ZoneA,
		Networks:       []driver.NetworkSpec{{SubnetID: fake.SubnetVPC2}},
		VolumeIDs:      fake.FreeVolumeIDs(),
		SecurityGroup:  fake.SecurityGroupWeb,
		KeyPair:        fake.KeyPairName, // NHN requires server.key_name
	}
}

func (h *harness) Close() { h.srv.Close() }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		srv := fake.NewServer(fake.Options{
			BuildDelay: testDelay, ActionDelay: testDelay, DeleteDelay: testDelay, SeedInstances: true,
		})
		return &harness{srv: srv}, nil
	})
}
