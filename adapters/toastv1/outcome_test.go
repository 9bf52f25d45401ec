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
	for _, c := range []struct {
		name       string
		fault      faulttest.Fault
		notCreated bool
		created    int
	}{
		{"refused", faulttest.Refuse, true, 0},
		{"503", faulttest.Answer503, true, 0},
		{"reset after send", faulttest.ResetAfterSend, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFake(t, fake.Options{})
			ft := &faulttest.Transport{Base: http.DefaultTransport, Match: isCreate, Fault: c.fault}
			a := newAdapter(t, srv, func(cfg *toastv1.Config) { cfg.HTTPClient = &http.Client{Transport: ft} })
			_, err := a.CreateInstance(ctx(t), &driver.CreateInstanceRequest{
				Name: "web-9", FlavorID: fake.FlavorID, ImageID: fake.ImageID, Zone: fake.Zone,
				Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkID}}, BootVolume: &driver.BootVolumeSpec{SizeGB: 30}})
			if err == nil || ft.Hits() == 0 {
				t.Fatalf("no fault (%v)", err)
			}
			if driver.IsNotCreated(err) != c.notCreated {
				t.Errorf("%v: not created = %v, want %v", err, driver.IsNotCreated(err), c.notCreated)
			}
			page, lerr := a.ListInstances(ctx(t), driver.ListInstancesOptions{PageSize: 100})
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(page.Instances) != c.created {
				t.Errorf("%d instances at the vendor, want %d", len(page.Instances), c.created)
			}
		})
	}
}
