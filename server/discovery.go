package server

import (
	"context"
	"slices"
	"strings"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// Discovery RPCs: what a caller needs to build a
// create request. Each is an optional capability (driver.ImageLister, ...);
// the adapter returns every item and the server pages, sorted by ID so that
// page tokens stay valid while the vendor's order changes.

// listDiscovered is the body shared by the discovery list RPCs: resolve the
// parent, check the optional interface, call it, sort and page.
func listDiscovered[L any, T any](ctx context.Context, s *Server, c *call, method, kind, parent string, size int32, token string,
	fetch func(ctx context.Context, l L) ([]T, error), id func(T) string) (*cloud, []T, string, error) {
	cl, _, err := c.resolve("parent", parent)
	if err != nil {
		return nil, nil, "", err
	}
	l, err := optional[L](cl, method)
	if err != nil {
		return nil, nil, "", err
	}
	if _, err := pageSize(size); err != nil {
		return nil, nil, "", err
	}
	all, err := backend(ctx, cl, func(ctx context.Context) ([]T, error) { return fetch(ctx, l) })
	if err != nil {
		return nil, nil, "", err
	}
	all = slices.Clone(all)
	slices.SortStableFunc(all, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	page, next, err := pageLocal(s.tokens, all, kind, parent, "", token, size)
	if err != nil {
		return nil, nil, "", err
	}
	return cl, page, next, nil
}

func imageToProto(cloud string, im *driver.Image) *pb.Image {
	return &pb.Image{
		Name: "clouds/" + cloud + "/images/" + im.ID, DisplayName: im.Name,
		MinDiskGb: int32(im.MinDiskGB), MinRamMb: int32(im.MinRAMMB), Status: strings.ToUpper(im.Status),
		SizeBytes: im.SizeBytes, CreateTime: ts(im.Created), Visibility: im.Visibility,
	}
}

// ListImages implements pb.ComputeServiceServer.
func (s *Server) ListImages(ctx context.Context, req *pb.ListImagesRequest) (*pb.ListImagesResponse, error) {
	var out *pb.ListImagesResponse
	err := s.do(ctx, "ListImages", func(ctx context.Context, c *call) error {
		cl, page, next, err := listDiscovered(ctx, s, c, "ListImages", "images", req.GetParent(), req.GetPageSize(), req.GetPageToken(),
			func(ctx context.Context, l driver.ImageLister) ([]driver.Image, error) { return l.ListImages(ctx) },
			func(im driver.Image) string { return im.ID })
		if err != nil {
			return err
		}
		out = &pb.ListImagesResponse{NextPageToken: next}
		for i := range page {
			out.Images = append(out.Images, imageToProto(cl.name, &page[i]))
		}
		return nil
	})
	return out, err
}

// GetImage implements pb.ComputeServiceServer.
func (s *Server) GetImage(ctx context.Context, req *pb.GetImageRequest) (*pb.Image, error) {
	var out *pb.Image
	err := s.do(ctx, "GetImage", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "images")
		if err != nil {
			return err
		}
		l, err := optional[driver.ImageLister](cl, "GetImage")
		if err != nil {
			return err
		}
		im, err := backend(ctx, cl, func(ctx context.Context) (*driver.Image, error) { return l.GetImage(ctx, ids[0]) })
		if err != nil {
			return err
		}
		out = imageToProto(cl.name, im)
		return nil
	})
	return out, err
}

// ListNetworks implements pb.ComputeServiceServer.
func (s *Server) ListNetworks(ctx context.Context, req *pb.ListNetworksRequest) (*pb.ListNetworksResponse, error) {
	var out *pb.ListNetworksResponse
	err := s.do(ctx, "ListNetworks", func(ctx context.Context, c *call) error {
		cl, page, next, err := listDiscovered(ctx, s, c, "ListNetworks", "networks", req.GetParent(), req.GetPageSize(), req.GetPageToken(),
			func(ctx context.Context, l driver.NetworkLister) ([]driver.Network, error) {
				return l.ListNetworks(ctx)
			},
			func(n driver.Network) string { return n.ID })
		if err != nil {
			return err
		}
		out = &pb.ListNetworksResponse{NextPageToken: next}
		for _, n := range page {
			pn := &pb.Network{Name: "clouds/" + cl.name + "/networks/" + n.ID, DisplayName: n.Name, Status: strings.ToUpper(n.Status)}
			for _, sn := range n.Subnets {
				pn.Subnets = append(pn.Subnets, &pb.Network_Subnet{Id: sn.ID, Cidr: sn.CIDR, DisplayName: sn.Name})
			}
			out.Networks = append(out.Networks, pn)
		}
		return nil
	})
	return out, err
}

// ListVolumes implements pb.ComputeServiceServer.
func (s *Server) ListVolumes(ctx context.Context, req *pb.ListVolumesRequest) (*pb.ListVolumesResponse, error) {
	var out *pb.ListVolumesResponse
	err := s.do(ctx, "ListVolumes", func(ctx context.Context, c *call) error {
		cl, page, next, err := listDiscovered(ctx, s, c, "ListVolumes", "volumes", req.GetParent(), req.GetPageSize(), req.GetPageToken(),
			func(ctx context.Context, l driver.VolumeLister) ([]driver.Volume, error) { return l.ListVolumes(ctx) },
			func(v driver.Volume) string { return v.ID })
		if err != nil {
			return err
		}
		out = &pb.ListVolumesResponse{NextPageToken: next}
		for _, v := range page {
			pv := &pb.Volume{Name: "clouds/" + cl.name + "/volumes/" + v.ID, DisplayName: v.Name, SizeGb: int32(v.SizeGB),
				Status: strings.ToUpper(v.Status), Type: v.Type, Zone: v.Zone, Bootable: v.Bootable}
			for _, id := range v.AttachedTo {
				pv.AttachedInstances = append(pv.AttachedInstances, instanceName(cl.name, id))
			}
			out.Volumes = append(out.Volumes, pv)
		}
		return nil
	})
	return out, err
}

// ListSecurityGroups implements pb.ComputeServiceServer.
func (s *Server) ListSecurityGroups(ctx context.Context, req *pb.ListSecurityGroupsRequest) (*pb.ListSecurityGroupsResponse, error) {
	var out *pb.ListSecurityGroupsResponse
	err := s.do(ctx, "ListSecurityGroups", func(ctx context.Context, c *call) error {
		cl, page, next, err := listDiscovered(ctx, s, c, "ListSecurityGroups", "securityGroups", req.GetParent(), req.GetPageSize(), req.GetPageToken(),
			func(ctx context.Context, l driver.SecurityGroupLister) ([]driver.SecurityGroup, error) {
				return l.ListSecurityGroups(ctx)
			},
			func(g driver.SecurityGroup) string { return g.ID })
		if err != nil {
			return err
		}
		out = &pb.ListSecurityGroupsResponse{NextPageToken: next}
		for _, g := range page {
			out.SecurityGroups = append(out.SecurityGroups, &pb.SecurityGroup{
				Name: "clouds/" + cl.name + "/securityGroups/" + g.ID, DisplayName: g.Name, Description: g.Description})
		}
		return nil
	})
	return out, err
}
