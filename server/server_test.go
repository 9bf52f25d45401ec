package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
	"github.com/computegw/computegw/internal/state"
)

// failing wraps an adapter: ListInstances and GetInstance fail or stall.
type failing struct {
	driver.Adapter
	err   error
	stall bool
	calls atomic.Int32
}

func (f *failing) ListInstances(ctx context.Context, o driver.ListInstancesOptions) (*driver.InstancePage, error) {
	f.calls.Add(1)
	if f.stall {
		<-ctx.Done()
		return nil, &driver.Error{Code: driver.CodeDeadlineExceeded, Message: "stalled", Err: ctx.Err()}
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.Adapter.ListInstances(ctx, o)
}

// bare hides the memory adapter's optional interfaces.
type bare struct{ driver.Adapter }

func newServer(t *testing.T, clouds ...Cloud) *Server {
	t.Helper()
	s, err := New(Options{Clouds: clouds, WatchInterval: 5 * time.Millisecond, CreateSettle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func seeded() driver.Adapter {
	return memory.New(memory.Options{Seed: true, Delay: 10 * time.Millisecond})
}

func TestStateEnumMatchesDriver(t *testing.T) {
	for i := driver.StateUnspecified; i <= driver.StateUnknown; i++ {
		if got := pb.Instance_State(i).String(); got != i.String() {
			t.Errorf("proto state %d is %s, driver state is %s", i, got, i)
		}
	}
	if len(pb.Instance_State_name) != int(driver.StateUnknown)+1 {
		t.Errorf("proto has %d states, driver %d", len(pb.Instance_State_name), driver.StateUnknown+1)
	}
}

func TestCrossCloudListReportsUnreachable(t *testing.T) {
	bad := &failing{Adapter: seeded(), err: &driver.Error{Code: driver.CodeUnavailable, Message: "boom"}}
	s := newServer(t, Cloud{Name: "a", Adapter: seeded()}, Cloud{Name: "b", Adapter: bad}, Cloud{Name: "c", Adapter: seeded()})
	res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetInstances()) != 4 {
		t.Errorf("got %d instances, want 4 (2 each from a and c)", len(res.GetInstances()))
	}
	if strings.Join(res.GetUnreachable(), ",") != "clouds/b" {
		t.Errorf("unreachable %v, want [clouds/b]", res.GetUnreachable())
	}
	// Next to it, why (issue 13 finding 7).
	if d := res.GetUnreachableDetails(); len(d) != 1 || d[0].GetCloud() != "clouds/b" || d[0].GetCode() != "UNAVAILABLE" ||
		d[0].GetReason() != "BACKEND_UNAVAILABLE" || !strings.Contains(d[0].GetMessage(), "boom") {
		t.Errorf("unreachable details %v", d)
	}
	for _, in := range res.GetInstances() {
		if strings.HasPrefix(in.GetName(), "clouds/b/") {
			t.Errorf("instance from the failing cloud: %s", in.GetName())
		}
	}
	// The same failure on a single-cloud list is the call's error.
	_, err = s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/b"})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("single-cloud list of a failing cloud: %v", err)
	}
	if i := rpcdetail.ErrorInfo(t, err); i.GetMetadata()["cloud"] != "b" || i.GetDomain() != ErrorDomain {
		t.Errorf("ErrorInfo %v", i)
	}
}

func TestSlowCloudDoesNotHoldOthersPastDeadline(t *testing.T) {
	slow := &failing{Adapter: seeded(), stall: true}
	s := newServer(t, Cloud{Name: "fast", Adapter: seeded()}, Cloud{Name: "slow", Adapter: slow, Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	res, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatalf("cross-cloud list with one slow cloud failed: %v", err)
	}
	if el := time.Since(start); el >= time.Second {
		t.Errorf("answered after %v, past the caller's 1s deadline", el)
	}
	if len(res.GetInstances()) != 2 || strings.Join(res.GetUnreachable(), ",") != "clouds/slow" {
		t.Errorf("got %d instances, unreachable %v", len(res.GetInstances()), res.GetUnreachable())
	}
}

func TestCrossCloudPagingVisitsEveryInstanceOnce(t *testing.T) {
	s := newServer(t, Cloud{Name: "a", Adapter: seeded()}, Cloud{Name: "b", Adapter: seeded()}, Cloud{Name: "c", Adapter: seeded()})
	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		res, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-", PageSize: 4, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetInstances()) > 4 {
			t.Fatalf("page of %d", len(res.GetInstances()))
		}
		for _, in := range res.GetInstances() {
			if seen[in.GetName()] {
				t.Errorf("%s seen twice", in.GetName())
			}
			seen[in.GetName()] = true
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 6 {
		t.Errorf("saw %d instances, want 6", len(seen))
	}
	// A token from the cross-cloud list is not valid for one cloud.
	res, _ := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-", PageSize: 1})
	_, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 1, PageToken: res.GetNextPageToken()})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("token reused on another parent: %v", err)
	}
}

func TestPageTokenFromAnotherGatewayIsRejected(t *testing.T) {
	a := seeded()
	s1, _ := New(Options{Clouds: []Cloud{{Name: "a", Adapter: a}}, PageTokenKey: []byte("key-one-key-one-key-one")})
	s2, _ := New(Options{Clouds: []Cloud{{Name: "a", Adapter: a}}, PageTokenKey: []byte("key-two-key-two-key-two")})
	s3, _ := New(Options{Clouds: []Cloud{{Name: "a", Adapter: a}}, PageTokenKey: []byte("key-one-key-one-key-one")})
	res, err := s1.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 1})
	if err != nil || res.GetNextPageToken() == "" {
		t.Fatalf("%v %v", res, err)
	}
	if _, err := s2.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 1, PageToken: res.GetNextPageToken()}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("token signed with another key: %v", err)
	}
	if _, err := s3.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a", PageSize: 1, PageToken: res.GetNextPageToken()}); err != nil {
		t.Errorf("token on a gateway sharing the key: %v", err)
	}
}

func TestValidationBeforeBackend(t *testing.T) {
	m := seeded()
	spy := &failing{Adapter: m}
	// Key pairs are optional: keep the memory adapter's, so their
	// validation is reached.
	s := newServer(t, Cloud{Name: "a", Adapter: struct {
		*failing
		driver.KeyPairManager
	}{spy, m.(driver.KeyPairManager)}})
	lists := func(r *pb.ListInstancesRequest) func() error {
		return func() error { _, err := s.ListInstances(context.Background(), r); return err }
	}
	creates := func(r *pb.CreateInstanceRequest) func() error {
		return func() error { _, err := s.CreateInstance(context.Background(), r); return err }
	}
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"bad parent", lists(&pb.ListInstancesRequest{Parent: "cloud/a"}), "parent"},
		{"bad filter", lists(&pb.ListInstancesRequest{Parent: "clouds/a", Filter: "colour = red"}), "filter"},
		{"bad state", lists(&pb.ListInstancesRequest{Parent: "clouds/a", Filter: "state = SLEEPING"}), "filter"},
		{"negative page size", lists(&pb.ListInstancesRequest{Parent: "clouds/a", PageSize: -1}), "page_size"},
		{"garbage token", lists(&pb.ListInstancesRequest{Parent: "clouds/a", PageToken: "abc"}), "page_token"},
		{"create without flavor", creates(&pb.CreateInstanceRequest{Parent: "clouds/a", Instance: &pb.Instance{DisplayName: "x", Image: "i"}}), "instance.flavor"},
		{"create with two network kinds", creates(&pb.CreateInstanceRequest{Parent: "clouds/a", Instance: &pb.Instance{DisplayName: "x", Image: "i", Flavor: "f",
			Networks: []*pb.NetworkAttachment{{Network: "n", Subnet: "s"}}}}), "instance.networks[0]"},
		{"bad fixed ip", creates(&pb.CreateInstanceRequest{Parent: "clouds/a", Instance: &pb.Instance{DisplayName: "x", Image: "i", Flavor: "f",
			Networks: []*pb.NetworkAttachment{{Network: "n", FixedIp: "10.0.0.300"}}}}), "instance.networks[0].fixed_ip"},
		{"bad request id", creates(&pb.CreateInstanceRequest{Parent: "clouds/a", RequestId: "not ok!", Instance: &pb.Instance{DisplayName: "x", Image: "i", Flavor: "f"}}), "request_id"},
		{"request id not a UUID", creates(&pb.CreateInstanceRequest{Parent: "clouds/a", RequestId: "not-a-uuid", Instance: &pb.Instance{DisplayName: "x", Image: "i", Flavor: "f"}}), "request_id"},
		{"resize without flavor", func() error {
			_, err := s.ResizeInstance(context.Background(), &pb.ResizeInstanceRequest{Name: "clouds/a/instances/x"})
			return err
		}, "flavor"},
		{"bad floating ip", func() error {
			_, err := s.AddFloatingIp(context.Background(), &pb.AddFloatingIpRequest{Name: "clouds/a/instances/x", Address: "nope"})
			return err
		}, "address"},
		{"update other field", func() error {
			_, err := s.UpdateInstance(context.Background(), &pb.UpdateInstanceRequest{Instance: &pb.Instance{Name: "clouds/a/instances/x", DisplayName: "y"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"flavor"}}})
			return err
		}, "update_mask"},
		{"bad key pair name", func() error {
			_, err := s.CreateKeyPair(context.Background(), &pb.CreateKeyPairRequest{Parent: "clouds/a", KeyPairId: "a/b", KeyPair: &pb.KeyPair{}})
			return err
		}, "key_pair_id"},
		{"bad public key", func() error {
			_, err := s.CreateKeyPair(context.Background(), &pb.CreateKeyPairRequest{Parent: "clouds/a", KeyPairId: "k", KeyPair: &pb.KeyPair{PublicKey: "hello"}})
			return err
		}, "key_pair.public_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
			fields := rpcdetail.Fields(err)
			if len(fields) == 0 || fields[0] != c.field {
				t.Errorf("field violations %v, want %s first", fields, c.field)
			}
		})
	}
	if n := spy.calls.Load(); n != 0 {
		t.Errorf("%d backend list calls for invalid requests", n)
	}
}

func TestUnknownCloudAndUnsupported(t *testing.T) {
	s := newServer(t, Cloud{Name: "a", Adapter: bare{seeded()}})
	_, err := s.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: "clouds/zz/instances/x"})
	if status.Code(err) != codes.NotFound || rpcdetail.ErrorInfo(t, err).GetReason() != "CLOUD_NOT_FOUND" {
		t.Errorf("unknown cloud: %v", err)
	}
	// The wildcard reads across clouds in ListInstances only; elsewhere it
	// is a bad argument, not an unknown cloud.
	for _, call := range []func() error{
		func() error {
			_, err := s.GetCloud(context.Background(), &pb.GetCloudRequest{Name: "clouds/-"})
			return err
		},
		func() error {
			_, err := s.ListFlavors(context.Background(), &pb.ListFlavorsRequest{Parent: "clouds/-"})
			return err
		},
		func() error {
			_, err := s.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: "clouds/-/instances/x"})
			return err
		},
	} {
		if err := call(); status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "only supported by ListInstances") {
			t.Errorf("wildcard outside ListInstances: %v", err)
		}
	}
	_, err = s.ShelveInstance(context.Background(), &pb.ShelveInstanceRequest{Name: "clouds/a/instances/x"})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("shelve on an adapter without Shelver: %v", err)
	}
	info := rpcdetail.ErrorInfo(t, err)
	if info.GetReason() != "UNSUPPORTED_BY_DIALECT" || info.GetMetadata()["dialect"] != string(memory.Name) || info.GetMetadata()["cloud"] != "a" {
		t.Errorf("ErrorInfo %v", info)
	}
	c, _ := s.GetCloud(context.Background(), &pb.GetCloudRequest{Name: "clouds/a"})
	for _, cap := range c.GetCapabilities() {
		if cap == "ShelveInstance" || cap == "AddFloatingIp" || cap == "UpdateInstance" {
			t.Errorf("capability %s advertised without the interface", cap)
		}
	}
}

func TestErrorDetails(t *testing.T) {
	e := &driver.Error{Code: driver.CodeResourceExhausted, Message: "quota", VendorHTTPStatus: 413, VendorCode: "overLimit",
		VendorMessage: "Quota exceeded", RetryAfter: 30 * time.Second, Err: errors.New("password=hunter2")}
	err := toStatus(context.Background(), &cloud{name: "k", dialect: driver.Dialect("k5")}, e)
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || strings.Contains(st.Message(), "hunter2") {
		t.Fatalf("status %v", st)
	}
	if delay, ok := rpcdetail.RetryDelay(err); !ok || delay != 30*time.Second {
		t.Errorf("RetryInfo %v (present %v), want 30s", delay, ok)
	}
	info := rpcdetail.ErrorInfo(t, err)
	want := map[string]string{"cloud": "k", "dialect": "k5", "vendor_http_status": "413", "vendor_code": "overLimit", "vendor_message": "Quota exceeded"}
	for k, v := range want {
		if info.GetMetadata()[k] != v {
			t.Errorf("metadata[%s] = %q, want %q", k, info.GetMetadata()[k], v)
		}
	}
	cred := toStatus(context.Background(), nil, &driver.Error{Code: driver.CodeCredentialsRejected, Message: "rejected"})
	if status.Code(cred) != codes.FailedPrecondition || rpcdetail.ErrorInfo(t, cred).GetReason() != "BACKEND_CREDENTIALS_REJECTED" {
		t.Errorf("credentials rejected: %v", cred)
	}
}

// countingCreate counts creates and can fail the first one.
// sameCreates sends n concurrent creates with one request_id, create i to
// on(i), and checks that the backend saw one create and every caller got
// the same instance, whose name it returns.
func sameCreates(t *testing.T, cc *countingCreate, n int, on func(i int) *Server, requestID string) string {
	t.Helper()
	var wg sync.WaitGroup
	names := make([]string, n)
	for i := range names {
		wg.Go(func() {
			in, err := on(i).CreateInstance(context.Background(), createReq(requestID, "idem"))
			if err != nil {
				t.Error(err)
				return
			}
			names[i] = in.GetName()
		})
	}
	wg.Wait()
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d backend creates for one request_id, want 1", n)
	}
	for _, n := range names {
		if n == "" || n != names[0] {
			t.Fatalf("retries answered different instances: %v", names)
		}
	}
	return names[0]
}

type countingCreate struct {
	driver.Adapter
	n       atomic.Int32
	failOne error
	delay   time.Duration
}

func (c *countingCreate) CreateInstance(ctx context.Context, r *driver.CreateInstanceRequest) (*driver.Instance, error) {
	if c.n.Add(1) == 1 && c.failOne != nil {
		return nil, c.failOne
	}
	time.Sleep(c.delay)
	return c.Adapter.CreateInstance(ctx, r)
}

// createReq builds a create; a short test key id ("r1") becomes a UUID
// derived from it (request_id must be a UUID), the same for the same key.
func createReq(id, name string) *pb.CreateInstanceRequest {
	if id != "" && !requestIDPattern.MatchString(id) {
		h := sha256.Sum256([]byte(id))
		x := hex.EncodeToString(h[:16])
		id = x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
	}
	return &pb.CreateInstanceRequest{Parent: "clouds/a", RequestId: id,
		Instance: &pb.Instance{DisplayName: name, Flavor: memory.FlavorSmall, Image: memory.ImageUbuntu}}
}

func TestCreateIsIdempotent(t *testing.T) {
	cc := &countingCreate{Adapter: seeded(), delay: 20 * time.Millisecond}
	s := newServer(t, Cloud{Name: "a", Adapter: cc})
	sameCreates(t, cc, 8, func(int) *Server { return s }, "6f1c8e0a-0000-4000-8000-000000000001")
	_, err := s.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-000000000001", "other"))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("same request_id, different request: %v", err)
	}
	if _, err := s.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-000000000002", "idem")); err != nil || cc.n.Load() != 2 {
		t.Errorf("new request_id must create again: %v (creates %d)", err, cc.n.Load())
	}
}

func TestCreateOutcomes(t *testing.T) {
	// A refused create can be retried with the same request_id.
	cc := &countingCreate{Adapter: seeded(), failOne: &driver.Error{Code: driver.CodeResourceExhausted, Message: "quota"}}
	s := newServer(t, Cloud{Name: "a", Adapter: cc})
	if _, err := s.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-0000000000a1", "x")); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("first: %v", err)
	}
	if _, err := s.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-0000000000a1", "x")); err != nil {
		t.Fatalf("retry after a definite refusal: %v", err)
	}
	// A create with an unknown outcome that made nothing is made again
	// under the same ID once the vendor shows no instance with its marker:
	// one instance in all.
	cc2 := &countingCreate{Adapter: seeded(), failOne: &driver.Error{Code: driver.CodeUnavailable, Message: "connection reset"}}
	s2 := newServer(t, Cloud{Name: "a", Adapter: cc2})
	_, _ = s2.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-0000000000a2", "x"))
	in, err := s2.CreateInstance(context.Background(), createReq("6f1c8e0a-0000-4000-8000-0000000000a2", "x"))
	if err != nil {
		t.Fatalf("retry after an unknown outcome that made nothing: %v", err)
	}
	if cc2.n.Load() != 2 {
		t.Errorf("%d creates, want 2 (the lost one and the one made again)", cc2.n.Load())
	}
	if n := countMarked(t, cc2.Adapter, "6f1c8e0a-0000-4000-8000-0000000000a2"); n != 1 || in.GetName() == "" {
		t.Errorf("%d instances carry the request_id, want 1 (%s)", n, in.GetName())
	}
}

func TestWatchEndsOnDeletionAndDeadline(t *testing.T) {
	// PROVISIONING lasts 300ms: long enough for the watch's first read to
	// see it on a loaded machine, short enough to see RUNNING before the
	// deadline.
	a := memory.New(memory.Options{Seed: true, Delay: 300 * time.Millisecond})
	s := newServer(t, Cloud{Name: "a", Adapter: a})
	in, err := s.CreateInstance(context.Background(), createReq("", "w"))
	if err != nil {
		t.Fatal(err)
	}
	// No target: the watch runs until its deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	w := &collect{ctx: ctx}
	err = s.WatchInstance(&pb.WatchInstanceRequest{Name: in.GetName()}, w)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("watch without target: %v", err)
	}
	if len(w.sent) < 2 || w.sent[0].GetState() != pb.Instance_PROVISIONING || w.sent[len(w.sent)-1].GetState() != pb.Instance_RUNNING {
		t.Errorf("watch sent %v, want PROVISIONING then RUNNING", states(w.sent))
	}
	if _, err := s.DeleteInstance(context.Background(), &pb.DeleteInstanceRequest{Name: in.GetName()}); err != nil {
		t.Fatal(err)
	}
	w = &collect{ctx: context.Background()}
	if err := s.WatchInstance(&pb.WatchInstanceRequest{Name: in.GetName()}, w); err != nil {
		t.Fatalf("watch of a deleting instance: %v", err)
	}
	if last := w.sent[len(w.sent)-1]; last.GetState() != pb.Instance_DELETED {
		t.Errorf("last state %v, want DELETED", last.GetState())
	}
}

// erroring reports every instance in ERROR, as a vendor does after a failed
// build.
type erroring struct{ driver.Adapter }

func (f erroring) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	in, err := f.Adapter.GetInstance(ctx, id)
	if err == nil {
		in.State, in.VendorStatus = driver.StateError, "ERROR"
	}
	return in, err
}

func TestWatchEndsOnError(t *testing.T) {
	s := newServer(t, Cloud{Name: "a", Adapter: erroring{seeded()}})
	in, err := s.CreateInstance(context.Background(), createReq("", "e"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := &collect{ctx: ctx}
	err = s.WatchInstance(&pb.WatchInstanceRequest{Name: in.GetName(), TargetStates: []pb.Instance_State{pb.Instance_RUNNING}}, w)
	if err != nil || len(w.sent) != 1 || w.sent[0].GetState() != pb.Instance_ERROR {
		t.Fatalf("watch for RUNNING of an instance in ERROR: err %v, sent %v; want one ERROR message and the end", err, states(w.sent))
	}
	if ctx.Err() != nil {
		t.Error("the watch held the caller until the deadline")
	}
	// Without target states a watch follows the instance: ERROR does not end it.
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	w = &collect{ctx: short}
	if err := s.WatchInstance(&pb.WatchInstanceRequest{Name: in.GetName()}, w); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("open-ended watch of an instance in ERROR: %v, want DEADLINE_EXCEEDED", err)
	}
}

func states(in []*pb.Instance) string {
	var s []string
	for _, i := range in {
		s = append(s, i.GetState().String())
	}
	return fmt.Sprint(s)
}

type collect struct {
	watchStreamBase
	ctx  context.Context
	sent []*pb.Instance
}

func (c *collect) Context() context.Context   { return c.ctx }
func (c *collect) Send(in *pb.Instance) error { c.sent = append(c.sent, in); return nil }

func TestIdempotencyForgetsAfterTTLAndBound(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	cc := &countingCreate{Adapter: seeded()}
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: cc}}, IdempotencyTTL: time.Hour, IdempotencyMaxEntries: 2,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mk := func(id string) {
		t.Helper()
		if _, err := s.CreateInstance(context.Background(), createReq(id, "ttl")); err != nil {
			t.Fatal(err)
		}
	}
	mk("6f1c8e0a-0000-4000-8000-000000000001")
	mk("6f1c8e0a-0000-4000-8000-000000000001")
	if cc.n.Load() != 1 {
		t.Fatalf("%d creates within the TTL, want 1", cc.n.Load())
	}
	now.Add(int64(2 * time.Hour))
	// The record is gone after the TTL; the in-process store then asks
	// the vendor, which still holds the instance with the marker.
	mk("6f1c8e0a-0000-4000-8000-000000000001")
	if cc.n.Load() != 1 {
		t.Fatalf("%d creates after the TTL, want 1: the vendor has the instance with this request_id", cc.n.Load())
	}
	mk("6f1c8e0a-0000-4000-8000-000000000002")
	mk("6f1c8e0a-0000-4000-8000-000000000003") // the bound of 2 evicts k1
	mk("6f1c8e0a-0000-4000-8000-000000000001")
	if cc.n.Load() != 3 {
		t.Errorf("%d creates, want 3: k1, evicted by the size bound, is found at the vendor", cc.n.Load())
	}
	if n := s.state.(*state.Memory).Len(); n > 2 {
		t.Errorf("%d entries kept, bound is 2", n)
	}
}

func TestDialectEnum(t *testing.T) {
	for d, want := range map[driver.Dialect]pb.Cloud_Dialect{
		"nhnv2": pb.Cloud_NHN_V2, "toastv1": pb.Cloud_TOAST_V1, "k5": pb.Cloud_K5,
		"memory": pb.Cloud_DIALECT_UNSPECIFIED, "": pb.Cloud_DIALECT_UNSPECIFIED, "v2": pb.Cloud_DIALECT_UNSPECIFIED,
	} {
		if got := DialectEnum(d); got != want {
			t.Errorf("DialectEnum(%q) = %v, want %v", d, got, want)
		}
	}
}

// countingGets counts the vendor reads of instances.
type countingGets struct {
	driver.Adapter
	gets atomic.Int32
}

func (c *countingGets) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	c.gets.Add(1)
	return c.Adapter.GetInstance(ctx, id)
}

// TestWatchersShareOnePoller: 500 watches of one instance are served by one
// poll stream: while it is steady the vendor sees one GetInstance per
// steady interval (not 500 per fast one); an action makes it poll fast at
// once, every watcher sees the transition and its end, and when the last
// watcher leaves the polling stops.
func TestWatchersShareOnePoller(t *testing.T) {
	cg := &countingGets{Adapter: memory.New(memory.Options{Seed: true, Delay: 150 * time.Millisecond})}
	const fast, steady = 10 * time.Millisecond, 100 * time.Millisecond
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: cg}}, WatchInterval: fast, WatchSteadyInterval: steady})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	in, err := s.CreateInstance(context.Background(), createReq("", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		got, err := s.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: in.GetName()})
		if err != nil || got.GetState() == pb.Instance_RUNNING {
			break
		}
		if i > 200 {
			t.Fatal("the instance never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	const n = 500
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	streams := make([]*collect, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range streams {
		streams[i] = &collect{ctx: ctx}
		wg.Go(func() {
			errs[i] = s.WatchInstance(&pb.WatchInstanceRequest{Name: in.GetName(), TargetStates: []pb.Instance_State{pb.Instance_STOPPED}}, streams[i])
		})
	}
	subscribed := func() int {
		s.watches.mu.Lock()
		defer s.watches.mu.Unlock()
		n := 0
		for _, p := range s.watches.polls {
			n += len(p.subs)
		}
		return n
	}
	pollers := func() int {
		s.watches.mu.Lock()
		defer s.watches.mu.Unlock()
		return len(s.watches.polls)
	}
	for subscribed() < n {
		time.Sleep(5 * time.Millisecond)
	}
	if np := pollers(); np != 1 {
		t.Fatalf("%d pollers for one instance, want 1", np)
	}
	// Steady (RUNNING): one poll per steady interval for all 500.
	before := cg.gets.Load()
	const window = 600 * time.Millisecond
	time.Sleep(window)
	steadyPolls := cg.gets.Load() - before
	if max := int32(window/steady) + 2; steadyPolls > max || steadyPolls < 2 {
		t.Errorf("%d vendor reads in %v while steady with %d watchers, want about %d (one poll stream at the steady interval)",
			steadyPolls, window, n, window/steady)
	}
	// An action: the poller goes fast at once; every watcher sees STOPPING
	// and ends at STOPPED.
	before = cg.gets.Load()
	start := time.Now()
	if _, err := s.StopInstance(context.Background(), &pb.StopInstanceRequest{Name: in.GetName()}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	took := time.Since(start)
	transitionPolls := cg.gets.Load() - before - 1 // the action's own read
	for i, st := range streams {
		if errs[i] != nil {
			t.Fatalf("watch %d: %v", i, errs[i])
		}
		if len(st.sent) < 2 || st.sent[len(st.sent)-1].GetState() != pb.Instance_STOPPED {
			t.Fatalf("watch %d saw %s, want a transition ending STOPPED", i, states(st.sent))
		}
	}
	if limit := int32(took/fast) + 3; transitionPolls > limit {
		t.Errorf("%d vendor reads during a %v transition, want at most %d (one fast poll stream)", transitionPolls, took, limit)
	}
	t.Logf("%d watchers: %d reads in %v steady, %d reads in the %v transition", n, steadyPolls, window, transitionPolls, took.Round(time.Millisecond))
	// Everyone left: no poller, no more reads.
	if np := pollers(); np != 0 {
		t.Fatalf("%d pollers left after every watcher ended", np)
	}
	after := cg.gets.Load()
	time.Sleep(3 * steady)
	if d := cg.gets.Load() - after; d != 0 {
		t.Errorf("%d vendor reads after every watcher ended", d)
	}
}
