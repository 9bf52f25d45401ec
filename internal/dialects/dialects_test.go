package dialects

import (
	"testing"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/server"
)

// Every dialect has a distinct name, a distinct value in the API's enum,
// and a credential key.
func TestEveryDialectIsInTheAPI(t *testing.T) {
	names, enums := map[string]bool{}, map[pb.Cloud_Dialect]bool{}
	for _, d := range All {
		n := string(d.DialectName())
		e := server.DialectEnum(d.DialectName())
		if e == pb.Cloud_DIALECT_UNSPECIFIED {
			t.Errorf("dialect %s has no Cloud.Dialect enum value (want one named %s-style, see server.DialectEnum)", n, n)
		}
		if names[n] || enums[e] {
			t.Errorf("dialect %s (%v) listed twice", n, e)
		}
		names[n], enums[e] = true, true
		if d.SecretKey() == "" || len(d.Keys()) == 0 {
			t.Errorf("dialect %s: secret key %q, keys %v", n, d.SecretKey(), d.Keys())
		}
	}
	if len(All) != len(pb.Cloud_Dialect_name)-1 {
		t.Errorf("%d dialects listed, the API's enum has %d", len(All), len(pb.Cloud_Dialect_name)-1)
	}
}
