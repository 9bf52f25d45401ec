package gcore

import (
	"testing"

	"github.com/computegw/computegw/driver"
)

// TestMapState: Gcore reports Nova's statuses, mapped as for k5
// (internal/nova's Nova table as is).
func TestMapState(t *testing.T) {
	for _, c := range []struct {
		status, task string
		want         driver.State
	}{
		{"BUILD", "", driver.StateProvisioning},
		{"ACTIVE", "", driver.StateRunning},
		{"ACTIVE", "powering-off", driver.StateStopping},
		{"SHUTOFF", "powering-on", driver.StateStarting},
		{"ERROR", "powering-on", driver.StateStarting},
		{"ERROR", "deleting", driver.StateDeleting},
		{"SHELVED", "", driver.StateShelved},
		{"SHELVED_OFFLOADED", "", driver.StateShelved},
		{"SOFT_DELETED", "deleting", driver.StateDeleted},
		{"RESCUE", "", driver.StateRescued},
		{"SOMETHING_NEW", "powering-on", driver.StateUnknown},
		{"active", "", driver.StateRunning},
	} {
		if got := mapState(c.status, c.task); got != c.want {
			t.Errorf("mapState(%q, %q) = %v, want %v", c.status, c.task, got, c.want)
		}
	}
	if got := states.PushdownStatus(driver.StateShelved); got != "" {
		t.Errorf("SHELVED pushes down as %q; two Gcore statuses mean it", got)
	}
	if got := states.PushdownStatus(driver.StateError); got != "ERROR" {
		t.Errorf("ERROR pushes down as %q, want ERROR", got)
	}
}
