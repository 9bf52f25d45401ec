package drivertest

import (
	"context"

	"github.com/computegw/computegw/driver"
)

// FakeHarness is a Harness made of parts, for an adapter over its fake
// server: Open makes a fresh adapter talking to the fake, Fix describes
// the fake's seeded resources and Stop stops the fake.
type FakeHarness struct {
	Open func() (driver.Adapter, error)
	Fix  Fixtures
	Stop func()
}

// MakeAdapter calls Open.
func (h FakeHarness) MakeAdapter(context.Context) (driver.Adapter, error) { return h.Open() }

// Fixtures returns Fix.
func (h FakeHarness) Fixtures() Fixtures { return h.Fix }

// Close calls Stop.
func (h FakeHarness) Close() { h.Stop() }
