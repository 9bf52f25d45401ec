package server

import (
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

var trailingVersion = regexp.MustCompile(`^(.*[a-z])(v[0-9]+)$`)

// DialectEnum is the API's Cloud.Dialect value of a dialect: the enum
// value named like the dialect in upper case, with "_" before a trailing
// version "vN" (a dialect "acmev2" is ACME_V2, "acme" is ACME).
// DIALECT_UNSPECIFIED for a dialect the API has no value for, such as the
// in-memory reference adapter's.
func DialectEnum(d driver.Dialect) pb.Cloud_Dialect {
	s := string(d)
	if m := trailingVersion.FindStringSubmatch(s); m != nil {
		s = m[1] + "_" + m[2]
	}
	return pb.Cloud_Dialect(pb.Cloud_Dialect_value[strings.ToUpper(s)])
}

// The proto State enum and driver.State share numbering; a test keeps the
// names in step.
func stateToProto(s driver.State) pb.Instance_State {
	if s < driver.StateUnspecified || s > driver.StateUnknown {
		return pb.Instance_UNKNOWN
	}
	return pb.Instance_State(s)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func instanceName(cloud, id string) string { return "clouds/" + cloud + "/instances/" + id }

func instanceToProto(cloud string, in *driver.Instance) *pb.Instance {
	out := &pb.Instance{
		Name:            instanceName(cloud, in.ID),
		DisplayName:     in.Name,
		State:           stateToProto(in.State),
		VendorStatus:    in.VendorStatus,
		VendorTaskState: in.TaskState,
		Flavor:          in.FlavorID,
		Image:           in.ImageID,
		Zone:            in.Zone,
		KeyPair:         in.KeyName,
		SecurityGroups:  in.SecurityGroups,
		Volumes:         in.VolumeIDs,
		Metadata:        driver.WithoutMarker(in.Metadata), // the request_id marker is the gateway's
		CreateTime:      ts(in.Created),
		UpdateTime:      ts(in.Updated),
		LaunchTime:      ts(in.Launched),
		AdminPassword:   in.AdminPass,
	}
	if in.BootVolumeSizeGB > 0 || in.BootVolumeType != "" {
		out.BootVolume = &pb.BootVolume{SizeGb: int32(in.BootVolumeSizeGB), Type: in.BootVolumeType}
	}
	for _, a := range in.Addresses {
		pa := &pb.Address{Network: a.Network, Address: a.IP, Version: int32(a.Version), MacAddress: a.MAC}
		switch a.Type {
		case driver.AddressFixed:
			pa.Type = pb.Address_FIXED
		case driver.AddressFloating:
			pa.Type = pb.Address_FLOATING
		}
		out.Addresses = append(out.Addresses, pa)
	}
	return out
}

func flavorToProto(cloud string, f *driver.Flavor) *pb.Flavor {
	return &pb.Flavor{
		Name:         "clouds/" + cloud + "/flavors/" + f.ID,
		DisplayName:  f.Name,
		Vcpus:        int32(f.VCPUs),
		RamMb:        int32(f.RAMMB),
		DiskGb:       int32(f.DiskGB),
		EphemeralGb:  int32(f.EphemeralGB),
		IsPublic:     f.IsPublic,
		Type:         f.Type,
		VolumeSizeGb: int32(f.VolumeSizeGB),
	}
}

func keyPairToProto(cloud string, k *driver.KeyPair) *pb.KeyPair {
	return &pb.KeyPair{
		Name:        "clouds/" + cloud + "/keyPairs/" + k.Name,
		PublicKey:   k.PublicKey,
		Fingerprint: keyFingerprint(k),
		PrivateKey:  k.PrivateKey,
		Zone:        k.Zone,
		Type:        k.Type,
	}
}

func attachmentToProto(cloud, instanceID string, a *driver.VolumeAttachment) *pb.VolumeAttachment {
	att := a.AttachmentID
	if att == a.VolumeID {
		att = ""
	}
	return &pb.VolumeAttachment{
		Name:         instanceName(cloud, instanceID) + "/volumeAttachments/" + a.VolumeID,
		VolumeId:     a.VolumeID,
		Device:       a.Device,
		AttachmentId: att,
	}
}

// keyFingerprint is the key's OpenSSH SHA-256 fingerprint ("SHA256:…", as
// `ssh-keygen -lf` prints it) computed from its public key, so that one key
// shows one fingerprint on every dialect (NHN reports SHA-256, Nova-style
// vendors the MD5 colon form). The vendor's own is kept only when the public
// key cannot be parsed.
func keyFingerprint(k *driver.KeyPair) string {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.PublicKey))
	if err != nil {
		return k.Fingerprint
	}
	return ssh.FingerprintSHA256(pub)
}
