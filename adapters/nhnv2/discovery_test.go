package nhnv2

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
)

// TestDiscoveryAgainstFake lists images, networks with subnets, volumes and
// security groups through the catalog's Glance, Neutron and Cinder
// endpoints, and checks that the IDs are the ones a create accepts.
func TestDiscoveryAgainstFake(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true, RecordRequests: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)

	ims, err := a.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ubuntu *driver.Image
	for i := range ims {
		if ims[i].ID == fake.ImageUbuntu {
			ubuntu = &ims[i]
		}
	}
	if len(ims) != 2 || ubuntu == nil || ubuntu.Status != "active" || ubuntu.MinDiskGB != 10 || ubuntu.Name == "" {
		t.Fatalf("images %+v", ims)
	}
	got, err := a.GetImage(ctx, fake.ImageWindows)
	if err != nil || got.MinRAMMB != 2048 || got.Name != "Windows 2012 R2 STD (2020.02.18) EN" {
		t.Fatalf("GetImage = %+v, %v", got, err)
	}
	if _, err := a.GetImage(ctx, "00000000-0000-4000-8000-000000000000"); driver.CodeOf(err) != driver.CodeNotFound {
		t.Fatalf("GetImage(unknown) = %v, want NotFound", err)
	}

	nets, err := a.ListNetworks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(nets, func(n driver.Network) bool { return n.ID == fake.NetworkVPC2 })
	if len(nets) != 2 || i < 0 || len(nets[i].Subnets) != 1 || nets[i].Subnets[0].ID != fake.SubnetVPC2 ||
		nets[i].Subnets[0].CIDR != "172.16.0.0/24" || nets[i].Name != "vpc2" {
		t.Fatalf("networks %+v", nets)
	}

	vols, err := a.ListVolumes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(vols, func(v driver.Volume) bool { return v.ID == fake.VolumeA })
	if j < 0 || vols[j].Status != "available" || vols[j].SizeGB != 10 || len(vols[j].AttachedTo) != 0 {
		t.Fatalf("volumes %+v", vols)
	}
	k := slices.IndexFunc(vols, func(v driver.Volume) bool { return len(v.AttachedTo) > 0 })
	if k < 0 || vols[k].Status != "in-use" || !vols[k].Bootable || vols[k].SizeGB != 50 {
		t.Fatalf("no attached root volume in %+v", vols)
	}

	groups, err := a.ListSecurityGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(groups, func(g driver.SecurityGroup) bool {
		return g.Name == fake.SecurityGroupWeb && g.ID == fake.SecurityGroupID(fake.SecurityGroupWeb)
	}) {
		t.Fatalf("security groups %+v", groups)
	}

	// The calls went to the catalog's services, not to the compute API.
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		for _, p := range []string{"/image/v2/images", "/network/v2.0/networks", "/network/v2.0/subnets",
			"/network/v2.0/security-groups", "/volume/v2/" + srv.TenantID() + "/volumes/detail"} {
			if r.Path == p && r.Method == http.MethodGet && r.Header.Get("X-Auth-Token") != "" {
				seen[p] = true
			}
		}
	}
	if len(seen) != 5 {
		t.Errorf("service paths called with a token: %v", seen)
	}
}

// TestCreatedImageListed: a snapshot made with
// CreateInstanceImage is listed afterwards (finding 1).
func TestCreatedImageListed(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	var made []string
	for n := range 3 {
		id, err := a.CreateInstanceImage(ctx, fake.InstanceBatch, "snap-"+strings.Repeat("x", n+1), nil)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, id)
	}
	ims, err := a.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range made {
		if !slices.ContainsFunc(ims, func(im driver.Image) bool { return im.ID == id }) {
			t.Errorf("created image %s not listed in %+v", id, ims)
		}
	}
}
