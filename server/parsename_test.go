package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
)

// parseName answers the IDs of a well-formed name and, for anything else,
// INVALID_ARGUMENT naming the field and the pattern the name must follow.
func TestParseName(t *testing.T) {
	ids, err := parseName("name", "clouds/a/instances/i-1", "instances")
	if err != nil || !slices.Equal(ids, []string{"a", "i-1"}) {
		t.Errorf("instance name: %v %v", ids, err)
	}
	ids, err = parseName("name", "clouds/a/instances/i-1/volumeAttachments/v-2", "instances", "volumeAttachments")
	if err != nil || !slices.Equal(ids, []string{"a", "i-1", "v-2"}) {
		t.Errorf("attachment name: %v %v", ids, err)
	}
	for _, c := range []struct{ name, want string }{
		{"", "required: a resource name like clouds/{cloud}/instances/{id}"},
		{"clouds/a", `"clouds/a" is not a resource name like clouds/{cloud}/instances/{id}`},
		{"clouds/a/flavors/f", `"clouds/a/flavors/f" is not a resource name like clouds/{cloud}/instances/{id}`},
		{"cloud/a/instances/i", `"cloud/a/instances/i" is not a resource name like clouds/{cloud}/instances/{id}`},
		{"clouds/a/instances/", `"clouds/a/instances/" has a malformed ID after instances/`},
	} {
		_, err := parseName("name", c.name, "instances")
		de, _ := err.(*driver.Error)
		if de == nil || de.Code != driver.CodeInvalidArgument || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want INVALID_ARGUMENT with %q", c.name, err, c.want)
		}
	}
}
