package nhnv2

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/sshkey"
)

// listFlavors is GET /flavors/detail?minDisk=&minRam= (all pages, following
// flavors_links "next"), each page decoded once into flavors.Flavor
// (flavors.ExtractFlavors would go through a map round trip).
func (a *Adapter) listFlavors(ctx context.Context, filter driver.FlavorFilter) ([]flavors.Flavor, error) {
	query, err := flavors.ListOpts{MinDisk: filter.MinDiskGB, MinRAM: filter.MinRAMMB}.ToFlavorListQuery()
	if err != nil {
		return nil, &driver.Error{Code: driver.CodeInternal, Message: "nhnv2: building the flavor query", Err: err}
	}
	var out []flavors.Flavor
	err = a.call(ctx, "list flavors", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		out, err = nova.FollowLinks[flavors.Flavor, flavorPage](ctx, sc, sc.ServiceURL("flavors", "detail")+query, []int{http.StatusOK})
		return err
	})
	return out, err
}

// flavorPage is one page of GET /flavors/detail.
type flavorPage struct {
	Flavors []flavors.Flavor   `json:"flavors"`
	Links   []gophercloud.Link `json:"flavors_links"`
}

// Entries implements nova.LinkedPage.
func (p *flavorPage) Entries() ([]flavors.Flavor, []gophercloud.Link) { return p.Flavors, p.Links }

func toFlavor(f *flavors.Flavor) driver.Flavor {
	return driver.Flavor{
		ID:          f.ID,
		Name:        f.Name,
		VCPUs:       f.VCPUs,
		RAMMB:       f.RAM,
		DiskGB:      f.Disk,
		EphemeralGB: f.Ephemeral,
		IsPublic:    f.IsPublic,
		Type:        f.ExtraSpecs["flavor_type"],
	}
}

// ListFlavors is GET /flavors/detail with minDisk/minRam pushed down.
func (a *Adapter) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	list, err := a.listFlavors(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := make([]driver.Flavor, 0, len(list))
	for i := range list {
		out = append(out, toFlavor(&list[i]))
	}
	return out, nil
}

// GetFlavor finds one flavor in GET /flavors/detail.
func (a *Adapter) GetFlavor(ctx context.Context, id string) (*driver.Flavor, error) {
	f, err := a.findFlavor(ctx, id)
	if err != nil {
		return nil, err
	}
	out := toFlavor(f)
	return &out, nil
}

// ListZones is GET /os-availability-zone.
func (a *Adapter) ListZones(ctx context.Context) ([]driver.Zone, error) {
	var out []driver.Zone
	err := a.call(ctx, "list availability zones", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		out, err = nova.ListZones(ctx, sc)
		return err
	})
	return out, err
}

// keypairBody is a key pair as Show Key Pair returns it: gophercloud's
// keypairs.KeyPair plus created_at.
type keypairBody struct {
	keypairs.KeyPair
	CreatedAt string `json:"created_at"`
}

func toKeyPair(k *keypairs.KeyPair, created string) driver.KeyPair {
	kp := driver.KeyPair{Name: k.Name, PublicKey: k.PublicKey, Fingerprint: k.Fingerprint, Type: k.Type, PrivateKey: k.PrivateKey}
	if kp.Type == "" && (strings.HasPrefix(k.PublicKey, "ssh-") || strings.HasPrefix(k.PublicKey, "ecdsa-")) {
		kp.Type = "ssh"
	}
	if t, ok := parseTime(created); ok {
		kp.Created = t
	}
	return kp
}

// ListKeyPairs is GET /os-keypairs.
func (a *Adapter) ListKeyPairs(ctx context.Context) ([]driver.KeyPair, error) {
	var out []driver.KeyPair
	err := a.call(ctx, "list key pairs", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		// One typed decode (keypairs.ExtractKeyPairs goes through a map).
		var body struct {
			Keypairs []struct {
				Keypair keypairs.KeyPair `json:"keypair"`
			} `json:"keypairs"`
		}
		if _, err := sc.Get(ctx, sc.ServiceURL("os-keypairs"), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}}); err != nil {
			return err
		}
		out = make([]driver.KeyPair, 0, len(body.Keypairs))
		for i := range body.Keypairs {
			out = append(out, toKeyPair(&body.Keypairs[i].Keypair, ""))
		}
		return nil
	})
	return out, err
}

// GetKeyPair is GET /os-keypairs/{name}.
func (a *Adapter) GetKeyPair(ctx context.Context, name string) (*driver.KeyPair, error) {
	if name == "" {
		return nil, driver.Errorf(driver.CodeNotFound, "key pair name is empty")
	}
	var body struct {
		Keypair *keypairBody `json:"keypair"`
	}
	err := a.call(ctx, "get key pair "+name, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		_, err := sc.Get(ctx, sc.ServiceURL("os-keypairs", esc(name)), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if body.Keypair == nil {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "NHN Cloud get key pair " + name + ": answer has no keypair"}
	}
	kp := toKeyPair(&body.Keypair.KeyPair, body.Keypair.CreatedAt)
	kp.PrivateKey = ""
	return &kp, nil
}

// CreateKeyPair is POST /os-keypairs: with public_key it imports, without it
// NHN generates the key and returns private_key once. A name clash (409) is
// CodeAlreadyExists.
func (a *Adapter) CreateKeyPair(ctx context.Context, req driver.CreateKeyPairRequest) (*driver.KeyPair, error) {
	if strings.TrimSpace(req.Name) == "" {
		return nil, driver.InvalidArgument("key_pair_id", "is required")
	}
	if len(req.Name) > 255 {
		return nil, driver.InvalidArgument("key_pair_id", "must be at most 255 characters")
	}
	var kp *keypairs.KeyPair
	err := a.call(ctx, "create key pair "+req.Name, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		kp, err = keypairs.Create(ctx, sc, keypairs.CreateOpts{Name: req.Name, PublicKey: req.PublicKey}).Extract()
		return err
	})
	var de *driver.Error
	if errors.As(err, &de) && de.VendorHTTPStatus == http.StatusConflict {
		de.Code = driver.CodeAlreadyExists
		return nil, de
	}
	if err != nil {
		return nil, err
	}
	if kp == nil {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "NHN Cloud create key pair " + req.Name + ": answer has no keypair"}
	}
	out := toKeyPair(kp, "")
	out.Created = a.cfg.Now().UTC().Truncate(time.Second)
	sshkey.Convert(ctx, a.log, &out) // NHN answers PKCS#8 PEM
	return &out, nil
}

// DeleteKeyPair is DELETE /os-keypairs/{name}.
func (a *Adapter) DeleteKeyPair(ctx context.Context, name string) error {
	if name == "" {
		return driver.Errorf(driver.CodeNotFound, "key pair name is empty")
	}
	return a.call(ctx, "delete key pair "+name, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return keypairs.Delete(ctx, sc, esc(name), nil).ExtractErr()
	})
}

func toAttachment(v *volumeattach.VolumeAttachment, instanceID string) driver.VolumeAttachment {
	out := driver.VolumeAttachment{VolumeID: v.VolumeID, InstanceID: v.ServerID, Device: v.Device}
	if out.InstanceID == "" {
		out.InstanceID = instanceID
	}
	if v.ID != "" && v.ID != v.VolumeID {
		out.AttachmentID = v.ID
	}
	return out
}

// ListVolumeAttachments is GET /servers/{id}/os-volume_attachments.
func (a *Adapter) ListVolumeAttachments(ctx context.Context, instanceID string) ([]driver.VolumeAttachment, error) {
	var out []driver.VolumeAttachment
	err := a.call(ctx, "list volume attachments of instance "+instanceID, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var body struct {
			VolumeAttachments []volumeattach.VolumeAttachment `json:"volumeAttachments"`
		}
		if _, err := sc.Get(ctx, sc.ServiceURL("servers", esc(instanceID), "os-volume_attachments"), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}}); err != nil {
			return err
		}
		out = make([]driver.VolumeAttachment, 0, len(body.VolumeAttachments))
		for i := range body.VolumeAttachments {
			out = append(out, toAttachment(&body.VolumeAttachments[i], instanceID))
		}
		return nil
	})
	return out, err
}

// GetVolumeAttachment is GET /servers/{id}/os-volume_attachments/{volumeId}.
func (a *Adapter) GetVolumeAttachment(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	var body struct {
		VolumeAttachment *volumeattach.VolumeAttachment `json:"volumeAttachment"`
	}
	err := a.call(ctx, "get volume "+volumeID+" of instance "+instanceID, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		_, err := sc.Get(ctx, sc.ServiceURL("servers", esc(instanceID), "os-volume_attachments", esc(volumeID)), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
		return err
	})
	va := body.VolumeAttachment
	if err != nil {
		return nil, err
	}
	if va == nil {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "NHN Cloud get volume attachment: answer has no volumeAttachment"}
	}
	out := toAttachment(va, instanceID)
	return &out, nil
}

// AttachVolume is POST /servers/{id}/os-volume_attachments
// {"volumeAttachment": {"volumeId": …}}.
func (a *Adapter) AttachVolume(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	if volumeID == "" {
		return nil, driver.InvalidArgument("volume_id", "is required")
	}
	var va *volumeattach.VolumeAttachment
	err := a.call(ctx, "attach volume "+volumeID+" to instance "+instanceID, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		va, err = volumeattach.Create(ctx, sc, esc(instanceID), volumeattach.CreateOpts{VolumeID: volumeID}).Extract()
		return err
	})
	if err != nil {
		return nil, volumeStateError(err)
	}
	if va == nil {
		return nil, &driver.Error{Code: driver.CodeUnavailable, Message: "NHN Cloud attach volume: answer has no volumeAttachment"}
	}
	out := toAttachment(va, instanceID)
	return &out, nil
}

// volumeStateError reclassifies Nova's answer to attaching a volume that is
// not available: 400 "Invalid volume: volume … status must be 'available'"
// (InvalidVolume) is about the volume's state, which the driver contract
// reports as CodeFailedPrecondition, like the 409 NHN gives for an instance
// in the wrong state. Other 400s stay INVALID_ARGUMENT.
func volumeStateError(err error) error {
	var de *driver.Error
	if errors.As(err, &de) && de.VendorHTTPStatus == http.StatusBadRequest &&
		strings.HasPrefix(strings.ToLower(de.VendorMessage), "invalid volume") {
		de.Code = driver.CodeFailedPrecondition
	}
	return err
}

// DetachVolume is DELETE /servers/{id}/os-volume_attachments/{volumeId}.
func (a *Adapter) DetachVolume(ctx context.Context, instanceID, volumeID string) error {
	return a.call(ctx, "detach volume "+volumeID+" from instance "+instanceID, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return volumeattach.Delete(ctx, sc, esc(instanceID), esc(volumeID)).ExtractErr()
	})
}
