package k5

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/availabilityzones"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/computegw/computegw/driver"
)

// ---- flavors ---------------------------------------------------------------

func toFlavor(f *flavors.Flavor) driver.Flavor {
	return driver.Flavor{ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, RAMMB: f.RAM, DiskGB: f.Disk, EphemeralGB: f.Ephemeral, IsPublic: f.IsPublic}
}

// ListFlavors is GET /flavors (K5 documents no minDisk/minRam query, so the
// filter is applied here).
func (a *Adapter) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	var list []flavors.Flavor
	err := a.call(ctx, "ListFlavors", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		page, err := listFlavors(sc).AllPages(ctx)
		if err != nil {
			return err
		}
		list, err = flavors.ExtractFlavors(page)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]driver.Flavor, 0, len(list))
	for i := range list {
		f := toFlavor(&list[i])
		if f.DiskGB < filter.MinDiskGB || f.RAMMB < filter.MinRAMMB {
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// GetFlavor is GET /flavors/{id}.
func (a *Adapter) GetFlavor(ctx context.Context, id string) (*driver.Flavor, error) {
	var f *flavors.Flavor
	err := a.call(ctx, "GetFlavor", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		f, err = flavors.Get(ctx, sc, driver.PathSegment(id)).Extract()
		if err == nil && f == nil {
			err = errMalformed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toFlavor(f)
	return &out, nil
}

// ---- zones -----------------------------------------------------------------

// ListZones tries Nova's GET /os-availability-zone, which K5's guide does
// not document; when K5 answers 404 it returns the cloud's configured zones.
func (a *Adapter) ListZones(ctx context.Context) ([]driver.Zone, error) {
	var list []availabilityzones.AvailabilityZone
	notListed := false
	err := a.call(ctx, "ListZones", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		page, err := availabilityzones.List(sc).AllPages(ctx)
		if gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			// Compute's own 404 (not the login's): no zone listing here.
			notListed = true
			return nil
		}
		if err != nil {
			return err
		}
		list, err = availabilityzones.ExtractAvailabilityZones(page)
		return err
	})
	if err == nil && notListed {
		if len(a.cfg.Zones) == 0 {
			return nil, &driver.Error{
				Code: driver.CodeFailedPrecondition,
				Message: fmt.Sprintf("%s: K5 does not list availability zones (404 on os-availability-zone) and the cloud "+
					"has no configured zones; add zones to the cloud's config", a.what("ListZones")),
				VendorHTTPStatus: http.StatusNotFound,
			}
		}
		a.log.DebugContext(ctx, "k5: zone listing not available; answering the configured zones")
		out := make([]driver.Zone, 0, len(a.cfg.Zones))
		for _, z := range a.cfg.Zones {
			out = append(out, driver.Zone{Name: z, Available: true})
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]driver.Zone, 0, len(list))
	for _, z := range list {
		out = append(out, driver.Zone{Name: z.ZoneName, Available: z.ZoneState.Available})
	}
	return out, nil
}

// ---- key pairs -------------------------------------------------------------

func toKeyPair(k *k5KeyPair) driver.KeyPair {
	return driver.KeyPair{Name: k.Name, PublicKey: k.PublicKey, Fingerprint: k.Fingerprint, Type: k.Type, Zone: k.AvailabilityZone, PrivateKey: k.PrivateKey}
}

// ListKeyPairs is GET /os-keypairs. K5 may return part of a list during
// maintenance (guide 1.8.5); the list entries carry no zone in the guide,
// so the only recognisable sign is a list where some entries carry an
// availability_zone and others do not, which is reported as UNAVAILABLE.
func (a *Adapter) ListKeyPairs(ctx context.Context) ([]driver.KeyPair, error) {
	var body struct {
		Keypairs []struct {
			Keypair k5KeyPair `json:"keypair"`
		} `json:"keypairs"`
	}
	err := a.call(ctx, "ListKeyPairs", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		page, err := keypairs.List(sc, nil).AllPages(ctx)
		if err != nil {
			return err
		}
		return page.(keypairs.KeyPairPage).ExtractInto(&body)
	})
	if err != nil {
		return nil, err
	}
	out := make([]driver.KeyPair, 0, len(body.Keypairs))
	withZone := 0
	for i := range body.Keypairs {
		k := toKeyPair(&body.Keypairs[i].Keypair)
		k.PrivateKey = ""
		if k.Zone != "" {
			withZone++
		}
		out = append(out, k)
	}
	if withZone > 0 && withZone < len(out) {
		return nil, &driver.Error{
			Code:       driver.CodeUnavailable,
			RetryAfter: maintenanceRetry,
			Message: fmt.Sprintf("%s: %d of %d key pairs lack availability-zone information; K5 documents this as a list "+
				"that may be partial during K5 infrastructure maintenance; retry after at least one minute",
				a.what("ListKeyPairs"), len(out)-withZone, len(out)),
		}
	}
	return out, nil
}

func validateKeyPairName(name string) error {
	switch {
	case name == "":
		return driver.InvalidArgument("key_pair.name", "must not be empty")
	case len(name) > maxNameLen:
		return driver.InvalidArgument("key_pair.name", fmt.Sprintf("K5 accepts at most %d bytes", maxNameLen))
	}
	return nil
}

// GetKeyPair is GET /os-keypairs/{name}.
func (a *Adapter) GetKeyPair(ctx context.Context, name string) (*driver.KeyPair, error) {
	if err := validateKeyPairName(name); err != nil {
		return nil, err
	}
	var body struct {
		Keypair *k5KeyPair `json:"keypair"`
	}
	err := a.call(ctx, "GetKeyPair", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		if err := keypairs.Get(ctx, sc, driver.PathSegment(name), nil).ExtractInto(&body); err != nil {
			return err
		}
		if body.Keypair == nil {
			return errMalformed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	k := toKeyPair(body.Keypair)
	k.PrivateKey = ""
	return &k, nil
}

// CreateKeyPair is POST /os-keypairs: generated when PublicKey is empty (the
// answer carries the private key, once), imported otherwise; with K5's
// optional availability_zone. A name clash (409) is CodeAlreadyExists.
func (a *Adapter) CreateKeyPair(ctx context.Context, req driver.CreateKeyPairRequest) (*driver.KeyPair, error) {
	if err := validateKeyPairName(req.Name); err != nil {
		return nil, err
	}
	var body struct {
		Keypair *k5KeyPair `json:"keypair"`
	}
	opts := keyPairCreateOpts{Name: req.Name, PublicKey: req.PublicKey, AvailabilityZone: req.Zone}
	err := a.call(ctx, "CreateKeyPair", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		err := keypairs.Create(ctx, sc, opts).ExtractInto(&body)
		if ue, ok := errorsAsUnexpected(err); ok && ue.Actual == http.StatusConflict {
			e := a.statusError("CreateKeyPair", ue)
			e.Code = driver.CodeAlreadyExists
			e.Message = fmt.Sprintf("%s: key pair %q already exists (HTTP 409)", a.what("CreateKeyPair"), req.Name)
			return e
		}
		if err != nil {
			return err
		}
		if body.Keypair == nil {
			return errMalformed
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	k := toKeyPair(body.Keypair)
	if k.Zone == "" {
		k.Zone = req.Zone
	}
	return &k, nil
}

// DeleteKeyPair is DELETE /os-keypairs/{name} (202).
func (a *Adapter) DeleteKeyPair(ctx context.Context, name string) error {
	if err := validateKeyPairName(name); err != nil {
		return err
	}
	return a.call(ctx, "DeleteKeyPair", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		return keypairs.Delete(ctx, sc, driver.PathSegment(name), nil).ExtractErr()
	})
}

// ---- volume attachments ----------------------------------------------------
//
// K5 addresses an attachment by its attachment ID; the portable API by
// volume ID. Get and Detach therefore list the server's attachments first
// and map the volume ID to the attachment ID (the guide's examples show the
// two equal, but the API does not promise it).

func toAttachment(v *volumeattach.VolumeAttachment, instanceID string) driver.VolumeAttachment {
	if v.ServerID != "" {
		instanceID = v.ServerID
	}
	return driver.VolumeAttachment{VolumeID: v.VolumeID, InstanceID: instanceID, Device: v.Device, AttachmentID: v.ID}
}

func listAttachments(ctx context.Context, sc *gophercloud.ServiceClient, instanceID string) ([]volumeattach.VolumeAttachment, error) {
	page, err := volumeattach.List(sc, driver.PathSegment(instanceID)).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return volumeattach.ExtractVolumeAttachments(page)
}

// attachmentID finds the attachment of volumeID; a CodeNotFound error when
// the volume is not attached to the instance.
func (a *Adapter) attachmentID(ctx context.Context, sc *gophercloud.ServiceClient, op, instanceID, volumeID string) (string, error) {
	list, err := listAttachments(ctx, sc, instanceID)
	if err != nil {
		return "", err
	}
	for _, v := range list {
		if v.VolumeID == volumeID {
			return v.ID, nil
		}
	}
	return "", &driver.Error{Code: driver.CodeNotFound,
		Message: fmt.Sprintf("%s: volume %s is not attached to instance %s", a.what(op), volumeID, instanceID)}
}

// ListVolumeAttachments is GET /servers/{id}/os-volume_attachments.
func (a *Adapter) ListVolumeAttachments(ctx context.Context, instanceID string) ([]driver.VolumeAttachment, error) {
	var list []volumeattach.VolumeAttachment
	err := a.call(ctx, "ListVolumeAttachments", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		list, err = listAttachments(ctx, sc, instanceID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]driver.VolumeAttachment, 0, len(list))
	for i := range list {
		out = append(out, toAttachment(&list[i], instanceID))
	}
	return out, nil
}

// GetVolumeAttachment maps the volume to its attachment ID, then GET
// /servers/{id}/os-volume_attachments/{attachment_id}.
func (a *Adapter) GetVolumeAttachment(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	var v *volumeattach.VolumeAttachment
	err := a.call(ctx, "GetVolumeAttachment", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		aid, err := a.attachmentID(ctx, sc, "GetVolumeAttachment", instanceID, volumeID)
		if err != nil {
			return err
		}
		v, err = volumeattach.Get(ctx, sc, driver.PathSegment(instanceID), driver.PathSegment(aid)).Extract()
		if err == nil && v == nil {
			err = errMalformed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toAttachment(v, instanceID)
	return &out, nil
}

// AttachVolume is POST /servers/{id}/os-volume_attachments with
// {"volumeAttachment": {"volumeId": ..., "device": null}} (K5 picks the
// device).
func (a *Adapter) AttachVolume(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	if volumeID == "" {
		return nil, driver.InvalidArgument("volume_attachment.volume_id", "must not be empty")
	}
	var v *volumeattach.VolumeAttachment
	err := a.call(ctx, "AttachVolume", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		v, err = volumeattach.Create(ctx, sc, driver.PathSegment(instanceID), attachOpts{VolumeID: volumeID}).Extract()
		if err == nil && v == nil {
			err = errMalformed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toAttachment(v, instanceID)
	return &out, nil
}

// DetachVolume maps the volume to its attachment ID, then DELETE
// /servers/{id}/os-volume_attachments/{attachment_id} (202).
func (a *Adapter) DetachVolume(ctx context.Context, instanceID, volumeID string) error {
	return a.call(ctx, "DetachVolume", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		aid, err := a.attachmentID(ctx, sc, "DetachVolume", instanceID, volumeID)
		if err != nil {
			return err
		}
		return volumeattach.Delete(ctx, sc, driver.PathSegment(instanceID), driver.PathSegment(aid)).ExtractErr()
	})
}
