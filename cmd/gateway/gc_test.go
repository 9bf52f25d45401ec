package main

import (
	"runtime/debug"
	"testing"
)

// setGC sets the measured default when GOGC is unset and leaves an
// operator's GOGC (as the runtime applied it) alone.
func TestSetGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	unset := func(string) (string, bool) { return "", false }
	if got := setGC(unset); got != defaultGCPercent {
		t.Errorf("GOGC unset: %d", got)
	}
	if now := debug.SetGCPercent(100); now != defaultGCPercent {
		t.Errorf("GOGC unset: the runtime runs at %d, want %d", now, defaultGCPercent)
	}
	debug.SetGCPercent(150) // as the runtime would have applied GOGC=150
	if got := setGC(func(k string) (string, bool) { return "150", k == "GOGC" }); got != 150 {
		t.Errorf("GOGC=150: setGC says %d", got)
	}
	if now := debug.SetGCPercent(100); now != 150 {
		t.Errorf("GOGC=150: the runtime runs at %d", now)
	}
}
