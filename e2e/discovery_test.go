package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
)

type restImage struct {
	Name, DisplayName, Status string
	MinDiskGb, MinRamMb       int
}

type restNetwork struct {
	Name, DisplayName string
	Subnets           []struct{ Id, Cidr string }
}

type restFlavor struct {
	Name   string
	DiskGb int
}

func lastSegment(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// discoveryCaps is what each demo cloud's dialect documents: nhnv2 has all
// four, k5 images and volumes, toastv1 and gcore none.
var discoveryCaps = map[string][]string{
	"nhn-demo":   {"ListImages", "GetImage", "ListNetworks", "ListVolumes", "ListSecurityGroups"},
	"k5-demo":    {"ListImages", "GetImage", "ListVolumes"},
	"toast-demo": {},
	"gcore-demo": {}, // Gcore's adapter implements no discovery interface
}

// TestDiscovery: on every demo cloud, list what it has (images, networks
// with subnets, volumes, security groups) over REST, get UNIMPLEMENTED
// UNSUPPORTED_BY_DIALECT for the rest, and check the banner's IDs are ones
// the API lists; then create instances using only IDs the API returned,
// over REST and over gRPC.
func TestDiscovery(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	all := []string{"ListImages", "GetImage", "ListNetworks", "ListVolumes", "ListSecurityGroups"}
	paths := map[string]string{"ListImages": "/images", "ListNetworks": "/networks", "ListVolumes": "/volumes", "ListSecurityGroups": "/securityGroups"}
	for cloud, want := range discoveryCaps {
		t.Run(cloud, func(t *testing.T) {
			var c struct{ Capabilities []string }
			if code := g.rest(t, "GET", "/v1/clouds/"+cloud, nil, &c); code != 200 {
				t.Fatalf("GetCloud: HTTP %d", code)
			}
			for _, rpc := range all {
				has := slices.Contains(want, rpc)
				if slices.Contains(c.Capabilities, rpc) != has {
					t.Errorf("capabilities %v: %s should be listed: %v", c.Capabilities, rpc, has)
				}
				p, ok := paths[rpc]
				if !ok {
					continue
				}
				var e restError
				code := g.rest(t, "GET", "/v1/clouds/"+cloud+p, nil, &e)
				switch {
				case has && code != 200:
					t.Errorf("%s: HTTP %d %+v", rpc, code, e)
				case !has && (code != 501 || e.reason() != "UNSUPPORTED_BY_DIALECT"):
					t.Errorf("%s on a dialect without it: HTTP %d %+v, want 501 UNSUPPORTED_BY_DIALECT", rpc, code, e)
				}
			}
		})
	}

	// The banner's image, flavor and network IDs are ones the API lists.
	banner := g.stderr.String()
	for _, cloud := range []string{"nhn-demo", "k5-demo"} {
		var ims struct{ Images []restImage }
		g.rest(t, "GET", "/v1/clouds/"+cloud+"/images", nil, &ims)
		if !slices.ContainsFunc(ims.Images, func(im restImage) bool {
			return strings.Contains(banner, " image "+lastSegment(im.Name))
		}) {
			t.Errorf("%s: the banner names no image that ListImages returns (%+v)", cloud, ims.Images)
		}
		var fls struct{ Flavors []restFlavor }
		g.rest(t, "GET", "/v1/clouds/"+cloud+"/flavors", nil, &fls)
		if !slices.ContainsFunc(fls.Flavors, func(f restFlavor) bool { return strings.Contains(banner, "flavor "+lastSegment(f.Name)) }) {
			t.Errorf("%s: the banner names no flavor that ListFlavors returns", cloud)
		}
	}
	var nets struct{ Networks []restNetwork }
	g.rest(t, "GET", "/v1/clouds/nhn-demo/networks", nil, &nets)
	if !slices.ContainsFunc(nets.Networks, func(n restNetwork) bool { return strings.Contains(banner, "network "+lastSegment(n.Name)) }) {
		t.Errorf("the banner names no nhn-demo network that ListNetworks returns")
	}

	t.Run("BannerCreateExampleWorks", func(t *testing.T) {
		_, after, ok := strings.Cut(banner, "-d '")
		body, _, ok2 := strings.Cut(after, "'")
		if !ok || !ok2 {
			t.Fatalf("no create example in the banner:\n%s", banner)
		}
		var created restInstance
		if code := g.rest(t, "POST", "/v1/clouds/nhn-demo/instances", body, &created); code != 200 {
			t.Fatalf("the banner's create example %s: HTTP %d %+v", body, code, created)
		}
		g.rest(t, "DELETE", "/v1/"+created.Name, nil, nil)
	})
	t.Run("CreateFromListedIDsREST", func(t *testing.T) { createFromListedREST(t, g, "nhn-demo") })
	t.Run("CreateFromListedIDsGRPC", func(t *testing.T) { createFromListedGRPC(t, g, "nhn-demo") })
	t.Run("GetImageNotFound", func(t *testing.T) {
		var e restError
		if code := g.rest(t, "GET", "/v1/clouds/k5-demo/images/00000000-0000-4000-8000-000000000000", nil, &e); code != 404 {
			t.Errorf("GetImage(unknown): HTTP %d %+v", code, e)
		}
	})
}

// createFromListedREST picks a flavor with a local disk, an ACTIVE image that
// fits it, a subnet and a key pair, all from the API's own lists.
func createFromListedREST(t *testing.T, g *gateway, cloud string) {
	var fls struct{ Flavors []restFlavor }
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/flavors", nil, &fls); code != 200 {
		t.Fatalf("flavors: HTTP %d", code)
	}
	i := slices.IndexFunc(fls.Flavors, func(f restFlavor) bool { return f.DiskGb > 0 })
	if i < 0 {
		t.Fatalf("no flavor with a local disk in %+v", fls.Flavors)
	}
	flavor := fls.Flavors[i]
	var ims struct {
		Images        []restImage
		NextPageToken string
	}
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/images?page_size=50", nil, &ims); code != 200 {
		t.Fatalf("images: HTTP %d", code)
	}
	j := slices.IndexFunc(ims.Images, func(im restImage) bool {
		return im.Status == "ACTIVE" && im.MinDiskGb <= flavor.DiskGb && !strings.Contains(im.DisplayName, "Windows")
	})
	if j < 0 {
		t.Fatalf("no ACTIVE image fits flavor %+v: %+v", flavor, ims.Images)
	}
	image := ims.Images[j]
	var one restImage
	if code := g.rest(t, "GET", "/v1/"+image.Name, nil, &one); code != 200 || one.Name != image.Name {
		t.Fatalf("GetImage %s: HTTP %d %+v", image.Name, code, one)
	}
	var nets struct{ Networks []restNetwork }
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/networks", nil, &nets); code != 200 || len(nets.Networks) == 0 || len(nets.Networks[0].Subnets) == 0 {
		t.Fatalf("networks: HTTP %d %+v", code, nets)
	}
	subnet := nets.Networks[0].Subnets[0].Id
	var sgs struct {
		SecurityGroups []struct{ Name, DisplayName string }
	}
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/securityGroups", nil, &sgs); code != 200 || len(sgs.SecurityGroups) == 0 {
		t.Fatalf("security groups: HTTP %d %+v", code, sgs)
	}
	var kps struct{ KeyPairs []struct{ Name string } }
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/keyPairs", nil, &kps); code != 200 || len(kps.KeyPairs) == 0 {
		t.Fatalf("key pairs: HTTP %d %+v", code, kps)
	}
	body := map[string]any{
		"keyPair":     lastSegment(kps.KeyPairs[0].Name),
		"displayName": "from-listed-ids", "flavor": lastSegment(flavor.Name), "image": lastSegment(image.Name),
		"networks": []any{map[string]any{"subnet": subnet}}, "securityGroups": []string{sgs.SecurityGroups[0].DisplayName},
	}
	var created restInstance
	if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances?request_id=0c0f7e4a-2b9d-4f1e-8a3c-5d6e7f8a9b0c", body, &created); code != 200 {
		t.Fatalf("create with listed IDs %v: HTTP %d %+v", body, code, created)
	}
	waitREST(t, g, created.Name, "RUNNING")

	// The volumes list names the instance's attached volumes by instance.
	var vols struct {
		Volumes []struct {
			Name, Status      string
			SizeGb            int
			AttachedInstances []string
		}
	}
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/volumes", nil, &vols); code != 200 {
		t.Fatalf("volumes: HTTP %d", code)
	}
	k := slices.IndexFunc(vols.Volumes, func(v struct {
		Name, Status      string
		SizeGb            int
		AttachedInstances []string
	}) bool {
		return v.Status == "AVAILABLE"
	})
	if k < 0 {
		t.Fatalf("no AVAILABLE volume in %+v", vols.Volumes)
	}
	vol := lastSegment(vols.Volumes[k].Name)
	if code := g.rest(t, "POST", "/v1/"+created.Name+"/volumeAttachments", map[string]any{"volumeId": vol}, nil); code != 200 {
		t.Fatalf("attach listed volume %s: HTTP %d", vol, code)
	}
	eventually.Nil(t, 30*time.Second, "volume "+vol+" listed as attached to "+created.Name, func() error {
		g.rest(t, "GET", "/v1/clouds/"+cloud+"/volumes", nil, &vols)
		if slices.ContainsFunc(vols.Volumes, func(v struct {
			Name, Status      string
			SizeGb            int
			AttachedInstances []string
		}) bool {
			return lastSegment(v.Name) == vol && slices.Contains(v.AttachedInstances, created.Name)
		}) {
			return nil
		}
		return eventually.NotYet("%+v", vols.Volumes)
	})
	if code := g.rest(t, "DELETE", "/v1/"+created.Name+"/volumeAttachments/"+vol, nil, nil); code != 200 {
		t.Errorf("detach: HTTP %d", code)
	}

	// The image :createImage returns is listed afterwards (finding 1).
	if code := g.rest(t, "POST", "/v1/"+created.Name+":stop", map[string]any{}, nil); code != 200 {
		t.Fatalf("stop: HTTP %d", code)
	}
	waitREST(t, g, created.Name, "STOPPED")
	var snap struct{ Image string }
	if code := g.rest(t, "POST", "/v1/"+created.Name+":createImage", map[string]any{"imageName": "e2e-snap"}, &snap); code != 200 || snap.Image == "" {
		t.Fatalf("createImage: HTTP %d %+v", code, snap)
	}
	var got restImage
	if code := g.rest(t, "GET", "/v1/clouds/"+cloud+"/images/"+snap.Image, nil, &got); code != 200 || got.DisplayName != "e2e-snap" {
		t.Errorf("GetImage of the new snapshot: HTTP %d %+v", code, got)
	}
	if code := g.rest(t, "DELETE", "/v1/"+created.Name, nil, nil); code != 200 {
		t.Errorf("delete: HTTP %d", code)
	}
}

func createFromListedGRPC(t *testing.T, g *gateway, cloud string) {
	c := g.client
	parent := "clouds/" + cloud
	fls, err := c.ListFlavors(ctx(t), &pb.ListFlavorsRequest{Parent: parent, MinDiskGb: 1})
	if err != nil || len(fls.GetFlavors()) == 0 {
		t.Fatalf("flavors %v %v", fls, err)
	}
	flavor := fls.GetFlavors()[0]
	var image *pb.Image
	req := &pb.ListImagesRequest{Parent: parent, PageSize: 1}
	for { // one image per page: the paging works too
		res, err := c.ListImages(ctx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range res.GetImages() {
			if image == nil && im.GetStatus() == "ACTIVE" && im.GetMinDiskGb() <= flavor.GetDiskGb() && !strings.Contains(im.GetDisplayName(), "Windows") {
				image = im
			}
		}
		if res.GetNextPageToken() == "" {
			break
		}
		req.PageToken = res.GetNextPageToken()
	}
	if image == nil {
		t.Fatalf("no image fits %v", flavor)
	}
	nets, err := c.ListNetworks(ctx(t), &pb.ListNetworksRequest{Parent: parent})
	if err != nil || len(nets.GetNetworks()) == 0 {
		t.Fatalf("networks %v %v", nets, err)
	}
	network := lastSegment(nets.GetNetworks()[len(nets.GetNetworks())-1].GetName())
	kps, err := c.ListKeyPairs(ctx(t), &pb.ListKeyPairsRequest{Parent: parent})
	if err != nil || len(kps.GetKeyPairs()) == 0 {
		t.Fatalf("key pairs %v %v", kps, err)
	}
	in, err := c.CreateInstance(ctx(t), &pb.CreateInstanceRequest{Parent: parent, Instance: &pb.Instance{
		DisplayName: "from-listed-ids-grpc", Flavor: lastSegment(flavor.GetName()), Image: lastSegment(image.GetName()),
		Networks: []*pb.NetworkAttachment{{Network: network}}, KeyPair: lastSegment(kps.GetKeyPairs()[0].GetName()),
	}})
	if err != nil {
		t.Fatalf("create with listed IDs: %v", err)
	}
	if in.GetImage() != lastSegment(image.GetName()) || in.GetFlavor() != lastSegment(flavor.GetName()) {
		t.Errorf("created %v", in)
	}
	if _, err := c.DeleteInstance(ctx(t), &pb.DeleteInstanceRequest{Name: in.GetName()}); err != nil {
		t.Errorf("delete: %v", err)
	}
	// Elsewhere the answer is UNIMPLEMENTED with UNSUPPORTED_BY_DIALECT.
	_, err = c.ListNetworks(ctx(t), &pb.ListNetworksRequest{Parent: "clouds/toast-demo"})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(fmt.Sprint(status.Convert(err).Details()), "UNSUPPORTED_BY_DIALECT") {
		t.Errorf("ListNetworks on toast-demo: %v", err)
	}
}
