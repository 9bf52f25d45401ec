package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/driver/drivertest"
	"github.com/computegw/computegw/server"
)

type harness struct{}

func (harness) MakeAdapter(context.Context) (driver.Adapter, error) {
	return memory.New(memory.Options{Delay: 20 * time.Millisecond}), nil
}

func (harness) Fixtures() drivertest.Fixtures {
	return drivertest.Fixtures{
		FlavorID: memory.FlavorSmall, ResizeFlavorID: memory.FlavorLarge, ImageID: memory.ImageUbuntu,
		Zone: memory.Zone, Networks: []driver.NetworkSpec{{NetworkID: memory.NetworkID}},
		VolumeIDs: []string{memory.VolumeA}, FloatingIP: memory.FloatingIP, SecurityGroup: memory.SecurityGroup,
		NotAnAPIDialect: true,
	}
}

func (harness) Close() {}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, func(context.Context, *testing.T) (drivertest.Harness, error) {
		return harness{}, nil
	})
}

// TestEveryOperation: the reference adapter has every operation of the
// portable layer's one table (what GetCloud lists and the UNIMPLEMENTED
// answers come from), optional ones and discovery included.
func TestEveryOperation(t *testing.T) {
	a := memory.New(memory.Options{})
	defer a.Close()
	for _, op := range server.Operations() {
		if op.Has != nil && !op.Has(a) {
			t.Errorf("the reference adapter lacks %s", op.RPC)
		}
	}
}
