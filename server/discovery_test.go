package server

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
)

func TestDiscoveryRPCs(t *testing.T) {
	s := newServer(t, Cloud{Name: "a", Adapter: seeded()}, Cloud{Name: "b", Adapter: bare{seeded()}})
	ctx := context.Background()

	// Paged images, the IDs inside their names.
	first, err := s.ListImages(ctx, &pb.ListImagesRequest{Parent: "clouds/a", PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.GetImages()) != 1 || first.GetNextPageToken() == "" {
		t.Fatalf("first page %v", first)
	}
	second, err := s.ListImages(ctx, &pb.ListImagesRequest{Parent: "clouds/a", PageSize: 1, PageToken: first.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{first.GetImages()[0].GetName(), second.GetImages()[0].GetName()}
	if !slices.Equal(names, []string{"clouds/a/images/" + memory.ImageRocky, "clouds/a/images/" + memory.ImageUbuntu}) || second.GetNextPageToken() != "" {
		t.Fatalf("pages %v", names)
	}
	if st := second.GetImages()[0].GetStatus(); st != "ACTIVE" {
		t.Errorf("status %q", st)
	}
	im, err := s.GetImage(ctx, &pb.GetImageRequest{Name: "clouds/a/images/" + memory.ImageUbuntu})
	if err != nil || im.GetMinDiskGb() != 10 {
		t.Fatalf("GetImage %v %v", im, err)
	}
	if _, err := s.GetImage(ctx, &pb.GetImageRequest{Name: "clouds/a/images/nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("GetImage(unknown) %v", err)
	}
	if _, err := s.GetImage(ctx, &pb.GetImageRequest{Name: "clouds/a/flavors/x"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetImage(wrong collection) %v", err)
	}

	nets, err := s.ListNetworks(ctx, &pb.ListNetworksRequest{Parent: "clouds/a"})
	if err != nil || len(nets.GetNetworks()) != 1 || nets.GetNetworks()[0].GetName() != "clouds/a/networks/"+memory.NetworkID ||
		nets.GetNetworks()[0].GetSubnets()[0].GetCidr() != memory.SubnetCIDR {
		t.Fatalf("networks %v %v", nets, err)
	}

	// An attached volume names its instance.
	ins, _ := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/a"})
	inst := ins.GetInstances()[0].GetName()
	if _, err := s.AttachVolume(ctx, &pb.AttachVolumeRequest{Parent: inst, VolumeId: memory.VolumeA}); err != nil {
		t.Fatal(err)
	}
	vols, err := s.ListVolumes(ctx, &pb.ListVolumesRequest{Parent: "clouds/a"})
	if err != nil || len(vols.GetVolumes()) != 2 {
		t.Fatalf("volumes %v %v", vols, err)
	}
	if v := vols.GetVolumes()[0]; v.GetName() != "clouds/a/volumes/"+memory.VolumeA || v.GetStatus() != "IN-USE" ||
		!slices.Equal(v.GetAttachedInstances(), []string{inst}) {
		t.Errorf("attached volume %v", v)
	}

	sgs, err := s.ListSecurityGroups(ctx, &pb.ListSecurityGroupsRequest{Parent: "clouds/a"})
	if err != nil || !slices.ContainsFunc(sgs.GetSecurityGroups(), func(g *pb.SecurityGroup) bool {
		return g.GetDisplayName() == memory.SecurityGroup && g.GetName() == "clouds/a/securityGroups/sg-"+memory.SecurityGroup
	}) {
		t.Errorf("security groups %v %v", sgs, err)
	}

	// Capabilities name them where the adapter has them, and only there.
	discovery := []string{"ListImages", "GetImage", "ListNetworks", "ListVolumes", "ListSecurityGroups"}
	ca, _ := s.GetCloud(ctx, &pb.GetCloudRequest{Name: "clouds/a"})
	cb, _ := s.GetCloud(ctx, &pb.GetCloudRequest{Name: "clouds/b"})
	for _, c := range discovery {
		if !slices.Contains(ca.GetCapabilities(), c) {
			t.Errorf("cloud a lacks capability %s", c)
		}
		if slices.Contains(cb.GetCapabilities(), c) {
			t.Errorf("cloud b claims capability %s", c)
		}
	}

	// Elsewhere: UNIMPLEMENTED with UNSUPPORTED_BY_DIALECT; unknown cloud NOT_FOUND first.
	for name, call := range map[string]func(parent string) error{
		"ListImages": func(p string) error { _, err := s.ListImages(ctx, &pb.ListImagesRequest{Parent: p}); return err },
		"GetImage": func(p string) error {
			_, err := s.GetImage(ctx, &pb.GetImageRequest{Name: p + "/images/x"})
			return err
		},
		"ListNetworks": func(p string) error { _, err := s.ListNetworks(ctx, &pb.ListNetworksRequest{Parent: p}); return err },
		"ListVolumes":  func(p string) error { _, err := s.ListVolumes(ctx, &pb.ListVolumesRequest{Parent: p}); return err },
		"ListSecurityGroups": func(p string) error {
			_, err := s.ListSecurityGroups(ctx, &pb.ListSecurityGroupsRequest{Parent: p})
			return err
		},
	} {
		err := call("clouds/b")
		if status.Code(err) != codes.Unimplemented || rpcdetail.ErrorInfo(t, err).GetReason() != "UNSUPPORTED_BY_DIALECT" {
			t.Errorf("%s on a dialect without it: %v", name, err)
		}
		if err := call("clouds/zz"); status.Code(err) != codes.NotFound {
			t.Errorf("%s on an unknown cloud: %v", name, err)
		}
	}
}
