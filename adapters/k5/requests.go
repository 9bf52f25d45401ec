package k5

// This file holds what K5 needs beyond gophercloud/v2's request builders.
// Each type says what differs and why; README.md summarises.

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

// blockDevice is one block_device_mapping_v2 entry as K5's guide (section
// 1.2.6.2) writes it: boot_index and volume_size are strings ("0", "20")
// and delete_on_termination is "True"/"False". gophercloud's
// servers.BlockDevice sends integers and a JSON boolean and omits
// device_name, which K5 requires in /dev/vdX form.
type blockDevice struct {
	DeviceName          string `json:"device_name"`
	SourceType          string `json:"source_type"`
	DestinationType     string `json:"destination_type"`
	VolumeSize          string `json:"volume_size,omitempty"`
	BootIndex           string `json:"boot_index"`
	UUID                string `json:"uuid"`
	DeleteOnTermination string `json:"delete_on_termination"`
}

// createOpts extends servers.CreateOpts for K5: K5 block device entries
// (above), and user data that is always base64-encoded from raw bytes
// (gophercloud sends UserData unchanged when it already happens to decode
// as base64, which corrupts raw scripts such as "echo" that are valid
// base64 text).
type createOpts struct {
	servers.CreateOpts
	UserData     []byte
	BlockDevices []blockDevice
}

// ToServerCreateMap implements servers.CreateOptsBuilder.
func (o createOpts) ToServerCreateMap() (map[string]any, error) {
	base := o.CreateOpts
	base.UserData, base.BlockDevice = nil, nil
	m, err := base.ToServerCreateMap()
	if err != nil {
		return nil, err
	}
	srv := m["server"].(map[string]any)
	if len(o.UserData) > 0 {
		srv["user_data"] = base64.StdEncoding.EncodeToString(o.UserData)
	}
	if len(o.BlockDevices) > 0 {
		srv["block_device_mapping_v2"] = o.BlockDevices
	}
	return m, nil
}

func bootDevice(imageID string, sizeGB int, deleteOnTermination bool) blockDevice {
	del := "False"
	if deleteOnTermination {
		del = "True"
	}
	return blockDevice{
		DeviceName:          "/dev/vda",
		SourceType:          "image",
		DestinationType:     "volume",
		VolumeSize:          strconv.Itoa(sizeGB),
		BootIndex:           "0",
		UUID:                imageID,
		DeleteOnTermination: del,
	}
}

// attachOpts is the attach-volume body exactly as K5's guide shows it
// (section 1.2.6.40): {"volumeAttachment": {"volumeId": ..., "device":
// null}}. gophercloud's volumeattach.CreateOpts omits "device" when empty.
type attachOpts struct {
	VolumeID string
}

// ToVolumeAttachmentCreateMap implements volumeattach.CreateOptsBuilder.
func (o attachOpts) ToVolumeAttachmentCreateMap() (map[string]any, error) {
	return map[string]any{"volumeAttachment": map[string]any{"volumeId": o.VolumeID, "device": nil}}, nil
}

// keyPairCreateOpts adds K5's optional availability_zone (section 1.8.6.2)
// to the create/import key pair body; gophercloud's keypairs.CreateOpts has
// no such field.
type keyPairCreateOpts struct {
	Name             string `json:"name" required:"true"`
	PublicKey        string `json:"public_key,omitempty"`
	AvailabilityZone string `json:"availability_zone,omitempty"`
}

// ToKeyPairCreateMap implements keypairs.CreateOptsBuilder.
func (o keyPairCreateOpts) ToKeyPairCreateMap() (map[string]any, error) {
	return gophercloud.BuildRequestBody(o, "keypair")
}

// k5KeyPair is a key pair with K5's availability_zone, which gophercloud's
// keypairs.KeyPair does not carry.
type k5KeyPair struct {
	Name             string `json:"name"`
	Fingerprint      string `json:"fingerprint"`
	PublicKey        string `json:"public_key"`
	PrivateKey       string `json:"private_key"`
	Type             string `json:"type"`
	AvailabilityZone string `json:"availability_zone"`
}

// k5Image is the part of K5's "Get image details" answer (section
// 1.2.6.12) the adapter uses. gophercloud/v2 no longer ships Nova's image
// proxy (compute/v2/images), so the adapter reads it directly.
type k5Image struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	MinDisk int    `json:"minDisk"`
	MinRAM  int    `json:"minRam"`
	Created string `json:"created"`
}

func getImage(ctx context.Context, sc *gophercloud.ServiceClient, id string) (*k5Image, error) {
	var body struct {
		Image *k5Image `json:"image"`
	}
	_, err := sc.Get(ctx, sc.ServiceURL("images", driver.PathSegment(id)), &body, &gophercloud.RequestOpts{OkCodes: []int{200, 203}})
	if err != nil {
		return nil, err
	}
	if body.Image == nil {
		return nil, errMalformed
	}
	return body.Image, nil
}
