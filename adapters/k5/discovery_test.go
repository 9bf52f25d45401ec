package k5

import (
	"context"
	"slices"
	"testing"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
)

// TestDiscoveryAgainstFake lists images (compute "List images details") and
// volumes (the catalog's blockstoragev2 endpoint) on the fake.
func TestDiscoveryAgainstFake(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := fakeAdapter(t, srv, func(*Config) {})
	ctx := context.Background()

	ims, err := a.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ims, func(im driver.Image) bool { return im.ID == fake.ImageWindows })
	if len(ims) < 4 || i < 0 || ims[i].MinDiskGB != 80 || ims[i].MinRAMMB != 2048 || ims[i].Status != "ACTIVE" || ims[i].Created.IsZero() {
		t.Fatalf("images %+v", ims)
	}
	im, err := a.GetImage(ctx, fake.ImageCentOS)
	if err != nil || im.MinDiskGB != 30 || im.Name != "CentOS 7.2 64bit (English) 01" {
		t.Fatalf("GetImage = %+v, %v", im, err)
	}
	if _, err := a.GetImage(ctx, "00000000-0000-4000-8000-000000000000"); driver.CodeOf(err) != driver.CodeNotFound {
		t.Fatalf("GetImage(unknown) = %v", err)
	}

	vols, err := a.ListVolumes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(vols, func(v driver.Volume) bool { return v.ID == fake.Volume2 })
	if j < 0 || vols[j].SizeGB != 20 || vols[j].Status != "available" || vols[j].Name != "vol-002" || len(vols[j].AttachedTo) != 0 {
		t.Fatalf("volumes %+v", vols)
	}
	k := slices.IndexFunc(vols, func(v driver.Volume) bool { return slices.Contains(v.AttachedTo, fake.Instance1ID) })
	if k < 0 || vols[k].Status != "in-use" || !vols[k].Bootable || vols[k].SizeGB != 20 {
		t.Fatalf("no boot volume of %s in %+v", fake.Instance1ID, vols)
	}
}

// TestNoNetworkListing: K5's networks are outside this guide, so the adapter
// does not claim the capability.
func TestNoNetworkListing(t *testing.T) {
	var a any = &Adapter{}
	if _, ok := a.(driver.NetworkLister); ok {
		t.Error("k5 implements NetworkLister, but its guide documents no network listing")
	}
	if _, ok := a.(driver.SecurityGroupLister); ok {
		t.Error("k5 implements SecurityGroupLister, but its guide documents no security group listing")
	}
}
