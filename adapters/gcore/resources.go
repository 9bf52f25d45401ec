package gcore

import (
	"context"
	"net/http"

	"github.com/computegw/computegw/driver"
)

// ListFlavors runs GET /v1/flavors/{p}/{r}. Disabled flavors are left out
// (Gcore refuses to create or resize into them); ram is MiB, and disk is
// often absent (0: the boot volume is sized at create instead).
func (a *Adapter) ListFlavors(ctx context.Context, filter driver.FlavorFilter) ([]driver.Flavor, error) {
	all, err := a.flavors(ctx, "list flavors")
	if err != nil {
		return nil, err
	}
	out := make([]driver.Flavor, 0, len(all))
	for _, f := range all {
		if f.disabled || f.RAMMB < filter.MinRAMMB || (filter.MinDiskGB > 0 && f.DiskGB < filter.MinDiskGB) {
			continue
		}
		out = append(out, f.Flavor)
	}
	return out, nil
}

// GetFlavor finds one flavor in the list (Gcore has no single-flavor
// call); a disabled one is still found, so instances on it can be read.
func (a *Adapter) GetFlavor(ctx context.Context, id string) (*driver.Flavor, error) {
	op := "get flavor " + id
	all, err := a.flavors(ctx, op)
	if err != nil {
		return nil, err
	}
	for _, f := range all {
		if f.ID == id {
			fl := f.Flavor
			return &fl, nil
		}
	}
	return nil, amend(op+": ", driver.Errorf(driver.CodeNotFound, "flavor %q does not exist in this Gcore project and region", id))
}

type flavor struct {
	driver.Flavor
	disabled bool
}

func (a *Adapter) flavors(ctx context.Context, op string) ([]flavor, error) {
	var out flavorList
	if err := a.call(ctx, request{op: op, method: http.MethodGet, path: "/v1/flavors" + a.scope, out: &out}); err != nil {
		return nil, err
	}
	res := make([]flavor, 0, len(out.Results))
	for _, w := range out.Results {
		if w.FlavorID == "" {
			continue
		}
		name := w.FlavorName
		if name == "" {
			name = string(w.FlavorID)
		}
		res = append(res, flavor{Flavor: driver.Flavor{ID: string(w.FlavorID), Name: name, VCPUs: w.VCPUs,
			RAMMB: w.RAM, DiskGB: w.Disk, IsPublic: true}, disabled: w.Disabled})
	}
	return res, nil
}

// ListZones answers the configured zones: Gcore's API has no zone call.
// Key pairs and volume attachments are not in the gcore dialect: the adapter lacks driver.KeyPairManager and
// driver.VolumeAttacher, so the portable layer answers UNIMPLEMENTED.
func (a *Adapter) ListZones(context.Context) ([]driver.Zone, error) {
	out := make([]driver.Zone, 0, len(a.zones))
	for _, z := range a.zones {
		out = append(out, driver.Zone{Name: z, Available: true})
	}
	return out, nil
}
