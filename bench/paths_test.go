package bench

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// TestPathsAgree keeps the benchmark honest: the floor and the gateway
// answer the same instance (every field the floor fills), the same flavor
// list and the same fifty instances; the direct call names the instance.
func TestPathsAgree(t *testing.T) {
	e := setup(t, true)
	defer e.stop()
	ctx := context.Background()
	var direct struct {
		Server vendorServer `json:"server"`
	}
	if err := vendorDo(e.http, http.MethodGet, e.vendor+"/servers/"+nhnfake.InstanceWebServer, e.token, nil, &direct); err != nil {
		t.Fatal(err)
	}
	fl, err := e.floor.GetInstance(ctx, &pb.GetInstanceRequest{Name: webServer})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := e.gw.GetInstance(ctx, &pb.GetInstanceRequest{Name: webServer})
	if err != nil {
		t.Fatal(err)
	}
	if direct.Server.Name == "" || fl.GetDisplayName() != direct.Server.Name {
		t.Errorf("direct %q, floor %q", direct.Server.Name, fl.GetDisplayName())
	}
	if !proto.Equal(fl, gw) {
		t.Errorf("floor and gateway differ:\nfloor   %v\ngateway %v", fl, gw)
	}
	fls, err := e.floor.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/nhn"})
	if err != nil {
		t.Fatal(err)
	}
	gwf, err := e.gw.ListFlavors(ctx, &pb.ListFlavorsRequest{Parent: "clouds/nhn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fls.Flavors) == 0 || len(fls.Flavors) != len(gwf.Flavors) {
		t.Errorf("floor %d flavors, gateway %d", len(fls.Flavors), len(gwf.Flavors))
	}
	for i := range min(len(fls.Flavors), len(gwf.Flavors)) {
		if fls.Flavors[i].GetName() != gwf.Flavors[i].GetName() || fls.Flavors[i].GetVcpus() != gwf.Flavors[i].GetVcpus() {
			t.Errorf("flavor %d: floor %v, gateway %v", i, fls.Flavors[i], gwf.Flavors[i])
		}
	}
	fll, err := e.floor.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/nhn", PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tok := ""
	for len(names) < 50 {
		page, err := e.gw.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/nhn", PageSize: int32(50 - len(names)), PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.Instances {
			names = append(names, in.GetName())
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if len(fll.Instances) != 50 || len(names) != 50 {
		t.Fatalf("floor listed %d, gateway %d; want 50", len(fll.Instances), len(names))
	}
	for i := range names {
		if fll.Instances[i].GetName() != names[i] {
			t.Errorf("instance %d: floor %s, gateway %s", i, fll.Instances[i].GetName(), names[i])
		}
	}
}
