// Package testclock provides a manual clock for tests: it stands still
// until the test moves it, so time-dependent behaviour (token expiry,
// transition delays, cache lifetimes) can be checked exactly however slow
// the machine is. It is meant for tests only.
package testclock

import (
	"sync"
	"time"
)

// Clock is a settable clock whose Now method can be passed wherever a
// func() time.Time is wanted. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t until it is moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d (backward if d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
