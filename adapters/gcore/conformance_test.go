package gcore_test

import (
	"context"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
)

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		srv := fake.NewServer(fake.Options{Seed: true, BuildTime: 60 * time.Millisecond,
			TaskTime: 40 * time.Millisecond, StartDelay: 5 * time.Millisecond})
		return drivertest.FakeHarness{Stop: srv.Close, Open: func() (driver.Adapter, error) {
			return gcore.New(gcore.Config{Name: "conf", Endpoint: srv.URL, ProjectID: fake.DemoProjectID, RegionID: fake.DemoRegionID,
				APIKey: fake.DemoAPIKey, Zones: []string{"lux-1"}, PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond})
		}, Fix: drivertest.Fixtures{
			FlavorID: fake.FlavorSmall, ResizeFlavorID: fake.FlavorMedium,
			ImageID: fake.ImageUbuntu, Zone: "lux-1",
			KeyPair:       fake.KeyPair,
			Networks:      []driver.NetworkSpec{{NetworkID: fake.NetworkPrivate}},
			BootVolume:    &driver.BootVolumeSpec{SizeGB: 10, DeleteOnTermination: true},
			SecurityGroup: fake.SecurityGroupWeb,
		}}, nil
	})
}
