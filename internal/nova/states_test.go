package nova

import (
	"testing"

	"github.com/computegw/computegw/driver"
)

// nhn is the nhnv2 overrides as the nhnv2 adapter declares them; a test
// there checks the adapter uses exactly these (TestStateMapping).
var nhn = Overrides{
	Add: map[string]driver.State{
		"BUILDING": driver.StateProvisioning,
		"RESIZED":  driver.StateResizing,
		"RESCUED":  driver.StateRescued,
	},
	Drop:         []string{"SHELVED", "SOFT_DELETED"},
	StartingFrom: []string{"ACTIVE", "SHUTOFF", "STOPPED"},
}

// TestPerDialectDecisions pins the two places the dialects disagree and
// the rule they share for statuses nobody lists.
func TestPerDialectDecisions(t *testing.T) {
	nova, nhnv2 := NewStates(Overrides{}), NewStates(nhn)
	for _, tc := range []struct {
		status, task string
		nova, nhnv2  driver.State
	}{
		// SHELVED: Nova (k5, gcore) lists it; NHN's guides go straight to
		// SHELVED_OFFLOADED and do not list it, so it is UNKNOWN there.
		{"SHELVED", "", driver.StateShelved, driver.StateUnknown},
		{"SHELVED_OFFLOADED", "", driver.StateShelved, driver.StateShelved},
		// powering-on: any status on Nova; only ACTIVE/SHUTOFF/STOPPED on NHN.
		{"ERROR", "powering-on", driver.StateStarting, driver.StateError},
		{"SHELVED_OFFLOADED", "powering-on", driver.StateStarting, driver.StateShelved},
		{"SHUTOFF", "powering-on", driver.StateStarting, driver.StateStarting},
		{"STOPPED", "powering-on", driver.StateStarting, driver.StateStarting},
		// Shared: powering-off and deleting on any listed status but DELETED.
		{"ERROR", "powering-off", driver.StateStopping, driver.StateStopping},
		{"ERROR", "deleting", driver.StateDeleting, driver.StateDeleting},
		{"DELETED", "deleting", driver.StateDeleted, driver.StateDeleted},
		{"SOFT_DELETED", "deleting", driver.StateDeleted, driver.StateUnknown},
		{"UNKNOWN", "deleting", driver.StateDeleting, driver.StateDeleting},
		// A status nobody lists stays UNKNOWN whatever its task.
		{"SOMETHING_NEW", "powering-on", driver.StateUnknown, driver.StateUnknown},
		{"SOMETHING_NEW", "deleting", driver.StateUnknown, driver.StateUnknown},
		{"", "powering-off", driver.StateUnknown, driver.StateUnknown},
		// Spelling: case and surrounding space do not matter.
		{" active ", "POWERING-OFF", driver.StateStopping, driver.StateStopping},
		{"BUILDING", "", driver.StateUnknown, driver.StateProvisioning},
		{"RESCUED", "", driver.StateUnknown, driver.StateRescued},
		{"ACTIVE", "shelving", driver.StateRunning, driver.StateRunning},
	} {
		if got := nova.State(tc.status, tc.task); got != tc.nova {
			t.Errorf("nova State(%q, %q) = %v, want %v", tc.status, tc.task, got, tc.nova)
		}
		if got := nhnv2.State(tc.status, tc.task); got != tc.nhnv2 {
			t.Errorf("nhnv2 State(%q, %q) = %v, want %v", tc.status, tc.task, got, tc.nhnv2)
		}
	}
}

func TestPushdownStatus(t *testing.T) {
	nova, nhnv2 := NewStates(Overrides{}), NewStates(nhn)
	for st, want := range map[driver.State][2]string{
		driver.StateUnspecified:     {"", ""},
		driver.StateProvisioning:    {"BUILD", ""}, // BUILD and BUILDING on NHN
		driver.StateRunning:         {"", ""},      // ACTIVE and PASSWORD
		driver.StateStopped:         {"", ""},      // SHUTOFF and STOPPED
		driver.StateStarting:        {"", ""},      // a task_state
		driver.StateStopping:        {"", ""},
		driver.StateDeleting:        {"", ""},
		driver.StateUnknown:         {"", ""},
		driver.StateShelved:         {"", "SHELVED_OFFLOADED"},
		driver.StateDeleted:         {"", "DELETED"},
		driver.StateRescued:         {"RESCUE", ""},
		driver.StateResizing:        {"RESIZE", ""},
		driver.StateError:           {"ERROR", "ERROR"},
		driver.StateVerifyResize:    {"VERIFY_RESIZE", "VERIFY_RESIZE"},
		driver.StateRevertingResize: {"REVERT_RESIZE", "REVERT_RESIZE"},
		driver.StateMigrating:       {"MIGRATING", "MIGRATING"},
		driver.StateRebuilding:      {"REBUILD", "REBUILD"},
		driver.StatePaused:          {"PAUSED", "PAUSED"},
		driver.StateSuspended:       {"SUSPENDED", "SUSPENDED"},
	} {
		if got := nova.PushdownStatus(st); got != want[0] {
			t.Errorf("nova PushdownStatus(%v) = %q, want %q", st, got, want[0])
		}
		if got := nhnv2.PushdownStatus(st); got != want[1] {
			t.Errorf("nhnv2 PushdownStatus(%v) = %q, want %q", st, got, want[1])
		}
	}
}

// TestPushdownNeverHides: every status whose state pushes down is the one
// pushed, so a pushed filter cannot drop an instance in that state.
func TestPushdownNeverHides(t *testing.T) {
	for _, o := range []Overrides{{}, nhn} {
		s := NewStates(o)
		for _, status := range s.Statuses() {
			st := s.State(status, "")
			if p := s.PushdownStatus(st); p != "" && p != status {
				t.Errorf("%s is %v, but %v pushes down as %s", status, st, st, p)
			}
		}
	}
}

func TestNewStatesDoesNotShareTheBaseTable(t *testing.T) {
	NewStates(nhn)
	if NovaStatuses["SHELVED"] != driver.StateShelved || NovaStatuses["BUILDING"] != driver.StateUnspecified {
		t.Fatal("NewStates changed NovaStatuses")
	}
}
