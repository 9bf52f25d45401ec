package server

import (
	"context"
	"strings"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// Operation is one cloud-scoped RPC as GetCloud lists it in capabilities.
// An optional one says how to tell whether an adapter has it (Has, usually
// an optional driver interface) and how to call it (Probe), so that one
// table drives GetCloud.capabilities, the UNIMPLEMENTED answers (see
// optional) and the conformance suite's checks of both (driver/drivertest).
type Operation struct {
	// RPC is the method's short name, e.g. "ShelveInstance".
	RPC string
	// Has reports whether an adapter has the operation; nil: every adapter
	// has it.
	Has func(driver.Adapter) bool
	// Probe calls the RPC on the instance named instance with arguments
	// that pass the portable layer's validation (optional operations only).
	Probe func(ctx context.Context, s *Server, instance string) error
	// What names the operation in the UNIMPLEMENTED message (default RPC).
	What string
}

// operations lists every cloud-scoped RPC in the order GetCloud reports
// them. To add an optional operation: its driver interface, one entry here
// (Has: implements[driver.X], a Probe), and the RPC's handler resolving the
// interface with optional[driver.X](cl, "RPC").
var operations = []Operation{
	{RPC: "ListInstances"},
	{RPC: "GetInstance"},
	{RPC: "CreateInstance"},
	{RPC: "UpdateInstance", Has: implements[driver.InstanceRenamer], What: "UpdateInstance (rename)", Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.UpdateInstance(ctx, &pb.UpdateInstanceRequest{Instance: &pb.Instance{Name: n, DisplayName: "x"}})
		return err
	}},
	{RPC: "DeleteInstance"},
	{RPC: "StartInstance"},
	{RPC: "StopInstance"},
	{RPC: "RebootInstance"},
	{RPC: "ResizeInstance"},
	{RPC: "ConfirmResizeInstance", Has: implements[driver.ResizeConfirmer], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ConfirmResizeInstance(ctx, &pb.ConfirmResizeInstanceRequest{Name: n})
		return err
	}},
	{RPC: "RevertResizeInstance", Has: implements[driver.ResizeConfirmer], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.RevertResizeInstance(ctx, &pb.RevertResizeInstanceRequest{Name: n})
		return err
	}},
	{RPC: "ShelveInstance", Has: implements[driver.Shelver], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ShelveInstance(ctx, &pb.ShelveInstanceRequest{Name: n})
		return err
	}},
	{RPC: "UnshelveInstance", Has: implements[driver.Shelver], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.UnshelveInstance(ctx, &pb.UnshelveInstanceRequest{Name: n})
		return err
	}},
	{RPC: "RebuildInstance", Has: implements[driver.Rebuilder], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.RebuildInstance(ctx, &pb.RebuildInstanceRequest{Name: n, Image: "probe-image"})
		return err
	}},
	{RPC: "CreateInstanceImage", Has: implements[driver.ImageCreator], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.CreateInstanceImage(ctx, &pb.CreateInstanceImageRequest{Name: n, ImageName: "x"})
		return err
	}},
	{RPC: "AddSecurityGroup", Has: implements[driver.SecurityGroupManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.AddSecurityGroup(ctx, &pb.AddSecurityGroupRequest{Name: n, SecurityGroup: "x"})
		return err
	}},
	{RPC: "RemoveSecurityGroup", Has: implements[driver.SecurityGroupManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.RemoveSecurityGroup(ctx, &pb.RemoveSecurityGroupRequest{Name: n, SecurityGroup: "x"})
		return err
	}},
	{RPC: "AddFloatingIp", Has: implements[driver.FloatingIPManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.AddFloatingIp(ctx, &pb.AddFloatingIpRequest{Name: n, Address: "203.0.113.1"})
		return err
	}},
	{RPC: "RemoveFloatingIp", Has: implements[driver.FloatingIPManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.RemoveFloatingIp(ctx, &pb.RemoveFloatingIpRequest{Name: n, Address: "203.0.113.1"})
		return err
	}},
	{RPC: "WatchInstance"},
	{RPC: "ListVolumeAttachments", Has: implements[driver.VolumeAttacher], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListVolumeAttachments(ctx, &pb.ListVolumeAttachmentsRequest{Parent: n})
		return err
	}},
	{RPC: "GetVolumeAttachment", Has: implements[driver.VolumeAttacher], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.GetVolumeAttachment(ctx, &pb.GetVolumeAttachmentRequest{Name: n + "/volumeAttachments/probe-volume"})
		return err
	}},
	{RPC: "AttachVolume", Has: implements[driver.VolumeAttacher], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.AttachVolume(ctx, &pb.AttachVolumeRequest{Parent: n, VolumeId: "probe-volume"})
		return err
	}},
	{RPC: "DetachVolume", Has: implements[driver.VolumeAttacher], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.DetachVolume(ctx, &pb.DetachVolumeRequest{Name: n + "/volumeAttachments/probe-volume"})
		return err
	}},
	{RPC: "ListFlavors"},
	{RPC: "GetFlavor"},
	{RPC: "ListZones"},
	{RPC: "ListKeyPairs", Has: implements[driver.KeyPairManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListKeyPairs(ctx, &pb.ListKeyPairsRequest{Parent: cloudOf(n)})
		return err
	}},
	{RPC: "GetKeyPair", Has: implements[driver.KeyPairManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.GetKeyPair(ctx, &pb.GetKeyPairRequest{Name: cloudOf(n) + "/keyPairs/probe-key"})
		return err
	}},
	{RPC: "CreateKeyPair", Has: implements[driver.KeyPairManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.CreateKeyPair(ctx, &pb.CreateKeyPairRequest{Parent: cloudOf(n), KeyPairId: "probe-key", KeyPair: &pb.KeyPair{}})
		return err
	}},
	{RPC: "DeleteKeyPair", Has: implements[driver.KeyPairManager], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.DeleteKeyPair(ctx, &pb.DeleteKeyPairRequest{Name: cloudOf(n) + "/keyPairs/probe-key"})
		return err
	}},
	// Discovery: what a caller needs to build a create request.
	{RPC: "ListImages", Has: implements[driver.ImageLister], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListImages(ctx, &pb.ListImagesRequest{Parent: cloudOf(n)})
		return err
	}},
	{RPC: "GetImage", Has: implements[driver.ImageLister], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.GetImage(ctx, &pb.GetImageRequest{Name: cloudOf(n) + "/images/probe-image"})
		return err
	}},
	{RPC: "ListNetworks", Has: implements[driver.NetworkLister], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListNetworks(ctx, &pb.ListNetworksRequest{Parent: cloudOf(n)})
		return err
	}},
	{RPC: "ListVolumes", Has: implements[driver.VolumeLister], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListVolumes(ctx, &pb.ListVolumesRequest{Parent: cloudOf(n)})
		return err
	}},
	{RPC: "ListSecurityGroups", Has: implements[driver.SecurityGroupLister], Probe: func(ctx context.Context, s *Server, n string) error {
		_, err := s.ListSecurityGroups(ctx, &pb.ListSecurityGroupsRequest{Parent: cloudOf(n)})
		return err
	}},
}

// cloudOf is the "clouds/{cloud}" prefix of a resource name.
func cloudOf(name string) string {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return name
	}
	return parts[0] + "/" + parts[1]
}

// Operations returns the table of cloud-scoped RPCs (a copy), for the
// conformance suite.
func Operations() []Operation { return append([]Operation(nil), operations...) }

func implements[T any](a driver.Adapter) bool {
	_, ok := a.(T)
	return ok
}

// capabilities lists the cloud-scoped RPCs the adapter supports, and how
// the UNIMPLEMENTED answer names each one it lacks.
func capabilities(a driver.Adapter) (caps []string, lacks map[string]string) {
	lacks = map[string]string{}
	for _, op := range operations {
		switch {
		case op.Has == nil || op.Has(a):
			caps = append(caps, op.RPC)
		case op.What != "":
			lacks[op.RPC] = op.What
		default:
			lacks[op.RPC] = op.RPC
		}
	}
	return caps, lacks
}

// optional resolves the optional adapter interface behind rpc, or answers
// UNIMPLEMENTED (reason UNSUPPORTED_BY_DIALECT) when the cloud's
// capabilities lack rpc.
func optional[T any](cl *cloud, rpc string) (T, error) {
	v, ok := cl.adapter.(T)
	if what, lacked := cl.lacks[rpc]; lacked || !ok {
		if what == "" {
			what = rpc
		}
		var zero T
		return zero, driver.Unsupported(cl.dialect, what)
	}
	return v, nil
}
