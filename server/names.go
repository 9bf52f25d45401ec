package server

import (
	"regexp"
	"strings"

	"github.com/computegw/computegw/driver"
)

// CloudNamePattern is the form every cloud name has: a lower-case letter,
// then up to 62 lower-case letters, digits and dashes.
var CloudNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// parseName splits a resource name of the form
// "clouds/{cloud}/coll1/{id1}/coll2/{id2}" against the expected collection
// names and returns the IDs (cloud first). field names the request field for
// the error.
func parseName(field, name string, collections ...string) ([]string, error) {
	// The pattern ("clouds/{cloud}/instances/{id}") is only spelled out
	// for an error: the happy path builds nothing but the IDs.
	pattern := func() string {
		want := make([]string, 0, 2*len(collections)+2)
		want = append(want, "clouds", "{cloud}")
		for _, c := range collections {
			want = append(want, c, "{id}")
		}
		return strings.Join(want, "/")
	}
	if name == "" {
		return nil, driver.InvalidArgument(field, "required: a resource name like "+pattern())
	}
	parts := strings.Split(name, "/")
	if len(parts) != 2*len(collections)+2 {
		return nil, driver.InvalidArgument(field, "\""+name+"\" is not a resource name like "+pattern())
	}
	ids := make([]string, 0, len(collections)+1)
	for i := 0; i < len(parts); i += 2 {
		want := "clouds"
		if i > 0 {
			want = collections[i/2-1]
		}
		if parts[i] != want {
			return nil, driver.InvalidArgument(field, "\""+name+"\" is not a resource name like "+pattern())
		}
		id := parts[i+1]
		if why := driver.CheckID(id); why != "" {
			return nil, driver.InvalidArgument(field, "\""+name+"\" has a malformed ID after "+parts[i]+"/: the ID "+why)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
