package server

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// A clouds/- list without a caller deadline is bounded by
// CrossCloudTimeout, not by the slow cloud's own (here one minute) timeout:
// the slow cloud is reported unreachable, with why.
func TestCrossCloudListWithoutDeadline(t *testing.T) {
	slow := &failing{Adapter: seeded(), stall: true}
	s, err := New(Options{CrossCloudTimeout: 300 * time.Millisecond,
		Clouds: []Cloud{{Name: "fast", Adapter: seeded()}, {Name: "slow", Adapter: slow, Timeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	start := time.Now()
	res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatalf("cross-cloud list with one slow cloud failed: %v", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 2*time.Second {
		t.Errorf("answered after %v, want about the 300 ms cross-cloud timeout", el)
	}
	if len(res.GetInstances()) != 2 || strings.Join(res.GetUnreachable(), ",") != "clouds/slow" {
		t.Fatalf("got %d instances, unreachable %v", len(res.GetInstances()), res.GetUnreachable())
	}
	d := res.GetUnreachableDetails()
	if len(d) != 1 || d[0].GetCode() != "DEADLINE_EXCEEDED" || d[0].GetReason() == "" || d[0].GetMessage() == "" {
		t.Errorf("unreachable details %v, want DEADLINE_EXCEEDED with a reason and a message", d)
	}
	// The default is well under the clouds' default timeout of 30 s.
	s2 := newServer(t, Cloud{Name: "a", Adapter: seeded()})
	if s2.opt.CrossCloudTimeout != DefaultCrossCloudTimeout || DefaultCrossCloudTimeout > 10*time.Second {
		t.Errorf("default cross-cloud timeout %v", s2.opt.CrossCloudTimeout)
	}
}
