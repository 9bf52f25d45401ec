package drivertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
)

// memHarness is the in-memory reference adapter. When poisoned, its
// adapter fails StopInstance and from then on every create and list, as a
// fake left in an unknown state by a failed test would.
type memHarness struct {
	a        driver.Adapter
	poisoned bool
}

func (h *memHarness) MakeAdapter(context.Context) (driver.Adapter, error) {
	if h.poisoned {
		return &breaksOnStop{Adapter: h.a}, nil
	}
	return h.a, nil
}

func (h *memHarness) Fixtures() Fixtures {
	return Fixtures{
		FlavorID: memory.FlavorSmall, ResizeFlavorID: memory.FlavorLarge, ImageID: memory.ImageUbuntu,
		Zone: memory.Zone, Networks: []driver.NetworkSpec{{NetworkID: memory.NetworkID}},
		VolumeIDs: []string{memory.VolumeA}, FloatingIP: memory.FloatingIP, SecurityGroup: memory.SecurityGroup,
		NotAnAPIDialect: true,
	}
}

func (h *memHarness) Close() {}

type breaksOnStop struct {
	driver.Adapter
	broken atomic.Bool
}

var errBroken = &driver.Error{Code: driver.CodeUnavailable, Message: "left broken by an earlier failure"}

func (b *breaksOnStop) StopInstance(context.Context, string) error {
	b.broken.Store(true)
	return errBroken
}

func (b *breaksOnStop) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	if b.broken.Load() {
		return nil, errBroken
	}
	return b.Adapter.CreateInstance(ctx, req)
}

func (b *breaksOnStop) ListInstances(ctx context.Context, opts driver.ListInstancesOptions) (*driver.InstancePage, error) {
	if b.broken.Load() {
		return nil, errBroken
	}
	return b.Adapter.ListInstances(ctx, opts)
}

const childEnv = "DRIVERTEST_FRESH_HARNESS_CHILD"

// TestFreshHarnessChild is the suite run by TestFreshHarnessPerSubtest in
// a child process; on its own it does nothing.
func TestFreshHarnessChild(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("run by TestFreshHarnessPerSubtest")
	}
	WaitTimeout = 2 * time.Second // the poisoned Lifecycle waits in vain
	// One backend for the whole run: if the suite handed a harness from one
	// subtest to the next, the breakage Lifecycle leaves would reach Paging.
	var shared *memHarness
	RunConformanceTests(t, func(_ context.Context, t *testing.T) (Harness, error) {
		fmt.Printf("harness for %s\n", t.Name())
		if shared == nil || os.Getenv(childEnv+"_SHARED") != "1" {
			shared = &memHarness{a: memory.New(memory.Options{Delay: 20 * time.Millisecond})}
		}
		shared.poisoned = shared.poisoned || strings.HasSuffix(t.Name(), "/Lifecycle")
		return shared, nil
	})
}

// TestFreshHarnessPerSubtest: every subtest gets its own harness, so a
// subtest that fails half way (Lifecycle, here, leaves its adapter broken)
// cannot affect the next one (Paging passes). The control run hands the
// same harness to every subtest, and there Paging fails: the check can
// tell the difference.
func TestFreshHarnessPerSubtest(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		t.Skip("child")
	}
	run := func(shared bool) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFreshHarnessChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		if shared {
			cmd.Env = append(cmd.Env, childEnv+"_SHARED=1")
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("child: want a failing run, got %v\n%s", err, out)
		}
		return string(out)
	}
	out := run(false)
	if !strings.Contains(out, "--- FAIL: TestFreshHarnessChild/Lifecycle") {
		t.Fatalf("the poisoned Lifecycle did not fail:\n%s", out)
	}
	for _, tc := range tests {
		name := "TestFreshHarnessChild/" + tc.name
		if n := strings.Count(out, "harness for "+name+"\n"); n != 1 {
			t.Errorf("%s: %d harnesses made, want 1", name, n)
		}
		if tc.name != "Lifecycle" && !strings.Contains(out, "--- PASS: "+name) && !strings.Contains(out, "--- SKIP: "+name) {
			t.Errorf("%s did not pass after Lifecycle failed:\n%s", name, out)
		}
	}
	if control := run(true); !strings.Contains(control, "--- FAIL: TestFreshHarnessChild/Paging") {
		t.Errorf("control run with one shared harness: Paging did not fail, so the check proves nothing:\n%s", control)
	}
}
