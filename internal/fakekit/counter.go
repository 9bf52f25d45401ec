package fakekit

import "sync/atomic"

// Counter counts one kind of request a fake received, for its tests (how
// many token requests, creates, polls). It is safe for concurrent use and
// needs no lock; the zero value is zero.
type Counter struct{ n atomic.Int64 }

// Add counts one more.
func (c *Counter) Add() { c.n.Add(1) }

// N reports the count.
func (c *Counter) N() int { return int(c.n.Load()) }
