package drivertest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/server"
)

// defaultPublicKey is a well-formed OpenSSH Ed25519 public key.
const defaultPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl conformance"

const cloudName = "conf"

// WaitTimeout bounds every wait for a state in the suite.
var WaitTimeout = 20 * time.Second

type suite struct {
	h   Harness
	a   driver.Adapter
	s   *server.Server
	fx  Fixtures
	ctx context.Context
}

// test is one subtest of the suite. needs, when set, is what the adapter
// must implement for the test to apply (it is skipped otherwise).
type test struct {
	name  string
	needs func(driver.Adapter) bool
	run   func(*suite, *testing.T)
}

// tests is the suite, in the order it runs.
var tests = []test{
	{name: "Capabilities", run: (*suite).testCapabilities},
	{name: "Unsupported", run: (*suite).testUnsupported},
	{name: "NotFound", run: (*suite).testNotFound},
	{name: "UnknownMarker", run: (*suite).testUnknownMarker},
	{name: "Flavors", run: (*suite).testFlavors},
	{name: "Zones", run: (*suite).testZones},
	{name: "KeyPairs", needs: implements[driver.KeyPairManager], run: (*suite).testKeyPairs},
	{name: "Lifecycle", run: (*suite).testLifecycle},
	{name: "Paging", run: (*suite).testPaging},
	{name: "Marker", run: (*suite).testMarker},
}

// RunConformanceTests runs the whole suite through the portable layer.
// Every subtest gets its own harness from newHarness, its own adapter and
// its own portable layer (as Go CDK's drivertest does), so a subtest that
// fails half way, leaving an instance in an unknown state, cannot change
// what a later one sees.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSuite(t, newHarness)
			if tc.needs != nil && !tc.needs(s.a) {
				t.Skipf("the %s adapter does not implement what %s tests", s.a.Dialect(), tc.name)
			}
			tc.run(s, t)
		})
	}
}

// newSuite makes a fresh harness, adapter and portable layer for t; all
// three are closed when t ends.
func newSuite(t *testing.T, newHarness HarnessMaker) *suite {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	h, err := newHarness(ctx, t)
	if err != nil {
		t.Fatalf("making harness: %v", err)
	}
	t.Cleanup(h.Close)
	a, err := h.MakeAdapter(ctx)
	if err != nil {
		t.Fatalf("making adapter: %v", err)
	}
	s, err := server.New(server.Options{
		Clouds:        []server.Cloud{{Name: cloudName, Adapter: a, Timeout: 10 * time.Second}},
		WatchInterval: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	st := &suite{h: h, a: a, s: s, fx: h.Fixtures(), ctx: ctx}
	if st.fx.PublicKey == "" {
		st.fx.PublicKey = defaultPublicKey
	}
	if st.fx.FlavorID == "" || st.fx.ImageID == "" {
		t.Fatal("Fixtures must name FlavorID and ImageID")
	}
	return st
}

func (s *suite) name(id string) string { return "clouds/" + cloudName + "/instances/" + id }

func wantCode(t *testing.T, err error, want codes.Code, what string) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("%s: got code %v (%v), want %v", what, got, err, want)
	}
}

func reason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

func (s *suite) testCapabilities(t *testing.T) {
	c, err := s.s.GetCloud(s.ctx, &pb.GetCloudRequest{Name: "clouds/" + cloudName})
	if err != nil {
		t.Fatal(err)
	}
	if s.fx.NotAnAPIDialect {
		if c.GetDialect() != pb.Cloud_DIALECT_UNSPECIFIED {
			t.Errorf("dialect %q is reported as %v, though the harness says the API has no value for it", s.a.Dialect(), c.GetDialect())
		}
	} else if c.GetDialect() == pb.Cloud_DIALECT_UNSPECIFIED {
		t.Errorf("dialect %q of the adapter has no proto enum value", s.a.Dialect())
	}
	for _, must := range []string{"ListInstances", "GetInstance", "CreateInstance", "DeleteInstance", "StartInstance",
		"StopInstance", "RebootInstance", "ResizeInstance", "WatchInstance", "ListFlavors", "GetFlavor", "ListZones"} {
		if !slices.Contains(c.GetCapabilities(), must) {
			t.Errorf("capabilities %v lack %s", c.GetCapabilities(), must)
		}
	}
	for _, op := range server.Operations() {
		has := op.Has == nil || op.Has(s.a)
		if has != slices.Contains(c.GetCapabilities(), op.RPC) {
			t.Errorf("%s capability (%v) disagrees with the adapter (%v)", op.RPC, !has, has)
		}
	}
}

// testUnsupported: every optional operation the adapter lacks answers
// UNIMPLEMENTED with reason UNSUPPORTED_BY_DIALECT before reaching the
// backend.
func (s *suite) testUnsupported(t *testing.T) {
	n := s.name("00000000-0000-0000-0000-000000000000")
	for _, op := range server.Operations() {
		if op.Has == nil || op.Has(s.a) {
			continue
		}
		if op.Probe == nil {
			t.Errorf("optional operation %s has no Probe in server's table", op.RPC)
			continue
		}
		err := op.Probe(s.ctx, s.s, n)
		wantCode(t, err, codes.Unimplemented, op.RPC)
		if r := reason(err); r != "UNSUPPORTED_BY_DIALECT" {
			t.Errorf("%s: reason %q, want UNSUPPORTED_BY_DIALECT", op.RPC, r)
		}
	}
}

func (s *suite) testNotFound(t *testing.T) {
	missing := "7c0ffee0-dead-4bad-beef-000000000404"
	_, err := s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: s.name(missing)})
	wantCode(t, err, codes.NotFound, "GetInstance(missing)")
	_, err = s.s.StopInstance(s.ctx, &pb.StopInstanceRequest{Name: s.name(missing)})
	wantCode(t, err, codes.NotFound, "StopInstance(missing)")
	_, err = s.s.DeleteInstance(s.ctx, &pb.DeleteInstanceRequest{Name: s.name(missing)})
	wantCode(t, err, codes.NotFound, "DeleteInstance(missing)")
	if implements[driver.KeyPairManager](s.a) {
		_, err = s.s.GetKeyPair(s.ctx, &pb.GetKeyPairRequest{Name: "clouds/" + cloudName + "/keyPairs/no-such-key-404"})
		wantCode(t, err, codes.NotFound, "GetKeyPair(missing)")
	}
	_, err = s.s.GetFlavor(s.ctx, &pb.GetFlavorRequest{Name: "clouds/" + cloudName + "/flavors/no-such-flavor-404"})
	wantCode(t, err, codes.NotFound, "GetFlavor(missing)")
	_, err = s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: "clouds/no-such-cloud/instances/x"})
	wantCode(t, err, codes.NotFound, "GetInstance(unknown cloud)")
}

// testUnknownMarker: as driver.Adapter.ListInstances says, a marker that
// names no instance never restarts the list: the adapter answers
// CodeInvalidArgument (its vendor pages and refuses the marker), or it pages
// by ID and returns exactly the instances that sort after the marker.
func (s *suite) testUnknownMarker(t *testing.T) {
	for i := range 2 {
		s.create(t, fmt.Sprintf("conf-marker-%d", i))
	}
	all, err := s.a.ListInstances(s.ctx, driver.ListInstancesOptions{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(all.Instances))
	for _, in := range all.Instances {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	if len(ids) < 2 {
		t.Fatalf("list after two creates: %v", ids)
	}
	// Sorts right after the smallest ID, before every other one, and is
	// no instance's ID.
	marker := ids[0] + "0"
	p, err := s.a.ListInstances(s.ctx, driver.ListInstancesOptions{PageSize: 1000, Marker: marker})
	if err != nil {
		if c := driver.CodeOf(err); c != driver.CodeInvalidArgument {
			t.Errorf("ListInstances after the unknown marker %q: %v (%v), want %v or the instances after it", marker, c, err, driver.CodeInvalidArgument)
		}
		return
	}
	var got []string
	for _, in := range p.Instances {
		got = append(got, in.ID)
	}
	if !slices.Equal(got, ids[1:]) {
		t.Errorf("ListInstances after the unknown marker %q: %v, want CodeInvalidArgument or the instances that sort after it %v", marker, got, ids[1:])
	}
}

func (s *suite) testFlavors(t *testing.T) {
	res, err := s.s.ListFlavors(s.ctx, &pb.ListFlavorsRequest{Parent: "clouds/" + cloudName})
	if err != nil {
		t.Fatal(err)
	}
	var found *pb.Flavor
	for _, f := range res.GetFlavors() {
		if f.GetName() == "clouds/"+cloudName+"/flavors/"+s.fx.FlavorID {
			found = f
		}
	}
	if found == nil {
		t.Fatalf("ListFlavors did not return fixture flavor %s: %v", s.fx.FlavorID, res.GetFlavors())
	}
	if found.GetVcpus() <= 0 || found.GetRamMb() <= 0 {
		t.Errorf("flavor %s lacks vcpus/ram: %v", s.fx.FlavorID, found)
	}
	got, err := s.s.GetFlavor(s.ctx, &pb.GetFlavorRequest{Name: found.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetRamMb() != found.GetRamMb() || got.GetVcpus() != found.GetVcpus() {
		t.Errorf("GetFlavor %v differs from the listed %v", got, found)
	}
	big, err := s.s.ListFlavors(s.ctx, &pb.ListFlavorsRequest{Parent: "clouds/" + cloudName, MinRamMb: found.GetRamMb() + 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range big.GetFlavors() {
		if f.GetRamMb() <= found.GetRamMb() {
			t.Errorf("min_ram_mb=%d returned %s with %d MB", found.GetRamMb()+1, f.GetName(), f.GetRamMb())
		}
	}
}

func (s *suite) testZones(t *testing.T) {
	res, err := s.s.ListZones(s.ctx, &pb.ListZonesRequest{Parent: "clouds/" + cloudName})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetZones()) == 0 {
		t.Fatal("ListZones returned no zones")
	}
}

func (s *suite) testKeyPairs(t *testing.T) {
	parent := "clouds/" + cloudName
	gen, err := s.s.CreateKeyPair(s.ctx, &pb.CreateKeyPairRequest{Parent: parent, KeyPairId: "conf-generated", KeyPair: &pb.KeyPair{}})
	if err != nil {
		t.Fatal(err)
	}
	if gen.GetPrivateKey() == "" || gen.GetPublicKey() == "" {
		t.Fatalf("generated key pair lacks private or public key: %v", gen)
	}
	imp, err := s.s.CreateKeyPair(s.ctx, &pb.CreateKeyPairRequest{Parent: parent, KeyPairId: "conf-imported", KeyPair: &pb.KeyPair{PublicKey: s.fx.PublicKey}})
	if err != nil {
		t.Fatal(err)
	}
	if imp.GetPrivateKey() != "" {
		t.Error("imported key pair must not carry a private key")
	}
	got, err := s.s.GetKeyPair(s.ctx, &pb.GetKeyPairRequest{Name: parent + "/keyPairs/conf-imported"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPublicKey() != s.fx.PublicKey {
		t.Errorf("public key: got %q, want %q", got.GetPublicKey(), s.fx.PublicKey)
	}
	if got.GetPrivateKey() != "" {
		t.Error("GetKeyPair must never return a private key")
	}
	list, err := s.s.ListKeyPairs(s.ctx, &pb.ListKeyPairsRequest{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range list.GetKeyPairs() {
		names = append(names, k.GetName())
		if k.GetPrivateKey() != "" {
			t.Error("ListKeyPairs must never return a private key")
		}
	}
	for _, want := range []string{parent + "/keyPairs/conf-generated", parent + "/keyPairs/conf-imported"} {
		if !slices.Contains(names, want) {
			t.Errorf("ListKeyPairs %v lacks %s", names, want)
		}
	}
	_, err = s.s.CreateKeyPair(s.ctx, &pb.CreateKeyPairRequest{Parent: parent, KeyPairId: "conf-imported", KeyPair: &pb.KeyPair{PublicKey: s.fx.PublicKey}})
	wantCode(t, err, codes.AlreadyExists, "CreateKeyPair(duplicate)")
	for _, n := range []string{"conf-generated", "conf-imported"} {
		if _, err := s.s.DeleteKeyPair(s.ctx, &pb.DeleteKeyPairRequest{Name: parent + "/keyPairs/" + n}); err != nil {
			t.Fatalf("DeleteKeyPair(%s): %v", n, err)
		}
		_, err = s.s.GetKeyPair(s.ctx, &pb.GetKeyPairRequest{Name: parent + "/keyPairs/" + n})
		wantCode(t, err, codes.NotFound, "GetKeyPair after delete")
	}
}

func (s *suite) create(t *testing.T, display string) *pb.Instance {
	t.Helper()
	in := &pb.Instance{DisplayName: display, Flavor: s.fx.FlavorID, Image: s.fx.ImageID, Zone: s.fx.Zone, KeyPair: s.fx.KeyPair,
		Metadata: map[string]string{"purpose": "conformance"}}
	for _, n := range s.fx.Networks {
		in.Networks = append(in.Networks, &pb.NetworkAttachment{Network: n.NetworkID, Subnet: n.SubnetID, Port: n.PortID, FixedIp: n.FixedIP})
	}
	if bv := s.fx.BootVolume; bv != nil {
		in.BootVolume = &pb.BootVolume{SizeGb: int32(bv.SizeGB), Type: bv.Type, DeleteOnTermination: bv.DeleteOnTermination}
	}
	got, err := s.s.CreateInstance(s.ctx, &pb.CreateInstanceRequest{Parent: "clouds/" + cloudName, Instance: in})
	if err != nil {
		t.Fatalf("CreateInstance(%s): %v", display, err)
	}
	if got.GetName() == "" || got.GetDisplayName() != display {
		t.Fatalf("CreateInstance returned %v", got)
	}
	return got
}

// waitFor polls until the instance is in one of states.
func (s *suite) waitFor(t *testing.T, name string, states ...pb.Instance_State) *pb.Instance {
	t.Helper()
	var last *pb.Instance
	eventually.Nil(t, WaitTimeout, fmt.Sprintf("%s in %v", name, states), func() error {
		in, err := s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: name})
		if err != nil {
			t.Fatalf("GetInstance(%s) while waiting for %v: %v", name, states, err)
		}
		last = in
		if slices.Contains(states, in.GetState()) {
			return nil
		}
		if in.GetState() == pb.Instance_ERROR {
			t.Fatalf("%s went to ERROR (vendor status %q) while waiting for %v", name, in.GetVendorStatus(), states)
		}
		return eventually.NotYet("still %v (vendor %q)", in.GetState(), in.GetVendorStatus())
	})
	return last
}

func (s *suite) waitGone(t *testing.T, name string) {
	t.Helper()
	eventually.True(t, WaitTimeout, name+" deleted", func() bool {
		in, err := s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: name})
		if status.Code(err) == codes.NotFound || (err == nil && in.GetState() == pb.Instance_DELETED) {
			return true
		}
		if err != nil {
			t.Fatalf("GetInstance(%s) while waiting for deletion: %v", name, err)
		}
		return false
	})
}

func (s *suite) testLifecycle(t *testing.T) {
	in := s.create(t, "conf-life")
	name := in.GetName()
	if in.GetState() != pb.Instance_PROVISIONING && in.GetState() != pb.Instance_RUNNING {
		t.Errorf("new instance state %v, want PROVISIONING or RUNNING", in.GetState())
	}
	if in.GetVendorStatus() == "" {
		t.Error("vendor_status is empty")
	}

	// WatchInstance sees it reach RUNNING.
	w := &watchStream{ctx: s.ctx}
	if err := s.s.WatchInstance(&pb.WatchInstanceRequest{Name: name, TargetStates: []pb.Instance_State{pb.Instance_RUNNING}}, w); err != nil {
		t.Fatalf("WatchInstance: %v", err)
	}
	if len(w.sent) == 0 || w.sent[len(w.sent)-1].GetState() != pb.Instance_RUNNING {
		t.Fatalf("WatchInstance ended without RUNNING: %v", w.sent)
	}
	running := s.waitFor(t, name, pb.Instance_RUNNING)
	if running.GetFlavor() != s.fx.FlavorID || running.GetImage() != s.fx.ImageID {
		t.Errorf("running instance flavor/image %q/%q, want %q/%q", running.GetFlavor(), running.GetImage(), s.fx.FlavorID, s.fx.ImageID)
	}

	t.Run("StateConflict", func(t *testing.T) {
		_, err := s.s.StartInstance(s.ctx, &pb.StartInstanceRequest{Name: name})
		wantCode(t, err, codes.FailedPrecondition, "StartInstance(RUNNING)")
	})
	t.Run("StopStart", func(t *testing.T) {
		act(s, t, name, (*server.Server).StopInstance, &pb.StopInstanceRequest{Name: name}, pb.Instance_STOPPED)
		act(s, t, name, (*server.Server).StartInstance, &pb.StartInstanceRequest{Name: name}, pb.Instance_RUNNING)
	})
	t.Run("Reboot", func(t *testing.T) {
		for _, typ := range []pb.RebootInstanceRequest_Type{pb.RebootInstanceRequest_SOFT, pb.RebootInstanceRequest_HARD} {
			if _, err := s.s.RebootInstance(s.ctx, &pb.RebootInstanceRequest{Name: name, Type: typ}); err != nil {
				t.Fatalf("reboot %v: %v", typ, err)
			}
			s.waitFor(t, name, pb.Instance_RUNNING)
		}
	})
	t.Run("Resize", func(t *testing.T) { s.resize(t, name) })
	if implements[driver.InstanceRenamer](s.a) {
		t.Run("Rename", func(t *testing.T) {
			got, err := s.s.UpdateInstance(s.ctx, &pb.UpdateInstanceRequest{Instance: &pb.Instance{Name: name, DisplayName: "conf-renamed"}})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetDisplayName() != "conf-renamed" {
				t.Errorf("renamed display name %q", got.GetDisplayName())
			}
		})
	}
	if implements[driver.VolumeAttacher](s.a) {
		t.Run("Volumes", func(t *testing.T) { s.volumes(t, name) })
	}
	if implements[driver.SecurityGroupManager](s.a) {
		t.Run("SecurityGroups", func(t *testing.T) { s.securityGroups(t, name) })
	}
	if implements[driver.FloatingIPManager](s.a) {
		t.Run("FloatingIp", func(t *testing.T) { s.floatingIP(t, name) })
	}
	if implements[driver.ImageCreator](s.a) {
		t.Run("CreateImage", func(t *testing.T) {
			res, err := s.s.CreateInstanceImage(s.ctx, &pb.CreateInstanceImageRequest{Name: name, ImageName: "conf-snap"})
			if err != nil {
				t.Fatal(err)
			}
			if res.GetImage() == "" {
				t.Error("CreateInstanceImage returned no image ID")
			}
			s.waitFor(t, name, pb.Instance_RUNNING)
		})
	}
	if implements[driver.Rebuilder](s.a) {
		t.Run("Rebuild", func(t *testing.T) {
			got := act(s, t, name, (*server.Server).RebuildInstance, &pb.RebuildInstanceRequest{Name: name, Image: s.fx.ImageID}, pb.Instance_RUNNING)
			if got.GetImage() != s.fx.ImageID {
				t.Errorf("rebuilt image %q, want %q", got.GetImage(), s.fx.ImageID)
			}
		})
	}
	if implements[driver.Shelver](s.a) {
		t.Run("Shelve", func(t *testing.T) {
			act(s, t, name, (*server.Server).ShelveInstance, &pb.ShelveInstanceRequest{Name: name}, pb.Instance_SHELVED)
			act(s, t, name, (*server.Server).UnshelveInstance, &pb.UnshelveInstanceRequest{Name: name}, pb.Instance_RUNNING)
		})
	}
	t.Run("Delete", func(t *testing.T) {
		if _, err := s.s.DeleteInstance(s.ctx, &pb.DeleteInstanceRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		s.waitGone(t, name)
	})
}

// act calls one instance action (it must succeed) and waits for the
// instance name to reach want.
func act[Req any](s *suite, t *testing.T, name string, rpc func(*server.Server, context.Context, Req) (*pb.Instance, error), req Req, want pb.Instance_State) *pb.Instance {
	t.Helper()
	if _, err := rpc(s.s, s.ctx, req); err != nil {
		t.Fatal(err)
	}
	return s.waitFor(t, name, want)
}

func (s *suite) resize(t *testing.T, name string) {
	if s.fx.ResizeFlavorID == "" {
		t.Skip("Fixtures.ResizeFlavorID not set")
	}
	if _, err := s.s.ResizeInstance(s.ctx, &pb.ResizeInstanceRequest{Name: name, Flavor: s.fx.ResizeFlavorID}); err != nil {
		t.Fatal(err)
	}
	if !implements[driver.ResizeConfirmer](s.a) {
		got := s.waitFor(t, name, pb.Instance_RUNNING)
		if got.GetFlavor() != s.fx.ResizeFlavorID {
			t.Errorf("flavor after resize %q, want %q", got.GetFlavor(), s.fx.ResizeFlavorID)
		}
		return
	}
	s.waitFor(t, name, pb.Instance_VERIFY_RESIZE)
	if _, err := s.s.ConfirmResizeInstance(s.ctx, &pb.ConfirmResizeInstanceRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	got := s.waitFor(t, name, pb.Instance_RUNNING)
	if got.GetFlavor() != s.fx.ResizeFlavorID {
		t.Errorf("flavor after confirmed resize %q, want %q", got.GetFlavor(), s.fx.ResizeFlavorID)
	}
	_, err := s.s.ConfirmResizeInstance(s.ctx, &pb.ConfirmResizeInstanceRequest{Name: name})
	wantCode(t, err, codes.FailedPrecondition, "ConfirmResize without a pending resize")
	// Resize back, then revert: the flavor stays.
	if _, err := s.s.ResizeInstance(s.ctx, &pb.ResizeInstanceRequest{Name: name, Flavor: s.fx.FlavorID}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, name, pb.Instance_VERIFY_RESIZE)
	if _, err := s.s.RevertResizeInstance(s.ctx, &pb.RevertResizeInstanceRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	got = s.waitFor(t, name, pb.Instance_RUNNING)
	if got.GetFlavor() != s.fx.ResizeFlavorID {
		t.Errorf("flavor after reverted resize %q, want %q", got.GetFlavor(), s.fx.ResizeFlavorID)
	}
}

func (s *suite) volumes(t *testing.T, name string) {
	if len(s.fx.VolumeIDs) == 0 {
		t.Fatal("Fixtures.VolumeIDs is empty")
	}
	vol := s.fx.VolumeIDs[0]
	att, err := s.s.AttachVolume(s.ctx, &pb.AttachVolumeRequest{Parent: name, VolumeId: vol})
	if err != nil {
		t.Fatal(err)
	}
	if att.GetVolumeId() != vol || att.GetName() != name+"/volumeAttachments/"+vol {
		t.Errorf("attachment %v", att)
	}
	// Attaching is asynchronous on real clouds: wait until it is listed.
	deadline := time.Now().Add(WaitTimeout)
	for {
		list, err := s.s.ListVolumeAttachments(s.ctx, &pb.ListVolumeAttachmentsRequest{Parent: name})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(list.GetVolumeAttachments(), func(a *pb.VolumeAttachment) bool { return a.GetVolumeId() == vol }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("volume %s never listed as attached: %v", vol, list.GetVolumeAttachments())
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := s.s.GetVolumeAttachment(s.ctx, &pb.GetVolumeAttachmentRequest{Name: name + "/volumeAttachments/" + vol})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetVolumeId() != vol {
		t.Errorf("GetVolumeAttachment volume %q, want %q", got.GetVolumeId(), vol)
	}
	in, err := s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(in.GetVolumes(), vol) {
		t.Errorf("instance volumes %v lack attached %s", in.GetVolumes(), vol)
	}
	if _, err := s.s.DetachVolume(s.ctx, &pb.DetachVolumeRequest{Name: name + "/volumeAttachments/" + vol}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(WaitTimeout)
	for {
		_, err := s.s.GetVolumeAttachment(s.ctx, &pb.GetVolumeAttachmentRequest{Name: name + "/volumeAttachments/" + vol})
		if status.Code(err) == codes.NotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetVolumeAttachment after detach: %v, want NOT_FOUND", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.waitFor(t, name, pb.Instance_RUNNING)
}

func (s *suite) securityGroups(t *testing.T, name string) {
	g := s.fx.SecurityGroup
	if g == "" {
		t.Fatal("Fixtures.SecurityGroup is empty")
	}
	if _, err := s.s.AddSecurityGroup(s.ctx, &pb.AddSecurityGroupRequest{Name: name, SecurityGroup: g}); err != nil {
		t.Fatal(err)
	}
	s.eventually(t, name, "security group "+g+" added", func(in *pb.Instance) bool { return slices.Contains(in.GetSecurityGroups(), g) })
	if _, err := s.s.RemoveSecurityGroup(s.ctx, &pb.RemoveSecurityGroupRequest{Name: name, SecurityGroup: g}); err != nil {
		t.Fatal(err)
	}
	s.eventually(t, name, "security group "+g+" removed", func(in *pb.Instance) bool { return !slices.Contains(in.GetSecurityGroups(), g) })
}

func (s *suite) floatingIP(t *testing.T, name string) {
	ip := s.fx.FloatingIP
	if ip == "" {
		t.Fatal("Fixtures.FloatingIP is empty")
	}
	has := func(in *pb.Instance) bool {
		return slices.ContainsFunc(in.GetAddresses(), func(a *pb.Address) bool {
			return a.GetAddress() == ip && a.GetType() == pb.Address_FLOATING
		})
	}
	if _, err := s.s.AddFloatingIp(s.ctx, &pb.AddFloatingIpRequest{Name: name, Address: ip}); err != nil {
		t.Fatal(err)
	}
	s.eventually(t, name, "floating IP "+ip+" added", has)
	if _, err := s.s.RemoveFloatingIp(s.ctx, &pb.RemoveFloatingIpRequest{Name: name, Address: ip}); err != nil {
		t.Fatal(err)
	}
	s.eventually(t, name, "floating IP "+ip+" removed", func(in *pb.Instance) bool { return !has(in) })
}

func (s *suite) eventually(t *testing.T, name, what string, ok func(*pb.Instance) bool) {
	t.Helper()
	eventually.Nil(t, WaitTimeout, what, func() error {
		in, err := s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if ok(in) {
			return nil
		}
		return eventually.NotYet("%v", in)
	})
}

func (s *suite) testPaging(t *testing.T) {
	var created []string
	for i := range 3 {
		created = append(created, s.create(t, fmt.Sprintf("conf-page-%d", i)).GetName())
	}
	t.Cleanup(func() {
		for _, n := range created {
			_, _ = s.s.DeleteInstance(s.ctx, &pb.DeleteInstanceRequest{Name: n})
		}
	})
	parent := "clouds/" + cloudName
	seen := map[string]int{}
	token := ""
	pages := 0
	for {
		res, err := s.s.ListInstances(s.ctx, &pb.ListInstancesRequest{Parent: parent, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(res.GetInstances()) > 2 {
			t.Fatalf("page of %d instances for page_size 2", len(res.GetInstances()))
		}
		for _, in := range res.GetInstances() {
			seen[in.GetName()]++
		}
		pages++
		token = res.GetNextPageToken()
		if token == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		if pages == 1 {
			// A tampered token, and one reused with another filter, are
			// INVALID_ARGUMENT.
			// The middle character is replaced by another one, so the
			// token always differs (a fixed suffix once matched by chance).
			mid := len(token) / 2
			swap := byte('A')
			if token[mid] == 'A' {
				swap = 'B'
			}
			tampered := token[:mid] + string(swap) + token[mid+1:]
			_, err := s.s.ListInstances(s.ctx, &pb.ListInstancesRequest{Parent: parent, PageSize: 2, PageToken: tampered})
			wantCode(t, err, codes.InvalidArgument, "tampered page token")
			_, err = s.s.ListInstances(s.ctx, &pb.ListInstancesRequest{Parent: parent, PageSize: 2, PageToken: token, Filter: "state = RUNNING"})
			wantCode(t, err, codes.InvalidArgument, "page token with another filter")
		}
	}
	if pages < 2 {
		t.Errorf("3+ instances with page_size 2 came in %d page(s)", pages)
	}
	for _, n := range created {
		if seen[n] != 1 {
			t.Errorf("%s listed %d times across pages, want once", n, seen[n])
		}
	}
	for n, c := range seen {
		if c > 1 {
			t.Errorf("%s listed %d times", n, c)
		}
	}
	// A filter on display name finds exactly that instance.
	res, err := s.s.ListInstances(s.ctx, &pb.ListInstancesRequest{Parent: parent, Filter: `display_name = "conf-page-1"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetInstances()) != 1 || res.GetInstances()[0].GetName() != created[1] {
		t.Errorf("filter display_name = conf-page-1 returned %v", res.GetInstances())
	}
}

// watchStream collects what WatchInstance sends.
type watchStream struct {
	grpc.ServerStream
	ctx  context.Context
	sent []*pb.Instance
}

func (w *watchStream) Send(in *pb.Instance) error { w.sent = append(w.sent, in); return nil }
func (w *watchStream) Context() context.Context   { return w.ctx }
func (w *watchStream) SetHeader(metadata.MD) error {
	return errors.New("not supported")
}

func implements[T any](a driver.Adapter) bool {
	_, ok := a.(T)
	return ok
}

// newRequestID returns a random version-4 UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// testMarker: a create with request_id carries it to the vendor as the
// driver.MarkerKey metadata item, which the adapter reads back (from the
// vendor's own answer) on get and list; the portable layer hides it, and
// callers cannot set it.
func (s *suite) testMarker(t *testing.T) {
	id := newRequestID()
	in := &pb.Instance{DisplayName: "conf-marker", Flavor: s.fx.FlavorID, Image: s.fx.ImageID, Zone: s.fx.Zone, KeyPair: s.fx.KeyPair,
		Metadata: map[string]string{"purpose": "conformance"}}
	for _, n := range s.fx.Networks {
		in.Networks = append(in.Networks, &pb.NetworkAttachment{Network: n.NetworkID, Subnet: n.SubnetID, Port: n.PortID, FixedIp: n.FixedIP})
	}
	if bv := s.fx.BootVolume; bv != nil {
		in.BootVolume = &pb.BootVolume{SizeGb: int32(bv.SizeGB), Type: bv.Type, DeleteOnTermination: bv.DeleteOnTermination}
	}
	parent := "clouds/" + cloudName
	bad := proto.Clone(in).(*pb.Instance)
	bad.Metadata = map[string]string{driver.MarkerKey: id}
	_, err := s.s.CreateInstance(s.ctx, &pb.CreateInstanceRequest{Parent: parent, Instance: bad, RequestId: newRequestID()})
	wantCode(t, err, codes.InvalidArgument, "CreateInstance with the marker key in metadata")

	got, err := s.s.CreateInstance(s.ctx, &pb.CreateInstanceRequest{Parent: parent, Instance: in, RequestId: id})
	if err != nil {
		t.Fatalf("CreateInstance with request_id: %v", err)
	}
	if _, ok := got.GetMetadata()[driver.MarkerKey]; ok || got.GetMetadata()["purpose"] != "conformance" {
		t.Errorf("create answer metadata %v: want the caller's items and no %s", got.GetMetadata(), driver.MarkerKey)
	}
	vid := got.GetName()[len(parent+"/instances/"):]
	defer func() { _, _ = s.s.DeleteInstance(s.ctx, &pb.DeleteInstanceRequest{Name: got.GetName()}) }()
	s.waitFor(t, got.GetName(), pb.Instance_RUNNING)
	raw, err := s.a.GetInstance(s.ctx, vid)
	if err != nil {
		t.Fatalf("adapter GetInstance: %v", err)
	}
	if m := driver.MarkerOf(raw); m != id {
		t.Errorf("the vendor's instance carries marker %q, want the request_id %q (metadata %v)", m, id, raw.Metadata)
	}
	if raw.Metadata["purpose"] != "conformance" {
		t.Errorf("the vendor's instance lost the caller's metadata: %v", raw.Metadata)
	}
	page, err := s.a.ListInstances(s.ctx, driver.ListInstancesOptions{PageSize: 1000, Filter: driver.InstanceFilter{Name: "conf-marker"}})
	if err != nil {
		t.Fatalf("adapter ListInstances: %v", err)
	}
	found := 0
	for i := range page.Instances {
		if driver.MarkerOf(&page.Instances[i]) == id {
			found++
		}
	}
	if found != 1 {
		t.Errorf("listing by name found %d instances with the marker, want 1 (%d listed)", found, len(page.Instances))
	}
	// driver.FindMarked (the adapter's MarkerFinder where it has one)
	// finds it, and finds nothing for another request_id.
	if in, err := driver.FindMarked(s.ctx, s.a, "conf-marker", id); err != nil || in == nil || in.ID != vid {
		t.Errorf("FindMarked(%s) = %+v, %v; want instance %s", id, in, err, vid)
	}
	if in, err := driver.FindMarked(s.ctx, s.a, "conf-marker", newRequestID()); err != nil || in != nil {
		t.Errorf("FindMarked(an unused request_id) = %+v, %v; want nothing", in, err)
	}
	for _, read := range []func() (*pb.Instance, error){
		func() (*pb.Instance, error) {
			return s.s.GetInstance(s.ctx, &pb.GetInstanceRequest{Name: got.GetName()})
		},
	} {
		in, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := in.GetMetadata()[driver.MarkerKey]; ok {
			t.Errorf("GetInstance shows the marker: %v", in.GetMetadata())
		}
	}
	list, err := s.s.ListInstances(s.ctx, &pb.ListInstancesRequest{Parent: parent, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list.GetInstances() {
		if _, ok := in.GetMetadata()[driver.MarkerKey]; ok {
			t.Errorf("ListInstances shows the marker on %s: %v", in.GetName(), in.GetMetadata())
		}
	}
}
