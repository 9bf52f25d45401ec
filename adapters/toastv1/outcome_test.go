package toastv1_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/faulttest"
)

// TestCreateOutcomeClassification: a create that failed before its request
// could reach TOAST (refused connection) or that was answered 503 is marked
// not created; one cut after the request went out is not (the instance may
// exist, and here it does).
func TestCreateOutcomeClassification(t *testing.T) {
	isCreate := func(r *http.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/instances") }
	faulttest.CheckCreateOutcome(t, func(t *testing.T, client *http.Client) driver.Adapter {
		return newAdapter(t, newFake(t, fake.Options{}), func(cfg *toastv1.Config) { cfg.HTTPClient = client })
	},
		func() *driver.CreateInstanceRequest {
			return &driver.CreateInstanceRequest{
				Name: "web-9", FlavorID: fake.FlavorID, ImageID: fake.ImageID, Zone: fake.Zone,
				Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkID}}, BootVolume: &driver.BootVolumeSpec{SizeGB: 30}}
		},
		faulttest.CreateOutcomes(isCreate)...)
}
