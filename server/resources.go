package server

import (
	"context"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// ListVolumeAttachments implements pb.ComputeServiceServer.
func (s *Server) ListVolumeAttachments(ctx context.Context, req *pb.ListVolumeAttachmentsRequest) (*pb.ListVolumeAttachmentsResponse, error) {
	var out *pb.ListVolumeAttachmentsResponse
	err := s.do(ctx, "ListVolumeAttachments", func(ctx context.Context, c *call) error {
		cl, id, err := c.instance("parent", req.GetParent())
		if err != nil {
			return err
		}
		va, err := optional[driver.VolumeAttacher](cl, "ListVolumeAttachments")
		if err != nil {
			return err
		}
		if _, err := pageSize(req.GetPageSize()); err != nil {
			return err
		}
		atts, err := backend(ctx, cl, func(ctx context.Context) ([]driver.VolumeAttachment, error) {
			return va.ListVolumeAttachments(ctx, id)
		})
		if err != nil {
			return err
		}
		page, next, err := pageLocal(s.tokens, atts, "volumeAttachments", req.GetParent(), "", req.GetPageToken(), req.GetPageSize())
		if err != nil {
			return err
		}
		out = &pb.ListVolumeAttachmentsResponse{NextPageToken: next}
		for i := range page {
			out.VolumeAttachments = append(out.VolumeAttachments, attachmentToProto(cl.name, id, &page[i]))
		}
		return nil
	})
	return out, err
}

// GetVolumeAttachment implements pb.ComputeServiceServer.
func (s *Server) GetVolumeAttachment(ctx context.Context, req *pb.GetVolumeAttachmentRequest) (*pb.VolumeAttachment, error) {
	var out *pb.VolumeAttachment
	err := s.do(ctx, "GetVolumeAttachment", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "instances", "volumeAttachments")
		if err != nil {
			return err
		}
		va, err := optional[driver.VolumeAttacher](cl, "GetVolumeAttachment")
		if err != nil {
			return err
		}
		a, err := backend(ctx, cl, func(ctx context.Context) (*driver.VolumeAttachment, error) {
			return va.GetVolumeAttachment(ctx, ids[0], ids[1])
		})
		if err != nil {
			return err
		}
		out = attachmentToProto(cl.name, ids[0], a)
		return nil
	})
	return out, err
}

// AttachVolume implements pb.ComputeServiceServer.
func (s *Server) AttachVolume(ctx context.Context, req *pb.AttachVolumeRequest) (*pb.VolumeAttachment, error) {
	var out *pb.VolumeAttachment
	err := s.do(ctx, "AttachVolume", func(ctx context.Context, c *call) error {
		cl, id, err := c.instance("parent", req.GetParent())
		if err != nil {
			return err
		}
		va, err := optional[driver.VolumeAttacher](cl, "AttachVolume")
		if err != nil {
			return err
		}
		if req.GetVolumeId() == "" {
			return driver.InvalidArgument("volume_id", "required: the ID of the volume to attach")
		}
		if why := driver.CheckID(req.GetVolumeId()); why != "" {
			return driver.InvalidArgument("volume_id", "the volume ID "+why)
		}
		a, err := backend(ctx, cl, func(ctx context.Context) (*driver.VolumeAttachment, error) {
			return va.AttachVolume(ctx, id, req.GetVolumeId())
		})
		if err != nil {
			return err
		}
		out = attachmentToProto(cl.name, id, a)
		return nil
	})
	return out, err
}

// DetachVolume implements pb.ComputeServiceServer.
func (s *Server) DetachVolume(ctx context.Context, req *pb.DetachVolumeRequest) (*emptypb.Empty, error) {
	err := s.do(ctx, "DetachVolume", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "instances", "volumeAttachments")
		if err != nil {
			return err
		}
		va, err := optional[driver.VolumeAttacher](cl, "DetachVolume")
		if err != nil {
			return err
		}
		return backendErr(ctx, cl, func(ctx context.Context) error { return va.DetachVolume(ctx, ids[0], ids[1]) })
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// ListFlavors implements pb.ComputeServiceServer.
func (s *Server) ListFlavors(ctx context.Context, req *pb.ListFlavorsRequest) (*pb.ListFlavorsResponse, error) {
	var out *pb.ListFlavorsResponse
	err := s.do(ctx, "ListFlavors", func(ctx context.Context, c *call) error {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return err
		}
		if req.GetMinDiskGb() < 0 {
			return driver.InvalidArgument("min_disk_gb", "must not be negative")
		}
		if req.GetMinRamMb() < 0 {
			return driver.InvalidArgument("min_ram_mb", "must not be negative")
		}
		if _, err := pageSize(req.GetPageSize()); err != nil {
			return err
		}
		f := driver.FlavorFilter{MinDiskGB: int(req.GetMinDiskGb()), MinRAMMB: int(req.GetMinRamMb())}
		// From the cloud's flavor cache (one shared backend read for
		// concurrent callers), filtered here.
		all, err := backend(ctx, cl, func(ctx context.Context) ([]driver.Flavor, error) { return s.flavorList(ctx, cl) })
		if err != nil {
			return err
		}
		kept := all
		if f.MinDiskGB > 0 || f.MinRAMMB > 0 {
			kept = nil
			for _, fl := range all {
				if fl.DiskGB >= f.MinDiskGB && fl.RAMMB >= f.MinRAMMB {
					kept = append(kept, fl)
				}
			}
		}
		fh := hashFilter(strconv.Itoa(int(req.GetMinDiskGb())), strconv.Itoa(int(req.GetMinRamMb())))
		page, next, err := pageLocal(s.tokens, kept, "flavors", req.GetParent(), fh, req.GetPageToken(), req.GetPageSize())
		if err != nil {
			return err
		}
		out = &pb.ListFlavorsResponse{NextPageToken: next}
		for i := range page {
			out.Flavors = append(out.Flavors, flavorToProto(cl.name, &page[i]))
		}
		return nil
	})
	return out, err
}

// GetFlavor implements pb.ComputeServiceServer.
func (s *Server) GetFlavor(ctx context.Context, req *pb.GetFlavorRequest) (*pb.Flavor, error) {
	var out *pb.Flavor
	err := s.do(ctx, "GetFlavor", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "flavors")
		if err != nil {
			return err
		}
		f, err := backend(ctx, cl, func(ctx context.Context) (driver.Flavor, error) { return s.flavorByID(ctx, cl, ids[0]) })
		if err != nil {
			return err
		}
		out = flavorToProto(cl.name, &f)
		return nil
	})
	return out, err
}

// ListZones implements pb.ComputeServiceServer.
func (s *Server) ListZones(ctx context.Context, req *pb.ListZonesRequest) (*pb.ListZonesResponse, error) {
	var out *pb.ListZonesResponse
	err := s.do(ctx, "ListZones", func(ctx context.Context, c *call) error {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return err
		}
		if _, err := pageSize(req.GetPageSize()); err != nil {
			return err
		}
		zones, err := backend(ctx, cl, func(ctx context.Context) ([]driver.Zone, error) { return cl.adapter.ListZones(ctx) })
		if err != nil {
			return err
		}
		page, next, err := pageLocal(s.tokens, zones, "zones", req.GetParent(), "", req.GetPageToken(), req.GetPageSize())
		if err != nil {
			return err
		}
		out = &pb.ListZonesResponse{NextPageToken: next}
		for _, z := range page {
			out.Zones = append(out.Zones, &pb.Zone{Name: "clouds/" + cl.name + "/zones/" + z.Name, DisplayName: z.Name, Available: z.Available})
		}
		return nil
	})
	return out, err
}

// keyPairNamePattern: what Nova and TOAST accept for key names.
var keyPairNamePattern = regexp.MustCompile(`^[A-Za-z0-9_. -]{1,255}$`)

// ListKeyPairs implements pb.ComputeServiceServer.
func (s *Server) ListKeyPairs(ctx context.Context, req *pb.ListKeyPairsRequest) (*pb.ListKeyPairsResponse, error) {
	var out *pb.ListKeyPairsResponse
	err := s.do(ctx, "ListKeyPairs", func(ctx context.Context, c *call) error {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return err
		}
		km, err := optional[driver.KeyPairManager](cl, "ListKeyPairs")
		if err != nil {
			return err
		}
		if _, err := pageSize(req.GetPageSize()); err != nil {
			return err
		}
		keys, err := backend(ctx, cl, func(ctx context.Context) ([]driver.KeyPair, error) { return km.ListKeyPairs(ctx) })
		if err != nil {
			return err
		}
		page, next, err := pageLocal(s.tokens, keys, "keyPairs", req.GetParent(), "", req.GetPageToken(), req.GetPageSize())
		if err != nil {
			return err
		}
		out = &pb.ListKeyPairsResponse{NextPageToken: next}
		for i := range page {
			page[i].PrivateKey = ""
			out.KeyPairs = append(out.KeyPairs, keyPairToProto(cl.name, &page[i]))
		}
		return nil
	})
	return out, err
}

// GetKeyPair implements pb.ComputeServiceServer.
func (s *Server) GetKeyPair(ctx context.Context, req *pb.GetKeyPairRequest) (*pb.KeyPair, error) {
	var out *pb.KeyPair
	err := s.do(ctx, "GetKeyPair", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "keyPairs")
		if err != nil {
			return err
		}
		km, err := optional[driver.KeyPairManager](cl, "GetKeyPair")
		if err != nil {
			return err
		}
		k, err := backend(ctx, cl, func(ctx context.Context) (*driver.KeyPair, error) { return km.GetKeyPair(ctx, ids[0]) })
		if err != nil {
			return err
		}
		k.PrivateKey = ""
		out = keyPairToProto(cl.name, k)
		return nil
	})
	return out, err
}

// CreateKeyPair implements pb.ComputeServiceServer.
func (s *Server) CreateKeyPair(ctx context.Context, req *pb.CreateKeyPairRequest) (*pb.KeyPair, error) {
	var out *pb.KeyPair
	err := s.do(ctx, "CreateKeyPair", func(ctx context.Context, c *call) error {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return err
		}
		km, err := optional[driver.KeyPairManager](cl, "CreateKeyPair")
		if err != nil {
			return err
		}
		if !keyPairNamePattern.MatchString(req.GetKeyPairId()) {
			return driver.InvalidArgument("key_pair_id", "required: 1-255 letters, digits, spaces, '-', '_' or '.'")
		}
		pub := req.GetKeyPair().GetPublicKey()
		if pub != "" && !looksLikePublicKey(pub) {
			return driver.InvalidArgument("key_pair.public_key", "not an OpenSSH public key (expected e.g. \"ssh-ed25519 AAAA...\")")
		}
		k, err := backend(context.WithoutCancel(ctx), cl, func(ctx context.Context) (*driver.KeyPair, error) {
			return km.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: req.GetKeyPairId(), PublicKey: pub, Zone: req.GetKeyPair().GetZone()})
		})
		if err != nil {
			return err
		}
		out = keyPairToProto(cl.name, k)
		return nil
	})
	return out, err
}

func looksLikePublicKey(s string) bool {
	for _, p := range []string{"ssh-rsa ", "ssh-ed25519 ", "ssh-dss ", "ecdsa-sha2-", "sk-ssh-ed25519", "sk-ecdsa-sha2-"} {
		if len(s) > len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// DeleteKeyPair implements pb.ComputeServiceServer.
func (s *Server) DeleteKeyPair(ctx context.Context, req *pb.DeleteKeyPairRequest) (*emptypb.Empty, error) {
	err := s.do(ctx, "DeleteKeyPair", func(ctx context.Context, c *call) error {
		cl, ids, err := c.resolve("name", req.GetName(), "keyPairs")
		if err != nil {
			return err
		}
		km, err := optional[driver.KeyPairManager](cl, "DeleteKeyPair")
		if err != nil {
			return err
		}
		return backendErr(ctx, cl, func(ctx context.Context) error { return km.DeleteKeyPair(ctx, ids[0]) })
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
