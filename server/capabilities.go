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
	{RPC: "UpdateInstance", Has: implements[driver.InstanceRenamer], What: "UpdateInstance (rename)", Probe: probe((*Server).UpdateInstance, func(n string) *pb.UpdateInstanceRequest {
		return &pb.UpdateInstanceRequest{Instance: &pb.Instance{Name: n, DisplayName: "x"}}
	})},
	{RPC: "DeleteInstance"},
	{RPC: "StartInstance"},
	{RPC: "StopInstance"},
	{RPC: "RebootInstance"},
	{RPC: "ResizeInstance"},
	{RPC: "ConfirmResizeInstance", Has: implements[driver.ResizeConfirmer], Probe: probe((*Server).ConfirmResizeInstance, func(n string) *pb.ConfirmResizeInstanceRequest { return &pb.ConfirmResizeInstanceRequest{Name: n} })},
	{RPC: "RevertResizeInstance", Has: implements[driver.ResizeConfirmer], Probe: probe((*Server).RevertResizeInstance, func(n string) *pb.RevertResizeInstanceRequest { return &pb.RevertResizeInstanceRequest{Name: n} })},
	{RPC: "ShelveInstance", Has: implements[driver.Shelver], Probe: probe((*Server).ShelveInstance, func(n string) *pb.ShelveInstanceRequest { return &pb.ShelveInstanceRequest{Name: n} })},
	{RPC: "UnshelveInstance", Has: implements[driver.Shelver], Probe: probe((*Server).UnshelveInstance, func(n string) *pb.UnshelveInstanceRequest { return &pb.UnshelveInstanceRequest{Name: n} })},
	{RPC: "RebuildInstance", Has: implements[driver.Rebuilder], Probe: probe((*Server).RebuildInstance, func(n string) *pb.RebuildInstanceRequest {
		return &pb.RebuildInstanceRequest{Name: n, Image: "probe-image"}
	})},
	{RPC: "CreateInstanceImage", Has: implements[driver.ImageCreator], Probe: probe((*Server).CreateInstanceImage, func(n string) *pb.CreateInstanceImageRequest {
		return &pb.CreateInstanceImageRequest{Name: n, ImageName: "x"}
	})},
	{RPC: "AddSecurityGroup", Has: implements[driver.SecurityGroupManager], Probe: probe((*Server).AddSecurityGroup, func(n string) *pb.AddSecurityGroupRequest {
		return &pb.AddSecurityGroupRequest{Name: n, SecurityGroup: "x"}
	})},
	{RPC: "RemoveSecurityGroup", Has: implements[driver.SecurityGroupManager], Probe: probe((*Server).RemoveSecurityGroup, func(n string) *pb.RemoveSecurityGroupRequest {
		return &pb.RemoveSecurityGroupRequest{Name: n, SecurityGroup: "x"}
	})},
	{RPC: "AddFloatingIp", Has: implements[driver.FloatingIPManager], Probe: probe((*Server).AddFloatingIp, func(n string) *pb.AddFloatingIpRequest {
		return &pb.AddFloatingIpRequest{Name: n, Address: "203.0.113.1"}
	})},
	{RPC: "RemoveFloatingIp", Has: implements[driver.FloatingIPManager], Probe: probe((*Server).RemoveFloatingIp, func(n string) *pb.RemoveFloatingIpRequest {
		return &pb.RemoveFloatingIpRequest{Name: n, Address: "203.0.113.1"}
	})},
	{RPC: "WatchInstance"},
	{RPC: "ListVolumeAttachments", Has: implements[driver.VolumeAttacher], Probe: probe((*Server).ListVolumeAttachments, func(n string) *pb.ListVolumeAttachmentsRequest { return &pb.ListVolumeAttachmentsRequest{Parent: n} })},
	{RPC: "GetVolumeAttachment", Has: implements[driver.VolumeAttacher], Probe: probe((*Server).GetVolumeAttachment, func(n string) *pb.GetVolumeAttachmentRequest {
		return &pb.GetVolumeAttachmentRequest{Name: n + "/volumeAttachments/probe-volume"}
	})},
	{RPC: "AttachVolume", Has: implements[driver.VolumeAttacher], Probe: probe((*Server).AttachVolume, func(n string) *pb.AttachVolumeRequest {
		return &pb.AttachVolumeRequest{Parent: n, VolumeId: "probe-volume"}
	})},
	{RPC: "DetachVolume", Has: implements[driver.VolumeAttacher], Probe: probe((*Server).DetachVolume, func(n string) *pb.DetachVolumeRequest {
		return &pb.DetachVolumeRequest{Name: n + "/volumeAttachments/probe-volume"}
	})},
	{RPC: "ListFlavors"},
	{RPC: "GetFlavor"},
	{RPC: "ListZones"},
	{RPC: "ListKeyPairs", Has: implements[driver.KeyPairManager], Probe: probe((*Server).ListKeyPairs, func(n string) *pb.ListKeyPairsRequest { return &pb.ListKeyPairsRequest{Parent: cloudOf(n)} })},
	{RPC: "GetKeyPair", Has: implements[driver.KeyPairManager], Probe: probe((*Server).GetKeyPair, func(n string) *pb.GetKeyPairRequest {
		return &pb.GetKeyPairRequest{Name: cloudOf(n) + "/keyPairs/probe-key"}
	})},
	{RPC: "CreateKeyPair", Has: implements[driver.KeyPairManager], Probe: probe((*Server).CreateKeyPair, func(n string) *pb.CreateKeyPairRequest {
		return &pb.CreateKeyPairRequest{Parent: cloudOf(n), KeyPairId: "probe-key", KeyPair: &pb.KeyPair{}}
	})},
	{RPC: "DeleteKeyPair", Has: implements[driver.KeyPairManager], Probe: probe((*Server).DeleteKeyPair, func(n string) *pb.DeleteKeyPairRequest {
		return &pb.DeleteKeyPairRequest{Name: cloudOf(n) + "/keyPairs/probe-key"}
	})},
	// Discovery: what a caller needs to build a create request.
	{RPC: "ListImages", Has: implements[driver.ImageLister], Probe: probe((*Server).ListImages, func(n string) *pb.ListImagesRequest { return &pb.ListImagesRequest{Parent: cloudOf(n)} })},
	{RPC: "GetImage", Has: implements[driver.ImageLister], Probe: probe((*Server).GetImage, func(n string) *pb.GetImageRequest {
		return &pb.GetImageRequest{Name: cloudOf(n) + "/images/probe-image"}
	})},
	{RPC: "ListNetworks", Has: implements[driver.NetworkLister], Probe: probe((*Server).ListNetworks, func(n string) *pb.ListNetworksRequest { return &pb.ListNetworksRequest{Parent: cloudOf(n)} })},
	{RPC: "ListVolumes", Has: implements[driver.VolumeLister], Probe: probe((*Server).ListVolumes, func(n string) *pb.ListVolumesRequest { return &pb.ListVolumesRequest{Parent: cloudOf(n)} })},
	{RPC: "ListSecurityGroups", Has: implements[driver.SecurityGroupLister], Probe: probe((*Server).ListSecurityGroups, func(n string) *pb.ListSecurityGroupsRequest { return &pb.ListSecurityGroupsRequest{Parent: cloudOf(n)} })},
}

// probe is a Probe that calls rpc with the request req makes for the
// instance named n.
func probe[Req, Resp any](rpc func(*Server, context.Context, Req) (Resp, error), req func(n string) Req) func(context.Context, *Server, string) error {
	return func(ctx context.Context, s *Server, n string) error {
		_, err := rpc(s, ctx, req(n))
		return err
	}
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
