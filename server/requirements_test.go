package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// requiring is a memory adapter whose dialect requires a key pair, networks
// and a boot volume size.
type requiring struct{ driver.Adapter }

func (requiring) CreateRequirements() driver.CreateRequirements {
	return driver.CreateRequirements{RequiredFields: []string{"instance.display_name", "instance.flavor", "instance.image",
		"instance.key_pair", "instance.networks", "instance.boot_volume.size_gb"}}
}

// TestCreateNamesDialectRequirementsWithPortableOnes: a create the portable
// checks refuse (no flavor) also names the dialect's required fields it
// leaves empty, all in one answer and one message (issue 13: one refusal
// per try), but not those it gives.
func TestCreateNamesDialectRequirementsWithPortableOnes(t *testing.T) {
	s, err := New(Options{Clouds: []Cloud{{Name: "c", Adapter: requiring{memory.New(memory.Options{Seed: true})}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateInstance(context.Background(), &pb.CreateInstanceRequest{Parent: "clouds/c",
		Instance: &pb.Instance{DisplayName: "x", Image: "img", KeyPair: "k"}})
	st := status.Convert(err)
	got := rpcdetail.Fields(err)
	want := []string{"instance.flavor", "instance.networks", "instance.boot_volume.size_gb"}
	if !slices.Equal(got, want) {
		t.Errorf("violations %v, want %v (%v)", got, want, err)
	}
	for _, f := range want {
		if !strings.Contains(st.Message(), f) {
			t.Errorf("message %q does not name %s", st.Message(), f)
		}
	}
}
