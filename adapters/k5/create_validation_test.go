package k5

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
)

// TestCreateReportsEveryViolation: a create with several problems is one
// InvalidArgument naming all of them (issue 13: K5 reported one per try),
// before any compute request.
func TestCreateReportsEveryViolation(t *testing.T) {
	a := newScript(t).adapter(t) // no steps: any compute request fails the test
	_, err := a.CreateInstance(context.Background(), &driver.CreateInstanceRequest{
		Networks:       []driver.NetworkSpec{{NetworkID: "n"}, {SubnetID: "s"}, {NetworkID: "n", FixedIP: "not-an-ip"}},
		SecurityGroups: []string{" "},
		BootVolume:     &driver.BootVolumeSpec{SizeGB: -1, Type: "SSD"},
		Metadata:       map[string]string{"": "v"},
	})
	e := asDriverError(t, err)
	if e.Code != driver.CodeInvalidArgument {
		t.Fatalf("got %+v, want InvalidArgument", e)
	}
	var got []string
	for _, v := range e.Violations {
		got = append(got, v.Field)
	}
	want := []string{"instance.display_name", "instance.flavor", "instance.image", "instance.networks[1].subnet",
		"instance.networks[2].fixed_ip", "instance.security_groups[0]", "instance.metadata",
		"instance.boot_volume.size_gb", "instance.boot_volume.type"}
	for _, f := range want {
		if !slices.Contains(got, f) {
			t.Errorf("violations %v lack %s", got, f)
		}
		if !strings.Contains(e.Message, f+": ") {
			t.Errorf("message %q does not name %s", e.Message, f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("violations %v, want exactly %v", got, want)
	}
}

// TestCreateRequirementsAreWhatValidationReports: every field GetCloud
// lists as required is a violation of an empty create, all in one error.
func TestCreateRequirementsAreWhatValidationReports(t *testing.T) {
	a := newScript(t).adapter(t)
	_, err := a.CreateInstance(context.Background(), &driver.CreateInstanceRequest{})
	e := asDriverError(t, err)
	var got []string
	for _, v := range e.Violations {
		got = append(got, v.Field)
	}
	req := a.CreateRequirements().RequiredFields
	if len(req) == 0 || !slices.Equal(got, req) {
		t.Errorf("an empty create's violations %v, want the required fields %v", got, req)
	}
}
