package nhnv2

import (
	"testing"

	"github.com/computegw/computegw/driver"
)

// TestStateMapping covers every server status of both revisions of NHN's
// API guide and the task_state refinements.
func TestStateMapping(t *testing.T) {
	for _, tc := range []struct {
		status, task string
		want         driver.State
	}{
		{"BUILD", "spawning", driver.StateProvisioning},
		{"BUILDING", "", driver.StateProvisioning},
		{"ACTIVE", "", driver.StateRunning},
		{"PASSWORD", "", driver.StateRunning},
		{"ACTIVE", "powering-off", driver.StateStopping},
		{"SHUTOFF", "powering-on", driver.StateStarting},
		{"ACTIVE", "powering-on", driver.StateStarting},
		{"STOPPED", "powering-on", driver.StateStarting},
		{"SHUTOFF", "", driver.StateStopped},
		{"STOPPED", "", driver.StateStopped},
		{"REBOOT", "rebooting", driver.StateRebooting},
		{"HARD_REBOOT", "rebooting_hard", driver.StateRebooting},
		{"RESIZE", "resize_prep", driver.StateResizing},
		{"RESIZED", "", driver.StateResizing},
		{"VERIFY_RESIZE", "", driver.StateVerifyResize},
		{"REVERT_RESIZE", "", driver.StateRevertingResize},
		{"MIGRATING", "", driver.StateMigrating},
		{"REBUILD", "", driver.StateRebuilding},
		{"SHELVED_OFFLOADED", "", driver.StateShelved},
		{"PAUSED", "", driver.StatePaused},
		{"SUSPENDED", "", driver.StateSuspended},
		{"RESCUED", "", driver.StateRescued},
		{"RESCUE", "", driver.StateRescued},
		{"DELETED", "", driver.StateDeleted},
		{"DELETED", "deleting", driver.StateDeleted},
		{"ACTIVE", "deleting", driver.StateDeleting},
		{"ERROR", "deleting", driver.StateDeleting},
		{"ERROR", "", driver.StateError},
		{"ERROR", "powering-on", driver.StateError},
		{"ERROR", "powering-off", driver.StateStopping}, // stop is allowed from ERROR (guide)
		{"SHUTOFF", "powering-off", driver.StateStopping},
		{"DELETED", "powering-off", driver.StateDeleted},
		{"UNKNOWN", "deleting", driver.StateDeleting},
		{"SOMETHING_NEW", "deleting", driver.StateUnknown},
		{"UNKNOWN", "", driver.StateUnknown},
		{"SHELVED", "", driver.StateUnknown},      // not an nhnv2 status
		{"SOFT_DELETED", "", driver.StateUnknown}, // not an nhnv2 status
		{"SOMETHING_NEW", "", driver.StateUnknown},
		{"", "", driver.StateUnknown},
		{"active", "", driver.StateRunning},
		{"ACTIVE", "shelving", driver.StateRunning},
	} {
		if got := mapState(tc.status, tc.task); got != tc.want {
			t.Errorf("mapState(%q, %q) = %v, want %v", tc.status, tc.task, got, tc.want)
		}
	}
}

func TestVendorStatusPushdown(t *testing.T) {
	for st, want := range map[driver.State]string{
		driver.StateUnspecified:     "",
		driver.StateRunning:         "", // ACTIVE and PASSWORD
		driver.StateStopped:         "", // SHUTOFF and STOPPED
		driver.StateProvisioning:    "", // BUILD and BUILDING
		driver.StateStarting:        "", // a task_state
		driver.StateDeleting:        "",
		driver.StateUnknown:         "",
		driver.StateError:           "ERROR",
		driver.StateShelved:         "SHELVED_OFFLOADED",
		driver.StateVerifyResize:    "VERIFY_RESIZE",
		driver.StateRevertingResize: "REVERT_RESIZE",
		driver.StatePaused:          "PAUSED",
	} {
		if got := vendorStatusFor(st); got != want {
			t.Errorf("vendorStatusFor(%v) = %q, want %q", st, got, want)
		}
	}
}
