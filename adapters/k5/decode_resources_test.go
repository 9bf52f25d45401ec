package k5

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/keypairs"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/volumeattach"

	"github.com/computegw/computegw/driver"
)

// decodeBoth decodes raw into the adapter's type M and gophercloud's R.
func decodeBoth[M, R any](t *testing.T, what string, raw []byte) (M, R) {
	t.Helper()
	var mine M
	var ref R
	if err := json.Unmarshal(raw, &mine); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatalf("%s (gophercloud): %v", what, err)
	}
	return mine, ref
}

// The one-pass flavor decode reads the guide's list and show answers as
// gophercloud's flavors.Flavor (the adapter's decoder until now) does.
func TestDecodeGuideFlavorsAgreeWithGophercloud(t *testing.T) {
	var show struct {
		Flavor json.RawMessage `json:"flavor"`
	}
	if err := json.Unmarshal([]byte(guideShowFlavor), &show); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Flavors []json.RawMessage `json:"flavors"`
	}
	if err := json.Unmarshal([]byte(guideListFlavors), &list); err != nil || len(list.Flavors) != 5 {
		t.Fatalf("%d flavors, %v", len(list.Flavors), err)
	}
	for i, raw := range append(list.Flavors, show.Flavor) {
		mine, ref := decodeBoth[k5Flavor, flavors.Flavor](t, fmt.Sprint("flavor ", i), raw)
		want := driver.Flavor{ID: ref.ID, Name: ref.Name, VCPUs: ref.VCPUs, RAMMB: ref.RAM, DiskGB: ref.Disk, EphemeralGB: ref.Ephemeral, IsPublic: ref.IsPublic}
		if got := toFlavor(&mine); got != want || got.ID == "" || got.RAMMB == 0 || !got.IsPublic {
			t.Errorf("flavor %d: %+v, gophercloud %+v", i, got, want)
		}
	}
}

// Shapes the guide's examples do not show but Nova sends: swap as "" or a
// number, the ephemeral extension, is_public false or absent, fields the
// adapter ignores of any type.
func TestDecodeAwkwardK5FlavorShapes(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      driver.Flavor
	}{
		{"swap as the empty string", `{"id": "7", "name": "s", "vcpus": 2, "ram": 2048, "disk": 20, "swap": "", "os-flavor-access:is_public": true}`,
			driver.Flavor{ID: "7", Name: "s", VCPUs: 2, RAMMB: 2048, DiskGB: 20, IsPublic: true}},
		{"swap as a number, ephemeral disk", `{"id": "8", "name": "e", "vcpus": 4, "ram": 8192, "disk": 40, "swap": 1024, "OS-FLV-EXT-DATA:ephemeral": 10, "os-flavor-access:is_public": false}`,
			driver.Flavor{ID: "8", Name: "e", VCPUs: 4, RAMMB: 8192, DiskGB: 40, EphemeralGB: 10}},
		{"is_public absent, extra fields", `{"id": "9", "name": "p", "vcpus": 1, "ram": 512, "disk": 1, "rxtx_factor": 1.0, "extra_specs": {"a": "b"}, "OS-FLV-DISABLED:disabled": false, "links": []}`,
			driver.Flavor{ID: "9", Name: "p", VCPUs: 1, RAMMB: 512, DiskGB: 1}},
	} {
		var f k5Flavor
		if err := json.Unmarshal([]byte(tc.doc), &f); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := toFlavor(&f); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// The key pair answers of the guide (list: no zone, show: with K5's
// availability_zone) decode with every field gophercloud's KeyPair reads,
// and the zone it does not.
func TestDecodeGuideKeyPairs(t *testing.T) {
	var list struct {
		Keypairs []struct {
			Keypair k5KeyPair `json:"keypair"`
		} `json:"keypairs"`
	}
	if err := json.Unmarshal([]byte(guideListKeyPairs), &list); err != nil || len(list.Keypairs) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
	var ref struct {
		Keypairs []struct {
			Keypair keypairs.KeyPair `json:"keypair"`
		} `json:"keypairs"`
	}
	if err := json.Unmarshal([]byte(guideListKeyPairs), &ref); err != nil {
		t.Fatal(err)
	}
	got, want := list.Keypairs[0].Keypair, ref.Keypairs[0].Keypair
	if got.Name == "" || got.Name != want.Name || got.Fingerprint != want.Fingerprint || got.PublicKey != want.PublicKey || got.AvailabilityZone != "" {
		t.Errorf("list entry %+v, gophercloud %+v", got, want)
	}
	var show struct {
		Keypair *k5KeyPair `json:"keypair"`
	}
	if err := json.Unmarshal([]byte(guideShowKeyPair), &show); err != nil || show.Keypair == nil {
		t.Fatal(err)
	}
	if k := toKeyPair(show.Keypair); k.Name != "hpdefault" || k.Zone != "jp-east-1a" ||
		k.Fingerprint != "8b:2f:aa:b0:b8:97:dc:c8:50:aa:d4:8e:d0:34:61:d9" || !strings.HasPrefix(k.PublicKey, "ssh-rsa AAAAB3") {
		t.Errorf("show %+v", k)
	}
}

// The attachment answers of the guide (attach, list, show with its extra
// availability_zone) decode as gophercloud's VolumeAttachment reads them.
func TestDecodeGuideAttachmentsAgreeWithGophercloud(t *testing.T) {
	one := func(doc string) (k5Attachment, volumeattach.VolumeAttachment) {
		mine, ref := decodeBoth[attachmentBody, struct {
			VolumeAttachment volumeattach.VolumeAttachment `json:"volumeAttachment"`
		}](t, doc, []byte(doc))
		if mine.VolumeAttachment == nil {
			t.Fatalf("no attachment in %s", doc)
		}
		return *mine.VolumeAttachment, ref.VolumeAttachment
	}
	var mine []k5Attachment
	var ref []volumeattach.VolumeAttachment
	for _, doc := range []string{guideAttachVolumeResponse, guideShowVolumeAttachment} {
		m, r := one(doc)
		mine, ref = append(mine, m), append(ref, r)
	}
	list, refList := decodeBoth[struct {
		VolumeAttachments []k5Attachment `json:"volumeAttachments"`
	}, struct {
		VolumeAttachments []volumeattach.VolumeAttachment `json:"volumeAttachments"`
	}](t, "list", []byte(guideListVolumeAttachments))
	if len(list.VolumeAttachments) != 2 {
		t.Fatalf("%+v", list)
	}
	mine, ref = append(mine, list.VolumeAttachments...), append(ref, refList.VolumeAttachments...)
	for i := range mine {
		m, r := mine[i], ref[i]
		if m.ID == "" || m.ID != r.ID || m.Device != r.Device || m.VolumeID != r.VolumeID || m.ServerID != r.ServerID {
			t.Errorf("attachment %d: %+v, gophercloud %+v", i, m, r)
		}
	}
	if got := toAttachment(&mine[1], "other"); got.InstanceID != "ed61f75a-ccf4-4b58-b9a0-5a51a3f51aee" || got.Device != "/dev/sda1" {
		t.Errorf("show converted %+v", got)
	}
}

// A flavor list K5 splits into pages (flavors_links "next") is read to the
// end, each page once; a 204 key pair or attachment list is empty.
func TestWireFlavorPagesAndEmptyLists(t *testing.T) {
	s := newScript(t,
		exchange{method: "GET", path: "/flavors", status: 200},
		exchange{method: "GET", path: "/flavors", query: "marker=2", status: 200, resp: `{"flavors": [` +
			`{"id": "3", "name": "m1.medium", "vcpus": 2, "ram": 4096, "disk": 40, "os-flavor-access:is_public": true}]}`},
		exchange{method: "GET", path: "/os-keypairs", status: 204},
		exchange{method: "GET", path: "/servers/" + srvID + "/os-volume_attachments", status: 204},
	)
	s.steps[0].resp = `{"flavors": [` +
		`{"id": "1", "name": "m1.tiny", "vcpus": 1, "ram": 512, "disk": 1, "os-flavor-access:is_public": true},` +
		`{"id": "2", "name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20, "os-flavor-access:is_public": true}],` +
		`"flavors_links": [{"rel": "next", "href": "` + s.srv.URL + s.computePath + `/flavors?marker=2"}]}`
	a := s.adapter(t)
	ctx := context.Background()
	fl, err := a.ListFlavors(ctx, driver.FlavorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fl) != 3 || fl[0].ID != "1" || fl[2].ID != "3" || fl[2].RAMMB != 4096 {
		t.Errorf("flavors %+v", fl)
	}
	if kp, err := a.ListKeyPairs(ctx); err != nil || len(kp) != 0 {
		t.Errorf("204 key pairs: %+v %v", kp, err)
	}
	if va, err := a.ListVolumeAttachments(ctx, srvID); err != nil || len(va) != 0 {
		t.Errorf("204 attachments: %+v %v", va, err)
	}
	s.done(t)
}

// An answer without the object the call reads is an error, not a zero
// flavor, key pair or attachment.
func TestWireAnswerWithoutTheObject(t *testing.T) {
	for name, c := range map[string]struct {
		ex   exchange
		call func(a *Adapter) error
	}{
		"GetFlavor":  {exchange{method: "GET", path: "/flavors/1", status: 200, resp: `{"flavours": {}}`}, func(a *Adapter) error { _, err := a.GetFlavor(context.Background(), "1"); return err }},
		"GetKeyPair": {exchange{method: "GET", path: "/os-keypairs/k", status: 200, resp: `{}`}, func(a *Adapter) error { _, err := a.GetKeyPair(context.Background(), "k"); return err }},
		"AttachVolume": {exchange{method: "POST", path: "/servers/" + srvID + "/os-volume_attachments", status: 200, resp: `{"volumeAttachment": null}`,
			body: `{"volumeAttachment": {"volumeId": "` + volID + `", "device": null}}`}, func(a *Adapter) error { _, err := a.AttachVolume(context.Background(), srvID, volID); return err }},
	} {
		t.Run(name, func(t *testing.T) {
			s := newScript(t, c.ex)
			err := c.call(s.adapter(t))
			if err == nil {
				t.Fatal("no error for an answer without its object")
			}
			if code := driver.CodeOf(err); code == driver.CodeNotFound {
				t.Errorf("code %v (%v)", code, err)
			}
			s.done(t)
		})
	}
}
