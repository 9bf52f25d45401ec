package k5

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/driver"
)

func TestPartialServerListDuringMaintenance(t *testing.T) {
	srv := newFake(t, fake.Options{SeedInstances: true})
	a := fakeAdapter(t, srv)
	ctx := context.Background()
	srv.SetMaintenance(true)
	_, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10})
	e := asDriverError(t, err)
	if e.Code != driver.CodeUnavailable || e.RetryAfter != time.Minute || !strings.Contains(e.Message, "may be partial during K5 infrastructure maintenance") {
		t.Fatalf("got %+v", e)
	}
	srv.SetMaintenance(false)
	p, err := a.ListInstances(ctx, driver.ListInstancesOptions{PageSize: 10})
	if err != nil || len(p.Instances) != 2 {
		t.Fatalf("after maintenance: %v, %+v", err, p)
	}
}

func TestPartialRuleSparesUnplacedServers(t *testing.T) {
	// A server without a host (not scheduled yet, failed scheduling,
	// offloaded, or deleted and listed by changes-since) may have no zone:
	// not a partial list.
	resp := `{"servers": [
		{"id": "a", "name": "a", "status": "BUILD", "OS-EXT-AZ:availability_zone": "", "OS-EXT-STS:task_state": "scheduling"},
		{"id": "b", "name": "b", "status": "ERROR"},
		{"id": "d", "name": "d", "status": "SHELVED_OFFLOADED", "OS-EXT-AZ:availability_zone": ""},
		{"id": "e", "name": "e", "status": "DELETED"},
		{"id": "f", "name": "f", "status": "SOFT_DELETED", "OS-EXT-AZ:availability_zone": null},
		{"id": "c", "name": "c", "status": "ACTIVE", "OS-EXT-AZ:availability_zone": "uk-1a"}]}`
	s := newScript(t, exchange{method: "GET", path: "/servers/detail", status: 200, resp: resp})
	p, err := s.adapter(t).ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 10})
	if err != nil || len(p.Instances) != 6 {
		t.Fatalf("got %v %+v", err, p)
	}
	s2 := newScript(t, exchange{method: "GET", path: "/servers/detail", status: 200, resp: strings.Replace(resp, `"status": "ERROR"`, `"status": "SHUTOFF"`, 1)})
	if _, err := s2.adapter(t).ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 10}); driver.CodeOf(err) != driver.CodeUnavailable {
		t.Fatalf("SHUTOFF server without zone: %v, want Unavailable", err)
	}
}

func TestPartialKeyPairList(t *testing.T) {
	resp := `{"keypairs": [{"keypair": {"name": "a", "fingerprint": "f", "public_key": "k", "availability_zone": "uk-1a"}},
		{"keypair": {"name": "b", "fingerprint": "f", "public_key": "k"}}]}`
	s := newScript(t, exchange{method: "GET", path: "/os-keypairs", status: 200, resp: resp})
	_, err := s.adapter(t).ListKeyPairs(context.Background())
	if e := asDriverError(t, err); e.Code != driver.CodeUnavailable || e.RetryAfter != time.Minute {
		t.Fatalf("got %+v", e)
	}
}

func TestZones(t *testing.T) {
	ctx := context.Background()
	t.Run("FallbackToConfigured", func(t *testing.T) {
		srv := newFake(t, fake.Options{}) // answers 404 to os-availability-zone
		a := fakeAdapter(t, srv, func(c *Config) { c.Zones = []string{"uk-1a", "uk-1b"} })
		zs, err := a.ListZones(ctx)
		if err != nil || len(zs) != 2 || zs[0] != (driver.Zone{Name: "uk-1a", Available: true}) || zs[1].Name != "uk-1b" {
			t.Fatalf("got %v %+v", err, zs)
		}
	})
	t.Run("NoFallbackConfigured", func(t *testing.T) {
		srv := newFake(t, fake.Options{})
		_, err := fakeAdapter(t, srv).ListZones(ctx)
		if e := asDriverError(t, err); e.Code != driver.CodeFailedPrecondition || !strings.Contains(e.Message, "add zones") {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("Listed", func(t *testing.T) {
		srv := newFake(t, fake.Options{ZoneListing: true, Zones: []string{"jp-east-1a", "jp-east-1b", "jp-east-1c"}})
		zs, err := fakeAdapter(t, srv, func(c *Config) { c.Zones = []string{"ignored"} }).ListZones(ctx)
		if err != nil || len(zs) != 3 || zs[2].Name != "jp-east-1c" {
			t.Fatalf("got %v %+v", err, zs)
		}
	})
}

func TestRestrictedImageThroughFake(t *testing.T) {
	srv := newFake(t, fake.Options{})
	_, err := fakeAdapter(t, srv).CreateInstance(context.Background(), &driver.CreateInstanceRequest{
		Name: "x", FlavorID: fake.FlavorS1, ImageID: fake.ImageRestricted, Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkA}}})
	if e := asDriverError(t, err); e.Code != driver.CodePermissionDenied || e.VendorHTTPStatus != 500 {
		t.Fatalf("got %+v", e)
	}
}

func TestWindowsAdminPassAndOneTimeAdminPass(t *testing.T) {
	srv := newFake(t, fake.Options{})
	a := fakeAdapter(t, srv)
	ctx := context.Background()
	in, err := a.CreateInstance(ctx, &driver.CreateInstanceRequest{
		Name: "win-1", FlavorID: fake.FlavorM1, ImageID: fake.ImageWindows, Zone: fake.ZoneB,
		Networks: []driver.NetworkSpec{{NetworkID: fake.NetworkB}}, KeyName: fake.KeyPairName,
		Metadata: map[string]string{"admin_pass": "P@ssw0rd-for-cloudbase-init", "role": "ad"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.AdminPass == "" || in.BootVolumeSizeGB != 80 {
		t.Errorf("created %+v: want the one-time adminPass and an 80 GB boot volume (image minDisk)", in)
	}
	if got := srv.ServerMetadata(in.ID)["admin_pass"]; got != "P@ssw0rd-for-cloudbase-init" {
		t.Errorf("K5 did not receive admin_pass metadata: %q", got)
	}
	read, err := a.GetInstance(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := read.Metadata["admin_pass"]; ok || read.Metadata["role"] != "ad" || read.AdminPass != "" {
		t.Errorf("read back %+v: admin_pass must not be echoed, AdminPass only on create", read)
	}
}

func TestValidationBeforeAnyCall(t *testing.T) {
	ok := func() *driver.CreateInstanceRequest {
		return &driver.CreateInstanceRequest{Name: "web-1", FlavorID: "f", ImageID: "i", Networks: []driver.NetworkSpec{{NetworkID: "n"}},
			BootVolume: &driver.BootVolumeSpec{SizeGB: 20}}
	}
	long := strings.Repeat("x", 256)
	cases := []struct {
		field string
		mod   func(*driver.CreateInstanceRequest)
	}{
		{"instance.display_name", func(r *driver.CreateInstanceRequest) { r.Name = " " }},
		{"instance.display_name", func(r *driver.CreateInstanceRequest) { r.Name = long }},
		{"instance.networks", func(r *driver.CreateInstanceRequest) { r.Networks = nil }},
		{"instance.networks[0].subnet", func(r *driver.CreateInstanceRequest) { r.Networks = []driver.NetworkSpec{{SubnetID: "s"}} }},
		{"instance.networks[0]", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "n", PortID: "p"}}
		}},
		{"instance.networks[0].fixed_ip", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "n", FixedIP: "fe80::1"}}
		}},
		{"instance.networks[0].fixed_ip", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{PortID: "p", FixedIP: "10.0.0.5"}}
		}},
		{"instance.metadata", func(r *driver.CreateInstanceRequest) { r.Metadata = map[string]string{long: "v"} }},
		{"instance.metadata", func(r *driver.CreateInstanceRequest) { r.Metadata = map[string]string{"k": long} }},
		{"instance.user_data", func(r *driver.CreateInstanceRequest) { r.UserData = make([]byte, 49200) }},
		{"instance.boot_volume.size_gb", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = -1 }},
		{"instance.boot_volume.type", func(r *driver.CreateInstanceRequest) { r.BootVolume.Type = "M1" }},
		{"instance.security_groups[0]", func(r *driver.CreateInstanceRequest) { r.SecurityGroups = []string{""} }},
	}
	s := newScript(t)
	a := s.adapter(t)
	for _, c := range cases {
		req := ok()
		c.mod(req)
		_, err := a.CreateInstance(context.Background(), req)
		assertViolation(t, err, c.field)
	}
	ctx := context.Background()
	_, err := a.RenameInstance(ctx, "id", "")
	assertViolation(t, err, "instance.display_name")
	assertViolation(t, a.RebuildInstance(ctx, "id", driver.RebuildRequest{ImageID: "i", Metadata: map[string]string{"": "v"}}), "metadata")
	_, err = a.CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: long})
	assertViolation(t, err, "key_pair.name")
	if n := s.tokens(); n != 0 {
		t.Errorf("validation made %d backend calls", n)
	}
}

func TestMapState(t *testing.T) {
	cases := []struct {
		status, task string
		want         driver.State
	}{
		{"BUILD", "scheduling", driver.StateProvisioning},
		{"ACTIVE", "", driver.StateRunning},
		{"PASSWORD", "", driver.StateRunning},
		{"SHUTOFF", "powering-on", driver.StateStarting},
		{"ACTIVE", "powering-on", driver.StateStarting},
		{"ACTIVE", "powering-off", driver.StateStopping},
		{"SHUTOFF", "", driver.StateStopped},
		{"STOPPED", "", driver.StateStopped},
		{"REBOOT", "rebooting", driver.StateRebooting},
		{"HARD_REBOOT", "reboot_started_hard", driver.StateRebooting},
		{"RESIZE", "resize_prep", driver.StateResizing},
		{"VERIFY_RESIZE", "", driver.StateVerifyResize},
		{"REVERT_RESIZE", "resize_reverting", driver.StateRevertingResize},
		{"MIGRATING", "", driver.StateMigrating},
		{"REBUILD", "rebuilding", driver.StateRebuilding},
		{"SHELVED", "", driver.StateShelved},
		{"SHELVED_OFFLOADED", "", driver.StateShelved},
		{"PAUSED", "", driver.StatePaused},
		{"SUSPENDED", "", driver.StateSuspended},
		{"RESCUE", "", driver.StateRescued},
		{"ACTIVE", "deleting", driver.StateDeleting},
		{"ERROR", "deleting", driver.StateDeleting},
		{"DELETED", "", driver.StateDeleted},
		{"SOFT_DELETED", "deleting", driver.StateDeleted},
		{"ERROR", "", driver.StateError},
		{"UNKNOWN", "", driver.StateUnknown},
		{"SOMETHING_NEW", "", driver.StateUnknown},
		// A task cannot refine a status K5 does not list (internal/nova).
		{"SOMETHING_NEW", "powering-on", driver.StateUnknown},
		{"SOMETHING_NEW", "deleting", driver.StateUnknown},
		// powering-on refines any listed status on K5 (nhnv2: only
		// ACTIVE/SHUTOFF/STOPPED).
		{"ERROR", "powering-on", driver.StateStarting},
		{"active", "", driver.StateRunning},
	}
	for _, c := range cases {
		if got := mapState(c.status, c.task); got != c.want {
			t.Errorf("mapState(%q, %q) = %v, want %v", c.status, c.task, got, c.want)
		}
	}
}

func TestUnknownStatusKeepsVendorStatus(t *testing.T) {
	s := newScript(t, exchange{method: "GET", path: "/servers/" + srvID, status: 200,
		resp: `{"server": {"id": "` + srvID + `", "name": "n", "status": "MAINTENANCE_HOLD", "OS-EXT-AZ:availability_zone": "uk-1a"}}`})
	in, err := s.adapter(t).GetInstance(context.Background(), srvID)
	if err != nil || in.State != driver.StateUnknown || in.VendorStatus != "MAINTENANCE_HOLD" {
		t.Fatalf("got %v %+v", err, in)
	}
}

// The quirk mappings (image 500 → PERMISSION_DENIED, image 404 → bad image,
// zone 404 → configured zones, key pair 409 → ALREADY_EXISTS) belong to
// compute's own answer, not to the login that may precede the call.
func TestQuirkMappingsIgnoreLoginAnswers(t *testing.T) {
	ctx := context.Background()
	create := &driver.CreateInstanceRequest{Name: "x", ImageID: "70a599e0-31e7-49b7-b260-868f441e862b", FlavorID: "1",
		Networks: []driver.NetworkSpec{{NetworkID: "n"}}}
	t.Run("Login500BeforeImageRead", func(t *testing.T) {
		s := newScript(t)
		s.tokenStatus = 500
		_, err := s.adapter(t).CreateInstance(ctx, create)
		if e := asDriverError(t, err); e.Code != driver.CodeUnavailable || strings.Contains(e.Message, "role may not read") {
			t.Fatalf("identity 500 during create: %+v, want Unavailable without the image explanation", e)
		}
	})
	t.Run("Login404BeforeImageRead", func(t *testing.T) {
		s := newScript(t)
		s.tokenStatus = 404
		_, err := s.adapter(t).CreateInstance(ctx, create)
		if e := asDriverError(t, err); len(e.Violations) != 0 || strings.Contains(e.Message, "has no image") {
			t.Fatalf("identity 404 during create: %+v, must not blame the image", e)
		}
	})
	t.Run("Login404BeforeZones", func(t *testing.T) {
		s := newScript(t)
		s.tokenStatus = 404
		zs, err := s.adapter(t, func(c *Config) { c.Zones = []string{"uk-1a"} }).ListZones(ctx)
		if err == nil {
			t.Fatalf("identity 404: got the configured zones %+v, want the login error", zs)
		}
	})
	t.Run("Login409BeforeKeyPairCreate", func(t *testing.T) {
		s := newScript(t)
		s.tokenStatus = 409
		_, err := s.adapter(t).CreateKeyPair(ctx, driver.CreateKeyPairRequest{Name: "k"})
		if driver.CodeOf(err) == driver.CodeAlreadyExists {
			t.Fatalf("identity 409: %v, must not claim the key pair exists", err)
		}
	})
}

// Nova's validation faults quote request values: a rejected create or
// rebuild must not carry the Windows admin_pass back to the caller or logs.
func TestAdminPassNotEchoedInErrors(t *testing.T) {
	const secret = `Sup3r"Secret-Pw`
	fault := `{"badRequest": {"code": 400, "message": "Invalid input for field/attribute metadata. Value: {\"admin_pass\": \"Sup3r\\\"Secret-Pw\", \"role\": \"ad\"}. Additional properties are not allowed"}}`
	md := map[string]string{"admin_pass": secret, "role": "ad"}
	ctx := context.Background()
	check := func(t *testing.T, err error) {
		t.Helper()
		e := asDriverError(t, err)
		if e.Code != driver.CodeInvalidArgument || e.VendorCode != "badRequest" {
			t.Fatalf("got %+v", e)
		}
		for _, text := range []string{err.Error(), e.Message, e.VendorMessage} {
			if strings.Contains(text, "Sup3r") {
				t.Errorf("error text carries the admin password: %s", text)
			}
		}
		if !strings.Contains(e.VendorMessage, "[redacted]") {
			t.Errorf("vendor message %q: want the password redacted, the rest kept", e.VendorMessage)
		}
	}
	t.Run("Create", func(t *testing.T) {
		s := newScript(t, exchange{method: "POST", path: "/servers", status: 400, resp: fault, body: `{"server": {
			"name": "win-1", "imageRef": "i", "flavorRef": "f", "networks": [{"uuid": "n"}],
			"metadata": {"admin_pass": ` + jsonString(secret) + `, "role": "ad"},
			"block_device_mapping_v2": [{"device_name": "/dev/vda", "source_type": "image", "destination_type": "volume",
				"volume_size": "80", "boot_index": "0", "uuid": "i", "delete_on_termination": "False"}]}}`})
		_, err := s.adapter(t).CreateInstance(ctx, &driver.CreateInstanceRequest{Name: "win-1", ImageID: "i", FlavorID: "f",
			Networks: []driver.NetworkSpec{{NetworkID: "n"}}, Metadata: md, BootVolume: &driver.BootVolumeSpec{SizeGB: 80}})
		check(t, err)
		s.done(t)
	})
	t.Run("Rebuild", func(t *testing.T) {
		s := newScript(t, exchange{method: "POST", path: "/servers/" + srvID + "/action", status: 400, resp: fault,
			body: `{"rebuild": {"imageRef": "i", "metadata": {"admin_pass": ` + jsonString(secret) + `, "role": "ad"}}}`})
		check(t, s.adapter(t).RebuildInstance(ctx, srvID, driver.RebuildRequest{ImageID: "i", Metadata: md}))
		s.done(t)
	})
}
