// Package eventually waits in tests for a condition that other goroutines
// or processes make true, instead of hand-rolled sleep-and-poll loops. It
// polls at once, then every few milliseconds, backing off to 200ms, and
// fails the test with the last reason given when the time is up. It is
// meant for tests only; code whose goroutines can all be brought to rest
// is better tested with testing/synctest.
package eventually

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// First and Max bound the pause between two polls.
const (
	First = 5 * time.Millisecond
	Max   = 200 * time.Millisecond
)

// NotYet is what a condition returns while it is not met; its message says
// what was seen instead (the test's failure message when time runs out).
func NotYet(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Nil polls cond until it returns nil, for at most within. When time runs
// out the test fails (t.Fatalf) with what and cond's last error. cond may
// itself fail the test for a state that can never change to the wanted one.
func Nil(t testing.TB, within time.Duration, what string, cond func() error) {
	t.Helper()
	if err := poll(within, cond); err != nil {
		t.Fatalf("%s: not so after %v: %v", what, within, err)
	}
}

// True polls cond until it returns true, for at most within; when time
// runs out the test fails (t.Fatalf) naming what it waited for.
func True(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	Nil(t, within, what, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

var errNotYet = errors.New("condition still false")

// poll runs cond until it returns nil or within has passed, and returns its
// last error.
func poll(within time.Duration, cond func() error) error {
	deadline := time.Now().Add(within)
	pause := First
	for {
		err := cond()
		if err == nil {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, Max)
	}
}
