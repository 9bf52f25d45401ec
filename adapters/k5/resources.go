package k5

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/sshkey"
)

// ---- flavors ---------------------------------------------------------------

func toFlavor(f *k5Flavor) driver.Flavor {
	return driver.Flavor{ID: f.ID, Name: f.Name, VCPUs: f.VCPUs, RAMMB: f.RAM, DiskGB: f.Disk, EphemeralGB: f.Ephemeral, IsPublic: f.IsPublic}
}

// ListFlavors is GET /flavors (K5 documents no minDisk/minRam query, so the
// filter is applied here).
func (a *Adapter) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	var list []k5Flavor
	err := a.call(ctx, "ListFlavors", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		list, err = listFlavors(ctx, sc)
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
	var body struct {
		Flavor *k5Flavor `json:"flavor"`
	}
	err := callOne(a, ctx, "GetFlavor", &body.Flavor, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		_, err := sc.Get(ctx, sc.ServiceURL("flavors", driver.PathSegment(id)), &body, &gophercloud.RequestOpts{OkCodes: okGet})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toFlavor(body.Flavor)
	return &out, nil
}

// listFlavors is K5's "List flavors with access type" (section 1.2.6.46):
// GET /flavors, which answers full flavor records (gophercloud's
// flavors.ListDetail calls GET /flavors/detail, which K5 does not
// document), following flavors_links "next"; each page decoded once.
func listFlavors(ctx context.Context, sc *gophercloud.ServiceClient) ([]k5Flavor, error) {
	return nova.FollowLinks[k5Flavor, k5FlavorPage](ctx, sc, sc.ServiceURL("flavors"), okList)
}

// The answers a read accepts, as gophercloud's pager (lists: 204 is an
// empty list) and its Get (one object) did.
var (
	okList = []int{http.StatusOK, http.StatusNoContent}
	okGet  = []int{http.StatusOK}
)

// ---- zones -----------------------------------------------------------------

// ListZones tries Nova's GET /os-availability-zone, which K5's guide does
// not document; when K5 answers 404 it returns the cloud's configured zones.
func (a *Adapter) ListZones(ctx context.Context) ([]driver.Zone, error) {
	var list []driver.Zone
	notListed := false
	err := a.call(ctx, "ListZones", func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		var err error
		list, err = nova.ListZones(ctx, sc)
		if gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			// Compute's own 404 (not the login's): no zone listing here.
			notListed = true
			return nil
		}
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
	return list, nil
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
		// One typed decode (keypairs.List's page goes through a map).
		_, err := sc.Get(ctx, sc.ServiceURL("os-keypairs"), &body, &gophercloud.RequestOpts{OkCodes: okList})
		return err
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
	err := callOne(a, ctx, "GetKeyPair", &body.Keypair, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		_, err := sc.Get(ctx, sc.ServiceURL("os-keypairs", driver.PathSegment(name)), &body, &gophercloud.RequestOpts{OkCodes: okGet})
		return err
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
	err := callOne(a, ctx, "CreateKeyPair", &body.Keypair, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		// keypairs.Create's request (same body, URL and OkCodes), its
		// answer decoded once into body: keypairs.Create decodes it into a
		// map and ExtractInto re-marshals that map and decodes it again.
		reqBody, err := opts.ToKeyPairCreateMap()
		if err == nil {
			_, err = sc.Post(ctx, sc.ServiceURL("os-keypairs"), reqBody, &body, &gophercloud.RequestOpts{OkCodes: []int{200, 201}})
		}
		if ue, ok := errorsAsUnexpected(err); ok && ue.Actual == http.StatusConflict {
			e := a.statusError("CreateKeyPair", ue)
			e.Code = driver.CodeAlreadyExists
			e.Message = fmt.Sprintf("%s: key pair %q already exists (HTTP 409)", a.what("CreateKeyPair"), req.Name)
			return e
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	k := toKeyPair(body.Keypair)
	if k.Zone == "" {
		k.Zone = req.Zone
	}
	sshkey.Convert(ctx, a.log, &k) // Nova answers OpenSSH or (older releases) PKCS#1 PEM
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

func toAttachment(v *k5Attachment, instanceID string) driver.VolumeAttachment {
	if v.ServerID != "" {
		instanceID = v.ServerID
	}
	return driver.VolumeAttachment{VolumeID: v.VolumeID, InstanceID: instanceID, Device: v.Device, AttachmentID: v.ID}
}

// listAttachments is GET /servers/{id}/os-volume_attachments, decoded once.
func listAttachments(ctx context.Context, sc *gophercloud.ServiceClient, instanceID string) ([]k5Attachment, error) {
	var body struct {
		VolumeAttachments []k5Attachment `json:"volumeAttachments"`
	}
	_, err := sc.Get(ctx, sc.ServiceURL("servers", driver.PathSegment(instanceID), "os-volume_attachments"), &body, &gophercloud.RequestOpts{OkCodes: okList})
	return body.VolumeAttachments, err
}

// attachmentBody is the answer of show and attach.
type attachmentBody struct {
	VolumeAttachment *k5Attachment `json:"volumeAttachment"`
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
	var list []k5Attachment
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
	var body attachmentBody
	err := callOne(a, ctx, "GetVolumeAttachment", &body.VolumeAttachment, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		aid, err := a.attachmentID(ctx, sc, "GetVolumeAttachment", instanceID, volumeID)
		if err != nil {
			return err
		}
		url := sc.ServiceURL("servers", driver.PathSegment(instanceID), "os-volume_attachments", driver.PathSegment(aid))
		_, err = sc.Get(ctx, url, &body, &gophercloud.RequestOpts{OkCodes: okGet})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toAttachment(body.VolumeAttachment, instanceID)
	return &out, nil
}

// AttachVolume is POST /servers/{id}/os-volume_attachments with
// {"volumeAttachment": {"volumeId": ..., "device": null}} (K5 picks the
// device).
func (a *Adapter) AttachVolume(ctx context.Context, instanceID, volumeID string) (*driver.VolumeAttachment, error) {
	if volumeID == "" {
		return nil, driver.InvalidArgument("volume_attachment.volume_id", "must not be empty")
	}
	var body attachmentBody
	err := callOne(a, ctx, "AttachVolume", &body.VolumeAttachment, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		req, _ := attachOpts{VolumeID: volumeID}.ToVolumeAttachmentCreateMap()
		url := sc.ServiceURL("servers", driver.PathSegment(instanceID), "os-volume_attachments")
		_, err := sc.Post(ctx, url, req, &body, &gophercloud.RequestOpts{OkCodes: okGet})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toAttachment(body.VolumeAttachment, instanceID)
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
