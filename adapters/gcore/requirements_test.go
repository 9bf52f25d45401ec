package gcore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/driver"
)

// TestCreateRequirementsAreWhatValidationReports: GetCloud's create
// requirements for gcore are exactly the violations of an empty create,
// reported in one error before any call to Gcore.
func TestCreateRequirementsAreWhatValidationReports(t *testing.T) {
	a, srv := fakeAdapter(t, fake.Options{Seed: true})
	req := a.CreateRequirements()
	if req.DisplayNameRule == "" || req.BootVolumeRule == "" {
		t.Errorf("rules missing: %+v", req)
	}
	before := srv.Requests()
	_, err := a.CreateInstance(context.Background(), &driver.CreateInstanceRequest{})
	var e *driver.Error
	if !errors.As(err, &e) || e.Code != driver.CodeInvalidArgument {
		t.Fatalf("empty create: %v, want InvalidArgument", err)
	}
	var got []string
	for _, v := range e.Violations {
		got = append(got, v.Field)
	}
	if !slices.Equal(got, req.RequiredFields) {
		t.Errorf("an empty create's violations %v, want the required fields %v", got, req.RequiredFields)
	}
	if n := srv.Requests() - before; n != 0 {
		t.Errorf("an invalid create made %d calls to Gcore", n)
	}
	// With exactly the required fields (and nothing else) it is created.
	ok := &driver.CreateInstanceRequest{Name: "req", FlavorID: fake.FlavorSmall, ImageID: fake.ImageUbuntu,
		BootVolume: &driver.BootVolumeSpec{SizeGB: 10}}
	if _, err := a.CreateInstance(context.Background(), ok); err != nil {
		t.Errorf("create with only the required fields: %v", err)
	}
}
