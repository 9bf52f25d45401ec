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
	return unary(ctx, s, "ListVolumeAttachments", func(ctx context.Context, c *call) (*pb.ListVolumeAttachmentsResponse, error) {
		cl, va, ids, err := resolveOptional[driver.VolumeAttacher](c, "ListVolumeAttachments", "parent", req.GetParent(), "instances")
		if err != nil {
			return nil, err
		}
		page, next, err := listLocal(ctx, s, cl, req, "volumeAttachments", "",
			func(ctx context.Context) ([]driver.VolumeAttachment, error) {
				return va.ListVolumeAttachments(ctx, ids[0])
			}, nil)
		return &pb.ListVolumeAttachmentsResponse{NextPageToken: next, VolumeAttachments: protos(cl.name, page, func(cloud string, a *driver.VolumeAttachment) *pb.VolumeAttachment {
			return attachmentToProto(cloud, ids[0], a)
		})}, err
	})
}

// GetVolumeAttachment implements pb.ComputeServiceServer.
func (s *Server) GetVolumeAttachment(ctx context.Context, req *pb.GetVolumeAttachmentRequest) (*pb.VolumeAttachment, error) {
	return unary(ctx, s, "GetVolumeAttachment", func(ctx context.Context, c *call) (*pb.VolumeAttachment, error) {
		cl, va, ids, err := resolveOptional[driver.VolumeAttacher](c, "GetVolumeAttachment", "name", req.GetName(), "instances", "volumeAttachments")
		if err != nil {
			return nil, err
		}
		a, err := backend(ctx, cl, func(ctx context.Context) (*driver.VolumeAttachment, error) {
			return va.GetVolumeAttachment(ctx, ids[0], ids[1])
		})
		if err != nil {
			return nil, err
		}
		return attachmentToProto(cl.name, ids[0], a), nil
	})
}

// AttachVolume implements pb.ComputeServiceServer.
func (s *Server) AttachVolume(ctx context.Context, req *pb.AttachVolumeRequest) (*pb.VolumeAttachment, error) {
	return unary(ctx, s, "AttachVolume", func(ctx context.Context, c *call) (*pb.VolumeAttachment, error) {
		cl, va, ids, err := resolveOptional[driver.VolumeAttacher](c, "AttachVolume", "parent", req.GetParent(), "instances")
		if err != nil {
			return nil, err
		}
		if req.GetVolumeId() == "" {
			return nil, driver.InvalidArgument("volume_id", "required: the ID of the volume to attach")
		}
		if why := driver.CheckID(req.GetVolumeId()); why != "" {
			return nil, driver.InvalidArgument("volume_id", "the volume ID "+why)
		}
		a, err := backend(ctx, cl, func(ctx context.Context) (*driver.VolumeAttachment, error) {
			return va.AttachVolume(ctx, ids[0], req.GetVolumeId())
		})
		if err != nil {
			return nil, err
		}
		return attachmentToProto(cl.name, ids[0], a), nil
	})
}

// DetachVolume implements pb.ComputeServiceServer.
func (s *Server) DetachVolume(ctx context.Context, req *pb.DetachVolumeRequest) (*emptypb.Empty, error) {
	return s.empty(ctx, "DetachVolume", func(ctx context.Context, c *call) error {
		cl, va, ids, err := resolveOptional[driver.VolumeAttacher](c, "DetachVolume", "name", req.GetName(), "instances", "volumeAttachments")
		if err != nil {
			return err
		}
		return backendErr(ctx, cl, func(ctx context.Context) error { return va.DetachVolume(ctx, ids[0], ids[1]) })
	})
}

// ListFlavors implements pb.ComputeServiceServer.
func (s *Server) ListFlavors(ctx context.Context, req *pb.ListFlavorsRequest) (*pb.ListFlavorsResponse, error) {
	return unary(ctx, s, "ListFlavors", func(ctx context.Context, c *call) (*pb.ListFlavorsResponse, error) {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return nil, err
		}
		if req.GetMinDiskGb() < 0 {
			return nil, driver.InvalidArgument("min_disk_gb", "must not be negative")
		}
		if req.GetMinRamMb() < 0 {
			return nil, driver.InvalidArgument("min_ram_mb", "must not be negative")
		}
		f := driver.FlavorFilter{MinDiskGB: int(req.GetMinDiskGb()), MinRAMMB: int(req.GetMinRamMb())}
		fh := hashFilter(strconv.Itoa(int(req.GetMinDiskGb())), strconv.Itoa(int(req.GetMinRamMb())))
		// From the cloud's flavor cache (one shared backend read for
		// concurrent callers), filtered here.
		page, next, err := listLocal(ctx, s, cl, req, "flavors", fh,
			func(ctx context.Context) ([]driver.Flavor, error) { return s.flavorList(ctx, cl) },
			func(all []driver.Flavor) []driver.Flavor {
				if f.MinDiskGB <= 0 && f.MinRAMMB <= 0 {
					return all
				}
				var kept []driver.Flavor
				for _, fl := range all {
					if fl.DiskGB >= f.MinDiskGB && fl.RAMMB >= f.MinRAMMB {
						kept = append(kept, fl)
					}
				}
				return kept
			})
		return &pb.ListFlavorsResponse{Flavors: protos(cl.name, page, flavorToProto), NextPageToken: next}, err
	})
}

// GetFlavor implements pb.ComputeServiceServer.
func (s *Server) GetFlavor(ctx context.Context, req *pb.GetFlavorRequest) (*pb.Flavor, error) {
	return unary(ctx, s, "GetFlavor", func(ctx context.Context, c *call) (*pb.Flavor, error) {
		cl, ids, err := c.resolve("name", req.GetName(), "flavors")
		if err != nil {
			return nil, err
		}
		f, err := backend(ctx, cl, func(ctx context.Context) (driver.Flavor, error) { return s.flavorByID(ctx, cl, ids[0]) })
		if err != nil {
			return nil, err
		}
		return flavorToProto(cl.name, &f), nil
	})
}

// ListZones implements pb.ComputeServiceServer.
func (s *Server) ListZones(ctx context.Context, req *pb.ListZonesRequest) (*pb.ListZonesResponse, error) {
	return unary(ctx, s, "ListZones", func(ctx context.Context, c *call) (*pb.ListZonesResponse, error) {
		cl, _, err := c.resolve("parent", req.GetParent())
		if err != nil {
			return nil, err
		}
		page, next, err := listLocal(ctx, s, cl, req, "zones", "", cl.adapter.ListZones, nil)
		return &pb.ListZonesResponse{NextPageToken: next, Zones: protos(cl.name, page, func(cloud string, z *driver.Zone) *pb.Zone {
			return &pb.Zone{Name: "clouds/" + cloud + "/zones/" + z.Name, DisplayName: z.Name, Available: z.Available}
		})}, err
	})
}

// keyPairNamePattern: what Nova and TOAST accept for key names.
var keyPairNamePattern = regexp.MustCompile(`^[A-Za-z0-9_. -]{1,255}$`)

// ListKeyPairs implements pb.ComputeServiceServer.
func (s *Server) ListKeyPairs(ctx context.Context, req *pb.ListKeyPairsRequest) (*pb.ListKeyPairsResponse, error) {
	return listOptional(ctx, s, "ListKeyPairs", req, "keyPairs", driver.KeyPairManager.ListKeyPairs, nil, keyPairOut,
		func(page []*pb.KeyPair, next string) *pb.ListKeyPairsResponse {
			return &pb.ListKeyPairsResponse{KeyPairs: page, NextPageToken: next}
		})
}

// keyPairOut is a key pair as List and Get answer it: without its private
// key (only CreateKeyPair returns that, once).
func keyPairOut(cloud string, k *driver.KeyPair) *pb.KeyPair {
	k.PrivateKey = ""
	return keyPairToProto(cloud, k)
}

// GetKeyPair implements pb.ComputeServiceServer.
func (s *Server) GetKeyPair(ctx context.Context, req *pb.GetKeyPairRequest) (*pb.KeyPair, error) {
	return getOptional(ctx, s, "GetKeyPair", req.GetName(), "keyPairs", driver.KeyPairManager.GetKeyPair, keyPairOut)
}

// CreateKeyPair implements pb.ComputeServiceServer.
func (s *Server) CreateKeyPair(ctx context.Context, req *pb.CreateKeyPairRequest) (*pb.KeyPair, error) {
	return unary(ctx, s, "CreateKeyPair", func(ctx context.Context, c *call) (*pb.KeyPair, error) {
		cl, km, _, err := resolveOptional[driver.KeyPairManager](c, "CreateKeyPair", "parent", req.GetParent())
		if err != nil {
			return nil, err
		}
		if !keyPairNamePattern.MatchString(req.GetKeyPairId()) {
			return nil, driver.InvalidArgument("key_pair_id", "required: 1-255 letters, digits, spaces, '-', '_' or '.'")
		}
		pub := req.GetKeyPair().GetPublicKey()
		if pub != "" && !looksLikePublicKey(pub) {
			return nil, driver.InvalidArgument("key_pair.public_key", "not an OpenSSH public key (expected e.g. \"ssh-ed25519 AAAA...\")")
		}
		k, err := backend(context.WithoutCancel(ctx), cl, func(ctx context.Context) (*driver.KeyPair, error) {
			return km.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: req.GetKeyPairId(), PublicKey: pub, Zone: req.GetKeyPair().GetZone()})
		})
		if err != nil {
			return nil, err
		}
		return keyPairToProto(cl.name, k), nil
	})
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
	return deleteOptional(ctx, s, "DeleteKeyPair", req.GetName(), "keyPairs", driver.KeyPairManager.DeleteKeyPair)
}
