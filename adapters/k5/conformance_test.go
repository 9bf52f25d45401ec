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

type harness struct {
	srv *fake.Server
}

func (h *harness) MakeAdapter(context.Context) (driver.Adapter, error) {
	// No ComputeEndpoint: the adapter finds compute in the token catalog.
	return k5.New(k5.Config{
		Name:             "conf",
		IdentityEndpoint: h.srv.URL,
		DomainName:       fake.DemoDomainName,
		ProjectID:        fake.DemoProjectID,
		Username:         fake.DemoUsername,
		Password:         fake.DemoPassword,
		Zones:            []string{fake.ZoneA, fake.ZoneB},
	})
}

func (h *harness) Fixtures() drivertest.Fixtures {
	return drivertest.Fixtures{
		FlavorID:       fake.FlavorS1,
		ResizeFlavorID: fake.FlavorS2,
		ImageID:        fake.ImageUbuntu,
		Zone:           fake.ZoneA,
		Networks:       []driver.NetworkSpec{{NetworkID: fake.NetworkA}},
		// No BootVolume: the adapter sizes the boot volume from the image's
		// minDisk, which the suite thereby covers too.
		VolumeIDs: []string{fake.Volume1},
	}
}

func (h *harness) Close() { h.srv.Close() }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		return &harness{srv: fake.NewServer(fake.Options{
			BuildDelay:    40 * time.Millisecond,
			ActionDelay:   30 * time.Millisecond,
			DeleteDelay:   30 * time.Millisecond,
			SeedInstances: true,
		})}, nil
	})
}
