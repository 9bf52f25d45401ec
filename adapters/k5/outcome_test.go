package k5

import (
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/faulttest"
)

// TestCreateOutcomeClassification: a create that failed before its request
// could reach K5 (refused connection, a failed image read) or that K5
// answered 503 is marked not created; one cut after the request went out
// is not (the instance may exist, and here it does).
func TestCreateOutcomeClassification(t *testing.T) {
	isCreate := func(r *http.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/servers") }
	isImage := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/images/") }
	faulttest.CheckCreateOutcome(t, func(t *testing.T, client *http.Client) driver.Adapter {
		return fakeAdapter(t, newFake(t, fake.Options{}), func(cfg *Config) { cfg.HTTPClient = client })
	},
		func() *driver.CreateInstanceRequest {
			return &driver.CreateInstanceRequest{
				Name: "web-1", FlavorID: fake.FlavorS1, ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
				Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkA}}, KeyName: fake.KeyPairName}
		},
		faulttest.CreateOutcomes(isCreate, faulttest.Named{Name: "image read", Match: isImage})...)
}
