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

// The harness runs the shared suite against the fake TOAST server.
func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		const d = 20 * time.Millisecond
		srv := fake.NewServer(fake.Options{
			BuildDelay: d, PowerDelay: d, RebootDelay: d, ResizeDelay: d, DeleteDelay: d,
		})
		return drivertest.FakeHarness{Stop: srv.Close, Open: func() (driver.Adapter, error) {
			return toastv1.New(toastv1.Config{
				Name: "conf", Endpoint: srv.URL, AppKey: fake.DemoAppKey, Username: fake.DemoUsername,
				Password: fake.DemoPassword,
			})
		}, Fix: drivertest.Fixtures{
			FlavorID: fake.FlavorID, ResizeFlavorID: fake.ResizeFlavorID,
			ImageID: fake.ImageID, Zone: fake.Zone,
			Networks:      []driver.NetworkSpec{{NetworkID: fake.NetworkID}},
			BootVolume:    &driver.BootVolumeSpec{SizeGB: 20, Type: "General SSD", DeleteOnTermination: true},
			VolumeIDs:     fake.VolumeIDs(),
			FloatingIP:    fake.FloatingIP,
			SecurityGroup: fake.SecurityGroup,
		}}, nil
	})
}
