package nhnv2

import (
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/faulttest"
)

// TestCreateOutcomeClassification: a create that failed before its request
// could reach NHN (refused connection, a failed flavor read) or that NHN
// answered 503 is marked not created; one cut after the request went out
// is not (the instance may exist, and here it does).
func TestCreateOutcomeClassification(t *testing.T) {
	isCreate := func(r *http.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/servers") }
	isFlavors := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/flavors") }
	faulttest.CheckCreateOutcome(t, func(t *testing.T, client *http.Client) driver.Adapter {
		return newAdapter(t, newFake(t, fake.Options{}), func(cfg *Config) { cfg.HTTPClient = client })
	},
		func() *driver.CreateInstanceRequest {
			return &driver.CreateInstanceRequest{
				Name: "web-1", FlavorID: fake.FlavorM2C1M2, ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
				KeyName: fake.KeyPairName, Networks: []driver.NetworkSpec{{SubnetID: fake.SubnetVPC2}}}
		},
		faulttest.CreateOutcomes(isCreate, faulttest.Named{Name: "flavor read", Match: isFlavors})...)
}
