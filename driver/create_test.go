package driver

import (
	"strings"
	"testing"
)

func TestCheckCreateRequest(t *testing.T) {
	ok := CreateInstanceRequest{Name: "web-1", FlavorID: "f-1", ImageID: "img-1"}
	if v := CheckCreateRequest(&ok); len(v) != 0 {
		t.Fatalf("valid request: %v", v)
	}
	for _, tc := range []struct {
		name   string
		change func(*CreateInstanceRequest)
		want   []FieldViolation
	}{
		{"empty", func(r *CreateInstanceRequest) { *r = CreateInstanceRequest{} }, []FieldViolation{
			{"instance.display_name", "required"},
			{"instance.flavor", "required: a flavor ID (see ListFlavors)"},
			{"instance.image", "required: an image ID"},
		}},
		{"spaces only", func(r *CreateInstanceRequest) { r.Name = "  " }, []FieldViolation{{"instance.display_name", "required"}}},
		{"bad flavor", func(r *CreateInstanceRequest) { r.FlavorID = ".." }, []FieldViolation{{"instance.flavor", `a flavor ID must not be "." or ".."`}}},
		{"bad image", func(r *CreateInstanceRequest) { r.ImageID = strings.Repeat("i", MaxIDLen+1) }, []FieldViolation{{"instance.image", "an image ID is longer than 255 bytes"}}},
	} {
		r := ok
		tc.change(&r)
		got := CheckCreateRequest(&r)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: violation %d %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}
