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

type harness struct{ srv *fake.Server }

func (h *harness) MakeAdapter(context.Context) (driver.Adapter, error) {
	return gcore.New(gcore.Config{Name: "conf", Endpoint: h.srv.URL, ProjectID: fake.DemoProjectID, RegionID: fake.DemoRegionID,
		APIKey: fake.DemoAPIKey, Zones: []string{"lux-1"}, PollInterval: 5 * time.Millisecond, MaxPollInterval: 20 * time.Millisecond})
}

func (h *harness) Fixtures() drivertest.Fixtures {
	return drivertest.Fixtures{
		FlavorID:       fake.FlavorSmall,
		ResizeFlavorID: fake.FlavorMedium,
		ImageID:        fake.ImageUbuntu,
		Zone:           "lux-1",
		KeyPair:        fake.KeyPair,
		Networks:       []driver.NetworkSpec{{NetworkID: fake.NetworkPrivate}},
		BootVolume:     &driver.BootVolumeSpec{SizeGB: 10, DeleteOnTermination: true},
		SecurityGroup:  fake.SecurityGroupWeb,
	}
}

func (h *harness) Close() { h.srv.Close() }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		return &harness{srv: fake.NewServer(fake.Options{Seed: true, BuildTime: 60 * time.Millisecond,
			TaskTime: 40 * time.Millisecond, StartDelay: 5 * time.Millisecond})}, nil
	})
}
