package toastv1_test

import (
	"context"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
)

// harness runs the shared suite against the fake TOAST server.
type harness struct{ srv *fake.Server }

func (h *harness) MakeAdapter(context.Context) (driver.Adapter, error) {
	return toastv1.New(toastv1.Config{
		Name:     "conf",
		Endpoint: h.srv.URL,
		AppKey:   fake.DemoAppKey,
		Username: fake.DemoUsername,
		Password: fake.DemoPassword,
	})
}

func (h *harness) Fixtures() drivertest.Fixtures {
	return drivertest.Fixtures{
		FlavorID:       fake.FlavorID,
		ResizeFlavorID: fake.ResizeFlavorID,
		ImageID:        fake.ImageID,
		Zone:           fake.Zone,
		Networks:       []driver.NetworkSpec{{NetworkID: fake.NetworkID}},
		BootVolume:     &driver.BootVolumeSpec{SizeGB: 20, Type: "General SSD", DeleteOnTermination: true},
		VolumeIDs:      fake.VolumeIDs(),
		FloatingIP:     fake.FloatingIP,
		SecurityGroup:  fake.SecurityGroup,
	}
}

func (h *harness) Close() { h.srv.Close() }

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
		const d = 20 * time.Millisecond
		srv := fake.NewServer(fake.Options{
			BuildDelay: d, PowerDelay: d, RebootDelay: d, ResizeDelay: d, DeleteDelay: d,
		})
		return &harness{srv: srv}, nil
	})
}
