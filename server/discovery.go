package server

import (
	"context"
	"strings"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// Discovery RPCs: what a caller needs to build a
// create request. Each is an optional capability (driver.ImageLister, ...);
// the adapter returns every item and the server pages, sorted by ID so that
// page tokens stay valid while the vendor's order changes.

func imageToProto(cloud string, im *driver.Image) *pb.Image {
	return &pb.Image{
		Name: "clouds/" + cloud + "/images/" + im.ID, DisplayName: im.Name,
		MinDiskGb: int32(im.MinDiskGB), MinRamMb: int32(im.MinRAMMB), Status: strings.ToUpper(im.Status),
		SizeBytes: im.SizeBytes, CreateTime: ts(im.Created), Visibility: im.Visibility,
	}
}

// ListImages implements pb.ComputeServiceServer.
func (s *Server) ListImages(ctx context.Context, req *pb.ListImagesRequest) (*pb.ListImagesResponse, error) {
	return listOptional(ctx, s, "ListImages", req, "images", driver.ImageLister.ListImages,
		func(im driver.Image) string { return im.ID }, imageToProto,
		func(page []*pb.Image, next string) *pb.ListImagesResponse {
			return &pb.ListImagesResponse{Images: page, NextPageToken: next}
		})
}

// GetImage implements pb.ComputeServiceServer.
func (s *Server) GetImage(ctx context.Context, req *pb.GetImageRequest) (*pb.Image, error) {
	return getOptional(ctx, s, "GetImage", req.GetName(), "images", driver.ImageLister.GetImage, imageToProto)
}

func networkToProto(cloud string, n *driver.Network) *pb.Network {
	pn := &pb.Network{Name: "clouds/" + cloud + "/networks/" + n.ID, DisplayName: n.Name, Status: strings.ToUpper(n.Status)}
	for _, sn := range n.Subnets {
		pn.Subnets = append(pn.Subnets, &pb.Network_Subnet{Id: sn.ID, Cidr: sn.CIDR, DisplayName: sn.Name})
	}
	return pn
}

// ListNetworks implements pb.ComputeServiceServer.
func (s *Server) ListNetworks(ctx context.Context, req *pb.ListNetworksRequest) (*pb.ListNetworksResponse, error) {
	return listOptional(ctx, s, "ListNetworks", req, "networks", driver.NetworkLister.ListNetworks,
		func(n driver.Network) string { return n.ID }, networkToProto,
		func(page []*pb.Network, next string) *pb.ListNetworksResponse {
			return &pb.ListNetworksResponse{Networks: page, NextPageToken: next}
		})
}

func volumeToProto(cloud string, v *driver.Volume) *pb.Volume {
	pv := &pb.Volume{Name: "clouds/" + cloud + "/volumes/" + v.ID, DisplayName: v.Name, SizeGb: int32(v.SizeGB),
		Status: strings.ToUpper(v.Status), Type: v.Type, Zone: v.Zone, Bootable: v.Bootable}
	for _, id := range v.AttachedTo {
		pv.AttachedInstances = append(pv.AttachedInstances, instanceName(cloud, id))
	}
	return pv
}

// ListVolumes implements pb.ComputeServiceServer.
func (s *Server) ListVolumes(ctx context.Context, req *pb.ListVolumesRequest) (*pb.ListVolumesResponse, error) {
	return listOptional(ctx, s, "ListVolumes", req, "volumes", driver.VolumeLister.ListVolumes,
		func(v driver.Volume) string { return v.ID }, volumeToProto,
		func(page []*pb.Volume, next string) *pb.ListVolumesResponse {
			return &pb.ListVolumesResponse{Volumes: page, NextPageToken: next}
		})
}

func securityGroupToProto(cloud string, g *driver.SecurityGroup) *pb.SecurityGroup {
	return &pb.SecurityGroup{Name: "clouds/" + cloud + "/securityGroups/" + g.ID, DisplayName: g.Name, Description: g.Description}
}

// ListSecurityGroups implements pb.ComputeServiceServer.
func (s *Server) ListSecurityGroups(ctx context.Context, req *pb.ListSecurityGroupsRequest) (*pb.ListSecurityGroupsResponse, error) {
	return listOptional(ctx, s, "ListSecurityGroups", req, "securityGroups", driver.SecurityGroupLister.ListSecurityGroups,
		func(g driver.SecurityGroup) string { return g.ID }, securityGroupToProto,
		func(page []*pb.SecurityGroup, next string) *pb.ListSecurityGroupsResponse {
			return &pb.ListSecurityGroupsResponse{SecurityGroups: page, NextPageToken: next}
		})
}
