package gcore

import "github.com/computegw/computegw/driver"

var _ driver.CreateRequirer = (*Adapter)(nil)

// CreateRequirements implements driver.CreateRequirer: what createBody
// checks before any call, from Gcore's create body (wire.go:
// `flavor`, at least one interface, exactly one image volume with
// boot_index 0 and a size in GiB). No interface asked for gets Gcore's
// external network, so networks are not required.
func (a *Adapter) CreateRequirements() driver.CreateRequirements {
	return driver.CreateRequirements{
		RequiredFields:  []string{"instance.display_name", "instance.flavor", "instance.image", "instance.boot_volume.size_gb"},
		DisplayNameRule: "must not be blank (sent to Gcore as the instance's name)",
		BootVolumeRule: "Gcore flavors have no local disk: every instance boots from a volume made from the image, so boot_volume.size_gb is required " +
			"(in GiB, at least the image's minDiskGb); boot_volume.type is Gcore's volume type_name (e.g. standard), the region's default when empty",
	}
}
