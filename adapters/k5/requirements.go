package k5

import (
	"fmt"

	"github.com/computegw/computegw/driver"
)

var _ driver.CreateRequirer = (*Adapter)(nil)

// CreateRequirements implements driver.CreateRequirer: what validateCreate
// checks before any call, as K5 requires (display name, flavor, image, at
// least one network or port).
func (a *Adapter) CreateRequirements() driver.CreateRequirements {
	return driver.CreateRequirements{
		RequiredFields:  []string{"instance.display_name", "instance.flavor", "instance.image", "instance.networks"},
		DisplayNameRule: fmt.Sprintf("1 to %d characters", maxNameLen),
		BootVolumeRule:  "K5 flavors have no local disk: the instance boots from a volume of boot_volume.size_gb, or of the image's minDiskGb when it is not given; boot_volume.type must be empty",
	}
}
