// Package drivertest is the conformance suite every dialect adapter runs
// against its own fake vendor server, through the portable layer (package
// server), as in Go CDK's drivertest. An adapter's test does:
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (drivertest.Harness, error) {
//			srv := fake.NewServer(fake.Options{BuildDelay: 20 * time.Millisecond, ...})
//			return &harness{srv: srv}, nil // the suite calls Close
//		})
//	}
package drivertest

import (
	"context"
	"testing"

	"github.com/computegw/computegw/driver"
)

// Fixtures are vendor resources the fake server is seeded with, that the
// suite needs in order to create and change instances.
type Fixtures struct {
	FlavorID       string // flavor to create instances with
	ResizeFlavorID string // a different flavor to resize to
	ImageID        string // image to create (and rebuild) from
	Zone           string // optional availability zone for creates
	Networks       []driver.NetworkSpec
	BootVolume     *driver.BootVolumeSpec // optional; required by some dialects
	VolumeIDs      []string               // at least one volume free to attach (VolumeAttacher only)
	FloatingIP     string                 // a free floating IP (FloatingIPManager only)
	SecurityGroup  string                 // an existing group other than "default" (SecurityGroupManager only)
	// KeyPair names an existing key pair to create instances with (some
	// dialects require one).
	KeyPair string
	// PublicKey is an OpenSSH public key the vendor accepts for import;
	// empty uses the suite's own.
	PublicKey string
	// NotAnAPIDialect says the adapter's dialect has no value in the API's
	// Cloud.Dialect enum (the in-memory reference adapter): GetCloud must
	// then report DIALECT_UNSPECIFIED rather than pretend to be another.
	NotAnAPIDialect bool
}

// Harness connects the suite to one adapter and its fake vendor server.
// State transitions in the fake should take a few tens of milliseconds so
// the suite sees transitional states and still runs fast.
type Harness interface {
	// MakeAdapter returns a fresh adapter talking to the fake server.
	MakeAdapter(ctx context.Context) (driver.Adapter, error)
	// Fixtures describes the fake server's seeded resources.
	Fixtures() Fixtures
	// Close stops the fake server.
	Close()
}

// HarnessMaker makes a Harness for one test. RunConformanceTests calls it
// once per subtest (and MakeAdapter once on each), so every subtest starts
// from a freshly seeded fake.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)
