package k5_test

import (
	"context"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5"
	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		srv := fake.NewServer(fake.Options{
			BuildDelay:    40 * time.Millisecond,
			ActionDelay:   30 * time.Millisecond,
			DeleteDelay:   30 * time.Millisecond,
			SeedInstances: true,
		})
		return drivertest.FakeHarness{Stop: srv.Close, Open: func() (driver.Adapter, error) {
			// No ComputeEndpoint: the adapter finds compute in the token catalog.
			return k5.New(k5.Config{
				Name: "conf", IdentityEndpoint: srv.URL, DomainName: fake.DemoDomainName,
				ProjectID: fake.DemoProjectID, Username: fake.DemoUsername, Password: fake.DemoPassword,
				Zones: []string{fake.ZoneA, fake.ZoneB},
			})
		}, Fix: drivertest.Fixtures{
			FlavorID: fake.FlavorS1, ResizeFlavorID: fake.FlavorS2,
			ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
			Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkA}},
			// No BootVolume: the adapter sizes the boot volume from the image's
			// minDisk, which the suite thereby covers too.
			VolumeIDs: []string{fake.Volume1},
		}}, nil
	})
}
