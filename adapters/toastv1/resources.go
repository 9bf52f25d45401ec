package toastv1

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/sshkey"
)

// toFlavor maps one GET /flavors row. DiskGB is TOAST's fixed root disk
// (volumeSize, reported for u2 flavors only); flavors without it take a
// root volume chosen at create (10 to 1000 GB).
func toFlavor(w *wireFlavor) driver.Flavor {
	return driver.Flavor{
		ID:           string(w.ID),
		Name:         string(w.Name),
		VCPUs:        int(w.VCPUs),
		RAMMB:        int(w.RAM),
		DiskGB:       int(w.VolumeSize),
		EphemeralGB:  int(w.Ephemeral),
		IsPublic:     bool(w.IsPublic),
		Type:         string(w.Type),
		VolumeSizeGB: int(w.VolumeSize),
	}
}

func (a *Adapter) flavors(ctx context.Context, op string) ([]wireFlavor, error) {
	var out flavorsResponse
	if err := a.call(ctx, request{op: op, method: http.MethodGet, path: "/flavors", out: &out}); err != nil {
		return nil, err
	}
	return out.Flavors, nil
}

// ListFlavors lists the enabled flavors (GET /flavors has no filters; the
// filter is applied here with the portable layer's rule, as Nova's minDisk
// does: a flavor whose root volume is chosen at create has DiskGB 0 and so
// does not pass a positive MinDiskGB).
func (a *Adapter) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	rows, err := a.flavors(ctx, "list flavors")
	if err != nil {
		return nil, err
	}
	res := make([]driver.Flavor, 0, len(rows))
	for i := range rows {
		if rows[i].Disabled || rows[i].ID == "" {
			continue
		}
		f := toFlavor(&rows[i])
		if f.RAMMB < filter.MinRAMMB {
			continue
		}
		if f.DiskGB < filter.MinDiskGB {
			continue
		}
		res = append(res, f)
	}
	return res, nil
}

// GetFlavor finds one flavor in GET /flavors (disabled ones included:
// existing instances may still use them).
func (a *Adapter) GetFlavor(ctx context.Context, id string) (*driver.Flavor, error) {
	op := "get flavor " + id
	rows, err := a.flavors(ctx, op)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if string(rows[i].ID) == id {
			f := toFlavor(&rows[i])
			return &f, nil
		}
	}
	return nil, a.wrap(op, driver.Errorf(driver.CodeNotFound, "flavor %q does not exist", id))
}

// ListZones runs GET /availability-zones.
func (a *Adapter) ListZones(ctx context.Context) ([]driver.Zone, error) {
	var out zonesResponse
	if err := a.call(ctx, request{op: "list availability zones", method: http.MethodGet, path: "/availability-zones", out: &out}); err != nil {
		return nil, err
	}
	res := make([]driver.Zone, 0, len(out.Zones))
	for _, z := range out.Zones {
		if z.ZoneName != "" {
			res = append(res, driver.Zone{Name: string(z.ZoneName), Available: bool(z.ZoneState.Available)})
		}
	}
	return res, nil
}

func toKeyPair(w *wireKeyPair) driver.KeyPair {
	kp := driver.KeyPair{
		Name:        string(w.Name),
		PublicKey:   string(w.PublicKey),
		Fingerprint: string(w.Fingerprint),
		PrivateKey:  string(w.PrivateKey),
		Created:     parseTime(w.CreatedAt),
		Type:        "ssh",
	}
	if strings.Contains(kp.PublicKey, "BEGIN CERTIFICATE") {
		kp.Type = "x509"
	}
	return kp
}

func (a *Adapter) keyPairs(ctx context.Context, op, name string) ([]wireKeyPair, error) {
	var out keyPairsResponse
	if err := a.get(ctx, op, "/keypairs", "name", name, &out); err != nil {
		return nil, err
	}
	return out.KeyPairs, nil
}

// ListKeyPairs runs GET /keypairs.
func (a *Adapter) ListKeyPairs(ctx context.Context) ([]driver.KeyPair, error) {
	rows, err := a.keyPairs(ctx, "list key pairs", "")
	if err != nil {
		return nil, err
	}
	res := make([]driver.KeyPair, 0, len(rows))
	for i := range rows {
		if rows[i].Name == "" {
			continue
		}
		kp := toKeyPair(&rows[i])
		kp.PrivateKey = "" // never on reads
		res = append(res, kp)
	}
	return res, nil
}

// GetKeyPair runs GET /keypairs?name=; CodeNotFound when TOAST says so or
// answers with no such row.
func (a *Adapter) GetKeyPair(ctx context.Context, name string) (*driver.KeyPair, error) {
	op := "get key pair " + name
	if name == "" {
		return nil, a.wrap(op, driver.InvalidArgument("key_pair", "a key pair name is required"))
	}
	rows, err := a.keyPairs(ctx, op, name)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if string(rows[i].Name) == name {
			kp := toKeyPair(&rows[i])
			kp.PrivateKey = ""
			return &kp, nil
		}
	}
	return nil, a.wrap(op, driver.Errorf(driver.CodeNotFound, "key pair %q does not exist", name))
}

// CreateKeyPair runs POST /keypairs: without a public key TOAST generates
// the pair and returns the private key, once.
func (a *Adapter) CreateKeyPair(ctx context.Context, req driver.CreateKeyPairRequest) (*driver.KeyPair, error) {
	op := "create key pair " + req.Name
	switch {
	case strings.TrimSpace(req.Name) == "":
		return nil, a.wrap(op, driver.InvalidArgument("key_pair.name", "a key pair name is required"))
	case req.Zone != "":
		return nil, a.wrap(op, driver.InvalidArgument("key_pair.zone", "TOAST key pairs are not zonal"))
	}
	var body createKeyPairRequest
	body.KeyPair.Name = req.Name
	body.KeyPair.PublicKey = strings.TrimSpace(req.PublicKey)
	var out createKeyPairResponse
	if err := a.call(ctx, request{op: op, method: http.MethodPost, path: "/keypairs", body: body, out: &out}); err != nil {
		return nil, err
	}
	kp := toKeyPair(&out.KeyPair)
	if kp.Name == "" {
		kp.Name = req.Name
	}
	if kp.PublicKey == "" {
		kp.PublicKey = body.KeyPair.PublicKey
	}
	if req.PublicKey == "" && kp.PrivateKey == "" {
		return nil, a.wrap(op, driver.Errorf(driver.CodeUnavailable,
			"the backend generated key pair %q but returned no private key; delete it and try again", req.Name))
	}
	if req.PublicKey != "" {
		kp.PrivateKey = ""
	}
	sshkey.Convert(ctx, a.log, &kp) // TOAST answers PKCS#8 PEM
	return &kp, nil
}

// DeleteKeyPair runs DELETE /keypairs?name=.
func (a *Adapter) DeleteKeyPair(ctx context.Context, name string) error {
	op := "delete key pair " + name
	if name == "" {
		return a.wrap(op, driver.InvalidArgument("key_pair", "a key pair name is required"))
	}
	return a.call(ctx, request{op: op, method: http.MethodDelete, path: "/keypairs", query: url.Values{"name": {name}}})
}
