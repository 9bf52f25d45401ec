package nhnv2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/sshkey"
	"github.com/computegw/computegw/internal/testclock"
	"github.com/computegw/computegw/internal/wiretest"
)

const testDelay = 20 * time.Millisecond

func newFake(t *testing.T, opt fake.Options) *fake.Server {
	return wiretest.Closing(t, fake.NewServer(opt))
}

func newAdapter(t *testing.T, srv *fake.Server, mod func(*Config)) *Adapter {
	t.Helper()
	return wiretest.Open(t, New, Config{Name: "nhn-test", IdentityEndpoint: srv.URL, TenantID: srv.TenantID(),
		Username: fake.DemoUsername, Password: fake.DemoPassword}, mod)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func codeOf(err error) driver.Code { return driver.CodeOf(err) }

func TestNewValidatesConfig(t *testing.T) {
	good := Config{Name: "c", IdentityEndpoint: "https://id.example.com", TenantID: "t", Username: "u", Password: "p"}
	if _, err := New(good); err != nil {
		t.Fatalf("New(valid): %v", err)
	}
	for _, tc := range []struct {
		field string
		mod   func(*Config)
	}{
		{"IdentityEndpoint", func(c *Config) { c.IdentityEndpoint = "" }},
		{"IdentityEndpoint", func(c *Config) { c.IdentityEndpoint = "not a url" }},
		{"ComputeEndpoint", func(c *Config) { c.ComputeEndpoint = "ftp://x" }},
		{"TenantID", func(c *Config) { c.TenantID = "" }},
		{"Username", func(c *Config) { c.Username = "" }},
		{"Password", func(c *Config) { c.Password = "" }},
	} {
		cfg := good
		tc.mod(&cfg)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New with bad %s: err = %v, want one naming the field", tc.field, err)
		}
		if err != nil && strings.Contains(err.Error(), "p\"") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestComputeBase(t *testing.T) {
	for in, want := range map[string]string{
		"https://kr1-api-instance-infrastructure.nhncloudservice.com":          "https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T/",
		"https://kr1-api-instance-infrastructure.nhncloudservice.com/v2":       "https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T/",
		"https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T":     "https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T/",
		"https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T/":    "https://kr1-api-instance-infrastructure.nhncloudservice.com/v2/T/",
		"https://kr1-api-instance-infrastructure.nhncloudservice.com/compute/": "https://kr1-api-instance-infrastructure.nhncloudservice.com/compute/v2/T/",
	} {
		u, err := baseURL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := computeBase(u, "T"); got != want {
			t.Errorf("computeBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewMakesNoNetworkCall(t *testing.T) {
	srv := newFake(t, fake.Options{})
	newAdapter(t, srv, nil)
	if n := srv.TokenRequests(); n != 0 {
		t.Fatalf("New made %d token requests, want 0", n)
	}
}

func TestLifecycleAgainstFake(t *testing.T) {
	// The fake runs on a manual clock: every transitional state is seen for
	// sure, and each transition completes when the test advances the clock.
	clk := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, fake.Options{BuildDelay: time.Minute, ActionDelay: time.Minute, DeleteDelay: time.Minute, Now: clk.Now})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	expect := func(id string, want driver.State) *driver.Instance {
		t.Helper()
		got, err := a.GetInstance(ctx, id)
		if err != nil {
			t.Fatalf("GetInstance(%s): %v", id, err)
		}
		if got.State != want {
			t.Fatalf("instance %s: state %v (vendor %s/%s), want %v", id, got.State, got.VendorStatus, got.TaskState, want)
		}
		return got
	}
	advance := func(id string, want driver.State) *driver.Instance {
		t.Helper()
		clk.Add(time.Minute)
		return expect(id, want)
	}

	in, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{
		Name: "web-1", FlavorID: fake.FlavorM2C1M2, ImageID: fake.ImageUbuntu, Zone: fake.ZoneA,
		KeyName:  fake.KeyPairName,
		Networks: []driver.NetworkSpec{{SubnetID: fake.SubnetVPC2}},
		Metadata: map[string]string{"team": "web"}, UserData: []byte("#!/bin/sh\necho hi\n"),
		SecurityGroups: []string{"default", fake.SecurityGroupWeb},
	})
	if err != nil {
		t.Fatalf("CreateInstance: %v", err)
	}
	if in.State != driver.StateProvisioning || in.VendorStatus != "BUILD" {
		t.Errorf("new instance state %v/%q, want PROVISIONING/BUILD", in.State, in.VendorStatus)
	}
	if in.Name != "web-1" || in.FlavorID != fake.FlavorM2C1M2 || in.ImageID != fake.ImageUbuntu || in.Zone != fake.ZoneA {
		t.Errorf("new instance = %+v", in)
	}
	if len(in.VolumeIDs) != 1 {
		t.Errorf("non-U2 instance has %d volumes attached, want its root volume", len(in.VolumeIDs))
	}
	if len(in.Addresses) != 1 || !strings.HasPrefix(in.Addresses[0].IP, "172.16.0.") || in.Addresses[0].Network != "vpc2" ||
		in.Addresses[0].Type != driver.AddressFixed || in.Addresses[0].Version != 4 || in.Addresses[0].MAC == "" {
		t.Errorf("addresses = %+v", in.Addresses)
	}
	advance(in.ID, driver.StateRunning)

	if err := a.StartInstance(ctx, in.ID); codeOf(err) != driver.CodeFailedPrecondition {
		t.Errorf("start RUNNING instance: %v, want FailedPrecondition", err)
	}
	if err := a.StopInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	expect(in.ID, driver.StateStopping)
	advance(in.ID, driver.StateStopped)
	if err := a.StartInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	expect(in.ID, driver.StateStarting)
	advance(in.ID, driver.StateRunning)
	for _, hard := range []bool{false, true} {
		if err := a.RebootInstance(ctx, in.ID, hard); err != nil {
			t.Fatal(err)
		}
		expect(in.ID, driver.StateRebooting)
		advance(in.ID, driver.StateRunning)
	}
	if err := a.ResizeInstance(ctx, in.ID, fake.FlavorM2C2M4); err != nil {
		t.Fatal(err)
	}
	expect(in.ID, driver.StateResizing)
	if got := advance(in.ID, driver.StateRunning); got.FlavorID != fake.FlavorM2C2M4 {
		t.Errorf("after resize flavor = %s", got.FlavorID)
	}
	renamed, err := a.RenameInstance(ctx, in.ID, "web-renamed")
	if err != nil || renamed.Name != "web-renamed" {
		t.Fatalf("rename: %v %+v", err, renamed)
	}
	if err := a.ShelveInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	advance(in.ID, driver.StateShelved)
	if err := a.UnshelveInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	advance(in.ID, driver.StateRunning)

	if err := a.AddSecurityGroup(ctx, in.ID, "db"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.GetInstance(ctx, in.ID); strings.Join(got.SecurityGroups, ",") != "default,web,db" {
		t.Errorf("groups after add = %v", got.SecurityGroups)
	}
	if err := a.RemoveSecurityGroup(ctx, in.ID, "web"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddSecurityGroup(ctx, in.ID, "nope"); codeOf(err) != driver.CodeNotFound {
		t.Errorf("add unknown group: %v", err)
	}

	att, err := a.AttachVolume(ctx, in.ID, fake.VolumeA)
	if err != nil || att.VolumeID != fake.VolumeA || att.Device != "/dev/vdb" || att.InstanceID != in.ID {
		t.Fatalf("attach: %v %+v", err, att)
	}
	if _, err := a.AttachVolume(ctx, in.ID, fake.VolumeA); codeOf(err) != driver.CodeFailedPrecondition {
		t.Errorf("attach in-use volume: %v", err)
	}
	if _, err := a.AttachVolume(ctx, in.ID, "00000000-0000-0000-0000-000000000000"); codeOf(err) != driver.CodeNotFound {
		t.Errorf("attach unknown volume: %v", err)
	}
	list, err := a.ListVolumeAttachments(ctx, in.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("list attachments: %v %+v", err, list)
	}
	if _, err := a.GetVolumeAttachment(ctx, in.ID, fake.VolumeA); err != nil {
		t.Fatal(err)
	}
	if err := a.DetachVolume(ctx, in.ID, fake.VolumeA); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetVolumeAttachment(ctx, in.ID, fake.VolumeA); codeOf(err) != driver.CodeNotFound {
		t.Errorf("get after detach: %v", err)
	}

	if _, err := a.CreateInstanceImage(ctx, in.ID, "snap", nil); codeOf(err) != driver.CodeFailedPrecondition {
		t.Errorf("createImage of non-U2 instance: %v, want FailedPrecondition", err)
	}

	if err := a.DeleteInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	expect(in.ID, driver.StateDeleting)
	clk.Add(time.Minute)
	_, err = a.GetInstance(ctx, in.ID)
	var de *driver.Error
	if !errors.As(err, &de) || de.Code != driver.CodeNotFound || de.VendorCode != "itemNotFound" || de.VendorHTTPStatus != 404 || de.VendorMessage == "" {
		t.Errorf("get after delete: %+v, want NotFound with vendor details", err)
	}
	// A changes-since list still shows it, DELETED (Nova's behaviour; the
	// fake sends terminated_at in the guide's "…Z" format).
	p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10, Filter: driver.InstanceFilter{ChangesSince: in.Created}})
	if err != nil {
		t.Fatalf("changes-since list after delete: %v", err)
	}
	if len(p.Instances) != 1 || p.Instances[0].ID != in.ID || p.Instances[0].State != driver.StateDeleted || p.Instances[0].VendorStatus != "DELETED" {
		t.Errorf("changes-since list after delete = %+v", p.Instances)
	}
}

func TestU2CreateImage(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	id, err := a.CreateInstanceImage(ctxT(t), fake.InstanceBatch, "batch-snap", map[string]string{"k": "v"})
	if err != nil || len(id) != 36 {
		t.Fatalf("CreateInstanceImage = %q, %v", id, err)
	}
	// The image is usable for a create.
	in, err := a.CreateInstance(ctxT(t), &driver.CreateInstanceRequest{
		Name: "from-snap", FlavorID: fake.FlavorU2C1M2, ImageID: id, KeyName: fake.KeyPairName,
		Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkVPC2}},
	})
	if err != nil || in.ImageID != id || len(in.VolumeIDs) != 0 {
		t.Fatalf("create from snapshot: %v %+v", err, in)
	}
}

func TestListPagingAgainstFake(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	for i := range 4 {
		if _, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{
			Name: "p-" + string(rune('a'+i)), FlavorID: fake.FlavorU2C1M2, ImageID: fake.ImageUbuntu,
			KeyName: fake.KeyPairName, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkVPC2}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	marker, pages := "", 0
	for {
		p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 2, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, in := range p.Instances {
			if seen[in.ID] {
				t.Fatalf("instance %s listed twice", in.ID)
			}
			seen[in.ID] = true
		}
		if !p.More {
			break
		}
		marker = p.Instances[len(p.Instances)-1].ID
	}
	if len(seen) != 7 || pages != 4 {
		t.Errorf("paged %d instances in %d pages, want 7 in 4", len(seen), pages)
	}
	if _, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 2, Marker: "no-such-id"}); codeOf(err) != driver.CodeInvalidArgument {
		t.Errorf("unknown marker: %v, want InvalidArgument", err)
	}
	p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10, Filter: driver.InstanceFilter{Name: "p-b", State: driver.StateUnspecified}})
	if err != nil || len(p.Instances) != 1 || p.Instances[0].Name != "p-b" {
		t.Errorf("name filter: %v %+v", err, p)
	}
	p, err = a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10, Filter: driver.InstanceFilter{FlavorID: fake.FlavorM2C2M4}})
	if err != nil || len(p.Instances) != 1 || p.Instances[0].ID != fake.InstanceWebServer {
		t.Errorf("flavor filter: %v %+v", err, p)
	}
}

func TestSeededInstanceMapping(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := newAdapter(t, srv, nil)
	in, err := a.GetInstance(ctxT(t), fake.InstanceWebServer)
	if err != nil {
		t.Fatal(err)
	}
	want := []driver.Address{
		{Network: "vpc2", IP: "172.16.0.40", Version: 4, Type: driver.AddressFixed, MAC: "fa:16:3e:54:a7:64"},
		{Network: "vpc2", IP: "133.186.150.20", Version: 4, Type: driver.AddressFloating, MAC: "fa:16:3e:54:a7:64"},
	}
	if len(in.Addresses) != 2 || in.Addresses[0] != want[0] || in.Addresses[1] != want[1] {
		t.Errorf("addresses = %+v, want %+v", in.Addresses, want)
	}
	if in.State != driver.StateRunning || in.KeyName != fake.KeyPairName || in.Zone != fake.ZoneB || in.Launched.IsZero() {
		t.Errorf("instance = %+v", in)
	}
	db, err := a.GetInstance(ctxT(t), fake.InstanceDBMaster)
	if err != nil || db.State != driver.StateStopped || db.VendorStatus != "SHUTOFF" {
		t.Errorf("DB-Master = %+v, %v", db, err)
	}
}

func TestResourcesAgainstFake(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := newAdapter(t, srv, nil)
	ctx := ctxT(t)
	fl, err := a.ListFlavors(ctx, driver.FlavorFilter{MinRAMMB: 131072})
	if err != nil || len(fl) != 2 {
		t.Fatalf("ListFlavors(minRam): %v %+v", err, fl)
	}
	f, err := a.GetFlavor(ctx, fake.FlavorX1C32M256)
	if err != nil || f.Name != "x1.c32m256" || f.VCPUs != 32 || f.RAMMB != 262144 || f.Type != "performance" || !f.IsPublic {
		t.Fatalf("GetFlavor: %v %+v", err, f)
	}
	if _, err := a.GetFlavor(ctx, "nope"); codeOf(err) != driver.CodeNotFound {
		t.Errorf("GetFlavor(unknown): %v", err)
	}
	zones, err := a.ListZones(ctx)
	if err != nil || len(zones) != 2 || zones[0].Name != fake.ZoneA || !zones[0].Available {
		t.Fatalf("ListZones: %v %+v", err, zones)
	}

	gen, err := a.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: "gen-key"})
	if err != nil || !strings.HasPrefix(gen.Fingerprint, "SHA256:") {
		t.Fatalf("generate key pair: %v %+v", err, gen)
	}
	if err := sshkey.Check(gen.PrivateKey, gen.PublicKey); err != nil { // NHN answers PKCS#8; the adapter converts
		t.Errorf("generated private key: %v", err)
	}
	imp, err := a.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: "imp-key", PublicKey: fake.KeyPairPublicKey})
	if err != nil || imp.PrivateKey != "" || imp.PublicKey != fake.KeyPairPublicKey {
		t.Fatalf("import key pair: %v %+v", err, imp)
	}
	if _, err := a.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: "imp-key", PublicKey: fake.KeyPairPublicKey}); codeOf(err) != driver.CodeAlreadyExists {
		t.Errorf("duplicate key pair: %v, want AlreadyExists", err)
	}
	got, err := a.GetKeyPair(ctx, "gen-key")
	if err != nil || got.PrivateKey != "" || got.PublicKey != gen.PublicKey || got.Created.IsZero() {
		t.Fatalf("GetKeyPair: %v %+v", err, got)
	}
	kps, err := a.ListKeyPairs(ctx)
	if err != nil || len(kps) != 3 {
		t.Fatalf("ListKeyPairs: %v %+v", err, kps)
	}
	if err := a.DeleteKeyPair(ctx, "gen-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GetKeyPair(ctx, "gen-key"); codeOf(err) != driver.CodeNotFound {
		t.Errorf("get after delete: %v", err)
	}
	if err := a.DeleteKeyPair(ctx, "gen-key"); codeOf(err) != driver.CodeNotFound {
		t.Errorf("delete twice: %v", err)
	}
}

// TestOptionalInterfaces pins which optional operations nhnv2 has: the
// portable layer answers UNIMPLEMENTED for the others (confirm/revert
// resize: NHN confirms by itself; rebuild and floating IPs: not in the
// guide). The conformance suite only checks what an adapter lacks, so
// accidentally implementing one would otherwise go unnoticed.
func TestOptionalInterfaces(t *testing.T) {
	var a driver.Adapter = &Adapter{}
	for name, has := range map[string]bool{
		"InstanceRenamer":      implements[driver.InstanceRenamer](a),
		"Shelver":              implements[driver.Shelver](a),
		"ImageCreator":         implements[driver.ImageCreator](a),
		"SecurityGroupManager": implements[driver.SecurityGroupManager](a),
	} {
		if !has {
			t.Errorf("nhnv2 does not implement %s", name)
		}
	}
	for name, has := range map[string]bool{
		"ResizeConfirmer":   implements[driver.ResizeConfirmer](a),
		"Rebuilder":         implements[driver.Rebuilder](a),
		"FloatingIPManager": implements[driver.FloatingIPManager](a),
	} {
		if has {
			t.Errorf("nhnv2 implements %s, which NHN Cloud does not have", name)
		}
	}
}

func implements[T any](a driver.Adapter) bool {
	_, ok := a.(T)
	return ok
}

// TestBackendCallsHonourContext: a login or a compute call that hangs ends
// at the caller's deadline (DEADLINE_EXCEEDED) or cancellation (CANCELLED),
// not at some later timeout.
func TestBackendCallsHonourContext(t *testing.T) {
	release := make(chan struct{})
	var hangLogin atomic.Bool
	var base string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2.0/tokens" {
			if hangLogin.Load() {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access":{"token":{"id":"t","expires":"2999-01-01T00:00:00Z"},"serviceCatalog":[{"type":"compute","endpoints":[{"publicURL":"%s/v2/T"}]}]}}`, base)
			return
		}
		select { // every compute call hangs
		case <-release:
		case <-r.Context().Done():
		}
	}))
	base = hs.URL
	t.Cleanup(func() { close(release); hs.Close() })
	newA := func() *Adapter {
		a, err := New(Config{Name: "x", IdentityEndpoint: hs.URL, TenantID: "T", Username: "u", Password: "p"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	within := func(what string, want driver.Code, call func(ctx context.Context) error, cancelAfter bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		if cancelAfter {
			ctx, cancel = context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(150*time.Millisecond, cancel)
		}
		start := time.Now()
		err := call(ctx)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: returned after %v, long after the caller's context ended", what, took)
		}
		if driver.CodeOf(err) != want {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	a := newA()
	within("hanging compute call", driver.CodeDeadlineExceeded, func(ctx context.Context) error {
		_, err := a.GetInstance(ctx, "x")
		return err
	}, false)
	within("hanging compute call, canceled", driver.CodeCanceled, func(ctx context.Context) error {
		return a.StopInstance(ctx, "x")
	}, true)
	hangLogin.Store(true)
	b := newA()
	within("hanging login", driver.CodeDeadlineExceeded, func(ctx context.Context) error {
		_, err := b.ListZones(ctx)
		return err
	}, false)
}
