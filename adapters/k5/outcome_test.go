package k5

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
	for _, c := range []struct {
		name       string
		match      func(*http.Request) bool
		fault      faulttest.Fault
		notCreated bool
		created    int
	}{
		{"refused", isCreate, faulttest.Refuse, true, 0},
		{"503", isCreate, faulttest.Answer503, true, 0},
		{"image read refused", isImage, faulttest.Refuse, true, 0},
		{"reset after send", isCreate, faulttest.ResetAfterSend, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newFake(t, fake.Options{})
			ft := &faulttest.Transport{Base: http.DefaultTransport, Match: c.match, Fault: c.fault}
			a := fakeAdapter(t, srv, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: ft} })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{
				Name: "web-1", FlavorID: fake.FlavorS1, ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
				Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkA}}, KeyName: fake.KeyPairName})
			if err == nil || ft.Hits() == 0 {
				t.Fatalf("no fault (%v)", err)
			}
			if driver.IsNotCreated(err) != c.notCreated {
				t.Errorf("%v: not created = %v, want %v", err, driver.IsNotCreated(err), c.notCreated)
			}
			page, lerr := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 100})
			if lerr != nil {
				t.Fatal(lerr)
			}
			if len(page.Instances) != c.created {
				t.Errorf("%d instances at the vendor, want %d", len(page.Instances), c.created)
			}
		})
	}
}
