package fakekit

import (
	"iter"
	"sync"
	"time"
)

// Settle locks mu and runs advance (the fake's function that applies the
// state changes due by now), and returns mu's Unlock: a fake's test accessor
// starts with defer Settle(&s.mu, s.advance)() to read its resources as the
// clock has left them.
func Settle(mu *sync.Mutex, advance func()) (unlock func()) {
	mu.Lock()
	advance()
	return mu.Unlock
}

// Step is one pending state change of a fake's resource, due at At.
type Step[T any] struct {
	At time.Time
	Do T
}

// Steps is a resource's queue of pending state changes (BUILD → ACTIVE
// after a delay, and so on). The fakes apply them lazily, when the resource
// is next read against their clock, so they need no goroutines and a test
// clock (internal/testclock) moves them exactly. The zero value is an empty
// queue. It is not safe for concurrent use: the fakes hold their lock.
type Steps[T any] struct{ q []Step[T] }

// Set replaces every pending change with do at at.
func (s *Steps[T]) Set(at time.Time, do T) { s.q = []Step[T]{{At: at, Do: do}} }

// Then queues do d after the last pending change, or d after from when
// none is pending.
func (s *Steps[T]) Then(from time.Time, d time.Duration, do T) {
	if n := len(s.q); n > 0 {
		from = s.q[n-1].At
	}
	s.q = append(s.q, Step[T]{At: from.Add(d), Do: do})
}

// Clear drops every pending change.
func (s *Steps[T]) Clear() { s.q = nil }

// Pending reports whether a change is still to come.
func (s *Steps[T]) Pending() bool { return len(s.q) > 0 }

// Due yields, oldest first, and removes each change whose time has come at
// now. Stopping the loop leaves the remaining changes queued.
func (s *Steps[T]) Due(now time.Time) iter.Seq[Step[T]] {
	return func(yield func(Step[T]) bool) {
		for len(s.q) > 0 && !now.Before(s.q[0].At) {
			st := s.q[0]
			s.q = s.q[1:]
			if !yield(st) {
				return
			}
		}
	}
}
