package toastv1

import (
	"fmt"

	"github.com/computegw/computegw/driver"
)

var _ driver.CreateRequirer = (*Adapter)(nil)

// CreateRequirements implements driver.CreateRequirer: what validateCreate
// (and TOAST's guide, "Create Instances") require.
func (a *Adapter) CreateRequirements() driver.CreateRequirements {
	return driver.CreateRequirements{
		RequiredFields: []string{"instance.display_name", "instance.flavor", "instance.image", "instance.zone", "instance.networks"},
		DisplayNameRule: fmt.Sprintf("letters, digits, '-' and '.'; at most %d characters (%d for Windows images)",
			maxNameLinux, maxNameWindows),
		BootVolumeRule: fmt.Sprintf("required for c2, m2, r2 and t2 flavors (no fixed root disk): boot_volume.size_gb %d to %d in steps of 10, at least the image's minDiskGb; type \"General HDD\" (default) or \"General SSD\"",
			minVolumeGB, maxVolumeGB),
	}
}
