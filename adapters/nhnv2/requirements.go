package nhnv2

import (
	"fmt"

	"github.com/computegw/computegw/driver"
)

var _ driver.CreateRequirer = (*Adapter)(nil)

// CreateRequirements implements driver.CreateRequirer: what validate (and
// NHN Cloud's guide, "Create Instance") require.
func (a *Adapter) CreateRequirements() driver.CreateRequirements {
	return driver.CreateRequirements{
		RequiredFields:  []string{"instance.display_name", "instance.flavor", "instance.image", "instance.key_pair", "instance.networks"},
		DisplayNameRule: fmt.Sprintf("1 to %d characters (15 for Windows images)", maxNameLen),
		BootVolumeRule: fmt.Sprintf("u2 flavors boot from their local disk; every other flavor boots from a volume of boot_volume.size_gb "+
			"(at least %d GB, 50 for Windows images, and the image's minDiskGb), %d GB when not given; type \"General HDD\" (default) or \"General SSD\"",
			minRootVolumeGB, defaultRootVolume),
	}
}
