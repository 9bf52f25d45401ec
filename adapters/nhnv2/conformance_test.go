package nhnv2

import (
	"context"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
)

// The harness runs the shared conformance suite against the fake NHN server.
//
// Fixtures use U2 flavors: NHN's createImage works only for U2 instances
// (the guide; the fake enforces it) and the suite snapshots its lifecycle
// instance. The volume-backed (non-U2) create path is covered by
// TestLifecycleAgainstFake.
func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		srv := fake.NewServer(fake.Options{
			BuildDelay: testDelay, ActionDelay: testDelay, DeleteDelay: testDelay, SeedInstances: true,
		})
		return drivertest.FakeHarness{Stop: srv.Close, Open: func() (driver.Adapter, error) {
			a, err := New(Config{
				Name: "conf", IdentityEndpoint: srv.URL, TenantID: srv.TenantID(),
				Username: fake.DemoUsername, Password: fake.DemoPassword,
			})
			if err != nil {
				return nil, err
			}
			return a, nil
		}, Fix: drivertest.Fixtures{
			FlavorID: fake.FlavorU2C1M2, ResizeFlavorID: fake.FlavorU2C2M4,
			ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
			Networks:      []driver.NetworkSpec{{SubnetID: fake.SubnetVPC2}},
			VolumeIDs:     fake.FreeVolumeIDs(),
			SecurityGroup: fake.SecurityGroupWeb,
			KeyPair:       fake.KeyPairName, // NHN requires server.key_name
		}}, nil
	})
}
