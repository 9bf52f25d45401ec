package nhnv2

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

// Limits from the guide's Create Instance section.
const (
	maxNameLen        = 255   // server.name
	maxUserDataBytes  = 65535 // server.user_data, base64-encoded
	maxMetadataLen    = 255   // server.metadata keys and values
	maxCreateCount    = 10    // server.max_count
	minRootVolumeGB   = 10    // "10GB for Linux and 50GB for Windows"
	defaultRootVolume = 50    // satisfies both minimums when the caller gives no size
)

// network is one entry of server.networks: exactly one of UUID (network),
// Subnet or Port, with an optional FixedIP. gophercloud's servers.Network
// has no "subnet", which NHN adds.
type network struct {
	UUID    string
	Subnet  string
	Port    string
	FixedIP string
}

// nhnEncryption is NHN's block storage encryption (newer revision).
type nhnEncryption struct {
	SKMAppKey string `json:"skm_appkey,omitempty"`
	SKMKeyID  string `json:"skm_key_id,omitempty"`
}

// blockDevice is one block_device_mapping_v2 entry: gophercloud's
// servers.BlockDevice (source_type, uuid, boot_index, destination_type,
// volume_size, volume_type, delete_on_termination) plus NHN's
// nhn_encryption.
type blockDevice struct {
	servers.BlockDevice
	NHNEncryption *nhnEncryption `json:"nhn_encryption,omitempty"`
}

// serverCreateOpts is the full NHN create request. It implements
// servers.CreateOptsBuilder, building on servers.CreateOpts for the fields
// gophercloud knows and adding NHN's (subnet networks, key_name,
// nhn_encryption, return_reservation_id) and a user_data encoding that
// always base64-encodes the raw bytes (gophercloud passes bytes through
// unchanged when they happen to be valid base64 already).
type serverCreateOpts struct {
	Name                string
	ImageRef            string
	FlavorRef           string
	AvailabilityZone    string
	KeyName             string
	Networks            []network
	SecurityGroups      []string
	UserData            []byte // raw; encoded here
	Metadata            map[string]string
	BlockDevices        []blockDevice
	MinCount, MaxCount  int // 0: the vendor default (1)
	ReturnReservationID bool
}

// validate checks what the guide constrains, before any backend call, and
// names the portable field of each violation.
func (o *serverCreateOpts) validate() error {
	// The request-level fields are checked together, so that a caller
	// learns every missing one at once.
	// Display name, flavor and image in the portable layer's wording.
	v := driver.CheckCreateRequest(&driver.CreateInstanceRequest{Name: o.Name, FlavorID: o.FlavorRef, ImageID: o.ImageRef})
	if utf8.RuneCountInString(o.Name) > maxNameLen {
		v.Add("instance.display_name", fmt.Sprintf("must be at most %d characters (NHN Cloud limit)", maxNameLen))
	}
	if o.KeyName == "" {
		v.Add("instance.key_pair", "is required by NHN Cloud (server.key_name)")
	}
	if len(o.Networks) == 0 {
		v.Add("instance.networks", "at least one network, subnet or port is required by NHN Cloud")
	}
	for i, n := range o.Networks {
		field := fmt.Sprintf("instance.networks[%d]", i)
		set := 0
		for _, id := range []string{n.UUID, n.Subnet, n.Port} {
			if id != "" {
				set++
			}
		}
		if set != 1 {
			v.Add(field, "set exactly one of network, subnet or port")
		}
		if n.FixedIP != "" {
			if _, err := netip.ParseAddr(n.FixedIP); err != nil {
				v.Add(field+".fixed_ip", "is not an IP address")
			}
		}
	}
	for i, g := range o.SecurityGroups {
		if strings.TrimSpace(g) == "" {
			v.Add(fmt.Sprintf("instance.security_groups[%d]", i), "must not be empty")
		}
	}
	if n := base64.StdEncoding.EncodedLen(len(o.UserData)); n > maxUserDataBytes {
		v.Add("instance.user_data", fmt.Sprintf("is %d bytes once base64-encoded; NHN Cloud allows at most %d", n, maxUserDataBytes))
	}
	for k, val := range o.Metadata {
		if k == "" || utf8.RuneCountInString(k) > maxMetadataLen {
			v.Add("instance.metadata", fmt.Sprintf("keys must be 1 to %d characters", maxMetadataLen))
		}
		if utf8.RuneCountInString(val) > maxMetadataLen {
			v.Add("instance.metadata", fmt.Sprintf("value of %q is longer than %d characters", k, maxMetadataLen))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	for i, bd := range o.BlockDevices {
		field := fmt.Sprintf("instance.block_devices[%d]", i)
		if i == 0 {
			field = "instance.boot_volume"
		}
		switch bd.SourceType {
		case servers.SourceImage, servers.SourceVolume, servers.SourceSnapshot, servers.SourceBlank:
		default:
			return driver.InvalidArgument(field+".source_type", "must be image, volume, snapshot or blank")
		}
		// destination_type is required (newer revision): local for U2 and
		// GPU flavors, volume otherwise; volume and snapshot sources are
		// attached as volumes (older revision).
		switch bd.DestinationType {
		case servers.DestinationVolume:
		case servers.DestinationLocal:
			if bd.SourceType == servers.SourceVolume || bd.SourceType == servers.SourceSnapshot {
				return driver.InvalidArgument(field+".destination_type", "must be volume for source_type "+string(bd.SourceType))
			}
		default:
			return driver.InvalidArgument(field+".destination_type", "must be volume or local")
		}
		if bd.SourceType != servers.SourceBlank && bd.UUID == "" {
			return driver.InvalidArgument(field+".uuid", "is required for source_type "+string(bd.SourceType))
		}
		if bd.VolumeSize < 0 {
			return driver.InvalidArgument(field+".size_gb", "must not be negative")
		}
		needsSize := bd.DestinationType == servers.DestinationVolume &&
			(bd.SourceType == servers.SourceImage || bd.SourceType == servers.SourceBlank)
		if needsSize && bd.VolumeSize == 0 {
			return driver.InvalidArgument(field+".size_gb", "is required for a new volume")
		}
		if bd.BootIndex == 0 && bd.DestinationType == servers.DestinationVolume && bd.VolumeSize > 0 && bd.VolumeSize < minRootVolumeGB {
			return driver.InvalidArgument(field+".size_gb", fmt.Sprintf("root block storage must be at least %d GB", minRootVolumeGB))
		}
	}
	if o.MinCount < 0 || o.MinCount > maxCreateCount {
		return driver.InvalidArgument("instance.min_count", fmt.Sprintf("must be between 1 and %d", maxCreateCount))
	}
	if o.MaxCount < 0 || o.MaxCount > maxCreateCount {
		return driver.InvalidArgument("instance.max_count", fmt.Sprintf("must be between 1 and %d", maxCreateCount))
	}
	if o.MaxCount != 0 && o.MaxCount < max(o.MinCount, 1) {
		return driver.InvalidArgument("instance.max_count", "must not be less than min_count")
	}
	return nil
}

// ToServerCreateMap implements servers.CreateOptsBuilder.
func (o serverCreateOpts) ToServerCreateMap() (map[string]any, error) {
	base := servers.CreateOpts{
		Name:             o.Name,
		ImageRef:         o.ImageRef,
		FlavorRef:        o.FlavorRef,
		AvailabilityZone: o.AvailabilityZone,
		SecurityGroups:   o.SecurityGroups,
		Metadata:         o.Metadata,
		Min:              o.MinCount,
		Max:              o.MaxCount,
	}
	m, err := base.ToServerCreateMap()
	if err != nil {
		return nil, err
	}
	s := m["server"].(map[string]any)
	s["key_name"] = o.KeyName
	nets := make([]map[string]any, 0, len(o.Networks))
	for _, n := range o.Networks {
		e := map[string]any{}
		for k, v := range map[string]string{"uuid": n.UUID, "subnet": n.Subnet, "port": n.Port, "fixed_ip": n.FixedIP} {
			if v != "" {
				e[k] = v
			}
		}
		nets = append(nets, e)
	}
	s["networks"] = nets
	if len(o.UserData) > 0 {
		s["user_data"] = base64.StdEncoding.EncodeToString(o.UserData)
	}
	if len(o.BlockDevices) > 0 {
		s["block_device_mapping_v2"] = o.BlockDevices
	}
	if o.ReturnReservationID {
		s["return_reservation_id"] = true
	}
	return m, nil
}

// isU2 reports whether a flavor is of NHN's U2 family (local disks, no
// block_device_mapping_v2 needed). NHN flavor names are "family.cXmY".
func isU2(flavorName string) bool {
	return strings.HasPrefix(strings.ToLower(flavorName), "u2.")
}

// createOptsFor maps the portable create request to NHN's. u2 says whether
// the flavor is a U2 flavor, flavorDiskGB is the flavor's root disk size.
//
// Boot volume: NHN requires block_device_mapping_v2 for every flavor but
// U2. When the request has a BootVolume, it becomes an image-sourced root
// volume (source_type image, destination_type volume, boot_index 0). When it
// has none, the adapter builds the same with the guide's defaults: the
// flavor's disk size or 50 GB (the guide's Windows minimum, above the 10 GB
// Linux minimum), the vendor's default volume type, deleted with the
// instance. U2 flavors get no mapping: their root disk is local and sized by
// the flavor (the guide says volume_size is ignored).
func createOptsFor(req *driver.CreateInstanceRequest, u2 bool, flavorDiskGB int) serverCreateOpts {
	o := serverCreateOpts{
		Name:             req.Name,
		ImageRef:         req.ImageID,
		FlavorRef:        req.FlavorID,
		AvailabilityZone: req.Zone,
		KeyName:          req.KeyName,
		SecurityGroups:   req.SecurityGroups,
		UserData:         req.UserData,
		Metadata:         req.Metadata,
	}
	for _, n := range req.Networks {
		o.Networks = append(o.Networks, network{UUID: n.NetworkID, Subnet: n.SubnetID, Port: n.PortID, FixedIP: n.FixedIP})
	}
	if u2 {
		return o
	}
	root := blockDevice{BlockDevice: servers.BlockDevice{
		SourceType:      servers.SourceImage,
		UUID:            req.ImageID,
		BootIndex:       0,
		DestinationType: servers.DestinationVolume,
	}}
	if bv := req.BootVolume; bv != nil {
		root.VolumeSize = bv.SizeGB
		root.VolumeType = bv.Type
		root.DeleteOnTermination = bv.DeleteOnTermination
	} else {
		root.DeleteOnTermination = true
	}
	if root.VolumeSize == 0 {
		root.VolumeSize = defaultRootVolume
		if flavorDiskGB >= minRootVolumeGB {
			root.VolumeSize = flavorDiskGB
		}
	}
	o.BlockDevices = []blockDevice{root}
	return o
}

// validateCreate checks the portable request before any backend call.
func validateCreate(req *driver.CreateInstanceRequest) error {
	if req == nil {
		return driver.InvalidArgument("instance", "is required")
	}
	if bv := req.BootVolume; bv != nil {
		if bv.SizeGB < 0 {
			return driver.InvalidArgument("instance.boot_volume.size_gb", "must not be negative")
		}
		if bv.SizeGB > 0 && bv.SizeGB < minRootVolumeGB {
			return driver.InvalidArgument("instance.boot_volume.size_gb",
				fmt.Sprintf("NHN Cloud root block storage must be at least %d GB (50 GB for Windows images)", minRootVolumeGB))
		}
	}
	// The flavor decides the block device mapping, but nothing else the
	// guide checks depends on it: validate the rest now.
	o := createOptsFor(req, true, 0)
	return o.validate()
}
