// Package nova is the kit the Nova-derived adapters (nhnv2, k5, and gcore,
// whose instances carry Nova's statuses) share: one status → state table
// with per-dialect overrides, Nova fault parsing, and the classification of
// a backend call's failure into a *driver.Error with hooks for each
// dialect's own cases. Vendor quirks stay in the adapter that owns them: an
// adapter passes its differences in (Overrides, StatusHook), this package
// names no dialect.
package nova

import (
	"maps"
	"slices"
	"strings"

	"github.com/computegw/computegw/driver"
)

// NovaStatuses is Nova's server status list mapped to the unified states:
// the statuses K5 and Gcore report (adapters/k5/README.md, "States"). A
// dialect that lists fewer, or more, says so in Overrides (nhnv2:
// adapters/nhnv2/README.md, "States").
var NovaStatuses = map[string]driver.State{
	"BUILD":             driver.StateProvisioning,
	"ACTIVE":            driver.StateRunning,
	"PASSWORD":          driver.StateRunning,
	"SHUTOFF":           driver.StateStopped,
	"STOPPED":           driver.StateStopped,
	"REBOOT":            driver.StateRebooting,
	"HARD_REBOOT":       driver.StateRebooting,
	"RESIZE":            driver.StateResizing,
	"VERIFY_RESIZE":     driver.StateVerifyResize,
	"REVERT_RESIZE":     driver.StateRevertingResize,
	"MIGRATING":         driver.StateMigrating,
	"REBUILD":           driver.StateRebuilding,
	"SHELVED":           driver.StateShelved,
	"SHELVED_OFFLOADED": driver.StateShelved,
	"PAUSED":            driver.StatePaused,
	"SUSPENDED":         driver.StateSuspended,
	"RESCUE":            driver.StateRescued,
	"DELETED":           driver.StateDeleted,
	"SOFT_DELETED":      driver.StateDeleted,
	"ERROR":             driver.StateError,
	"UNKNOWN":           driver.StateUnknown,
}

// Overrides is how one dialect's status list differs from NovaStatuses.
type Overrides struct {
	// Add lists statuses the dialect reports on top of Nova's (or maps
	// differently).
	Add map[string]driver.State
	// Drop lists Nova statuses the dialect's guides do not document: they
	// read as UNKNOWN there.
	Drop []string
	// StartingFrom lists the statuses on which task_state "powering-on"
	// means STARTING. Empty: every listed status except the DELETED ones.
	StartingFrom []string
}

// States maps one dialect's (status, task_state) pairs to unified states.
// Build it once with NewStates; it is read-only afterwards.
type States struct {
	table    map[string]driver.State
	starting map[string]bool // nil: any listed status but a DELETED one
	pushdown map[driver.State]string
}

// NewStates is NovaStatuses with o applied.
func NewStates(o Overrides) *States {
	s := &States{table: maps.Clone(NovaStatuses)}
	for _, st := range o.Drop {
		delete(s.table, st)
	}
	maps.Copy(s.table, o.Add)
	if len(o.StartingFrom) > 0 {
		s.starting = make(map[string]bool, len(o.StartingFrom))
		for _, st := range o.StartingFrom {
			s.starting[st] = true
		}
	}
	// A state can be pushed down as a status filter only when exactly one
	// status means it and no task_state refinement produces it; otherwise
	// the filter would hide instances (the portable layer filters again
	// either way).
	count := map[driver.State]int{}
	s.pushdown = map[driver.State]string{}
	for status, st := range s.table {
		count[st]++
		s.pushdown[st] = status
	}
	for st, n := range count {
		if n > 1 {
			delete(s.pushdown, st)
		}
	}
	for _, st := range []driver.State{driver.StateStarting, driver.StateStopping, driver.StateDeleting, driver.StateUnknown} {
		delete(s.pushdown, st)
	}
	return s
}

// State returns the unified state of a status (case and surrounding space
// ignored), refined by Nova's OS-EXT-STS:task_state: "deleting" → DELETING
// and "powering-off" → STOPPING on any listed status but a DELETED one;
// "powering-on" → STARTING on the statuses Overrides.StartingFrom names
// (any listed status but a DELETED one when it names none). A status the
// dialect does not list is UNKNOWN whatever its task_state: a task cannot
// refine a status nobody knows the meaning of.
func (s *States) State(status, taskState string) driver.State {
	status = strings.ToUpper(strings.TrimSpace(status))
	st, ok := s.table[status]
	if !ok || st == driver.StateDeleted {
		if !ok {
			return driver.StateUnknown
		}
		return st
	}
	switch strings.ToLower(taskState) {
	case "deleting":
		return driver.StateDeleting
	case "powering-off":
		return driver.StateStopping
	case "powering-on":
		if s.starting == nil || s.starting[status] {
			return driver.StateStarting
		}
	}
	return st
}

// PushdownStatus returns the single vendor status a unified state filter
// can be sent to the backend as, or "" when several statuses (or a
// task_state refinement) make that state and only the portable layer may
// filter.
func (s *States) PushdownStatus(st driver.State) string { return s.pushdown[st] }

// Statuses lists the statuses the table knows, sorted.
func (s *States) Statuses() []string { return slices.Sorted(maps.Keys(s.table)) }
