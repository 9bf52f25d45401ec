package nhnv2

import (
	"errors"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

func validRequest() *driver.CreateInstanceRequest {
	return &driver.CreateInstanceRequest{
		Name: "web-1", FlavorID: "f", ImageID: "i", KeyName: "k",
		Networks: []driver.NetworkSpec{{SubnetID: "s"}},
	}
}

// TestCreateValidationBeforeAnyCall: everything the guide requires or
// limits is INVALID_ARGUMENT naming the portable field, and nothing reaches
// the backend (not even the login).
func TestCreateValidationBeforeAnyCall(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   func(r *driver.CreateInstanceRequest)
		field string
	}{
		{"no networks", func(r *driver.CreateInstanceRequest) { r.Networks = nil }, "instance.networks"},
		{"no key pair", func(r *driver.CreateInstanceRequest) { r.KeyName = "" }, "instance.key_pair"},
		{"no name", func(r *driver.CreateInstanceRequest) { r.Name = " " }, "instance.display_name"},
		{"long name", func(r *driver.CreateInstanceRequest) { r.Name = strings.Repeat("a", 256) }, "instance.display_name"},
		{"no flavor", func(r *driver.CreateInstanceRequest) { r.FlavorID = "" }, "instance.flavor"},
		{"no image", func(r *driver.CreateInstanceRequest) { r.ImageID = "" }, "instance.image"},
		{"network and subnet", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "n", SubnetID: "s"}}
		}, "instance.networks[0]"},
		{"empty network", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{SubnetID: "s"}, {FixedIP: "10.0.0.1"}}
		}, "instance.networks[1]"},
		{"bad fixed IP", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "n", FixedIP: "10.0.0.300"}}
		}, "instance.networks[0].fixed_ip"},
		{"user data over 65535 bytes encoded", func(r *driver.CreateInstanceRequest) {
			r.UserData = make([]byte, 49152) // 65536 bytes of base64
		}, "instance.user_data"},
		{"metadata key too long", func(r *driver.CreateInstanceRequest) {
			r.Metadata = map[string]string{strings.Repeat("k", 256): "v"}
		}, "instance.metadata"},
		{"metadata value too long", func(r *driver.CreateInstanceRequest) {
			r.Metadata = map[string]string{"k": strings.Repeat("v", 256)}
		}, "instance.metadata"},
		{"empty metadata key", func(r *driver.CreateInstanceRequest) { r.Metadata = map[string]string{"": "v"} }, "instance.metadata"},
		{"root volume too small", func(r *driver.CreateInstanceRequest) {
			r.BootVolume = &driver.BootVolumeSpec{SizeGB: 5}
		}, "instance.boot_volume.size_gb"},
		{"negative root volume", func(r *driver.CreateInstanceRequest) {
			r.BootVolume = &driver.BootVolumeSpec{SizeGB: -1}
		}, "instance.boot_volume.size_gb"},
		{"empty security group", func(r *driver.CreateInstanceRequest) { r.SecurityGroups = []string{""} }, "instance.security_groups[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, a := newWireStub(t)
			req := validRequest()
			tc.mod(req)
			_, err := a.CreateInstance(ctxT(t), req)
			var de *driver.Error
			if !errors.As(err, &de) || de.Code != driver.CodeInvalidArgument || len(de.Violations) != 1 || de.Violations[0].Field != tc.field {
				t.Fatalf("err = %+v, want InvalidArgument on %s", err, tc.field)
			}
			n := len(s.reqs())
			if n != 0 {
				t.Errorf("%d backend requests before validation failed", n)
			}
		})
	}
}

func TestCreateValidationLimitsAreInclusive(t *testing.T) {
	req := validRequest()
	req.Name = strings.Repeat("가", 255) // characters, not bytes
	req.UserData = make([]byte, 49149)  // 65532 bytes of base64
	req.Metadata = map[string]string{strings.Repeat("k", 255): strings.Repeat("v", 255)}
	req.BootVolume = &driver.BootVolumeSpec{SizeGB: 10}
	if err := validateCreate(req); err != nil {
		t.Fatalf("request at the limits rejected: %v", err)
	}
}

func TestCreateCountsValidated(t *testing.T) {
	base := func() serverCreateOpts {
		return serverCreateOpts{Name: "n", ImageRef: "i", FlavorRef: "f", KeyName: "k", Networks: []network{{UUID: "n"}}}
	}
	for _, tc := range []struct {
		min, max int
		field    string
	}{
		{1, 10, ""}, {0, 0, ""}, {10, 10, ""}, {2, 0, ""},
		{11, 11, "instance.min_count"}, {1, 11, "instance.max_count"}, {3, 2, "instance.max_count"}, {-1, 1, "instance.min_count"},
	} {
		o := base()
		o.MinCount, o.MaxCount = tc.min, tc.max
		err := o.validate()
		var de *driver.Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("min %d max %d: %v", tc.min, tc.max, err)
		case tc.field != "" && (!errors.As(err, &de) || de.Violations[0].Field != tc.field):
			t.Errorf("min %d max %d: %v, want violation on %s", tc.min, tc.max, err, tc.field)
		}
	}
	o := base()
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: servers.SourceImage, DestinationType: servers.DestinationVolume, VolumeSize: 20}}}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "uuid") {
		t.Errorf("image source without uuid: %v", err)
	}
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: servers.SourceBlank, DestinationType: servers.DestinationVolume}}}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "size_gb") {
		t.Errorf("blank volume without size: %v", err)
	}
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: servers.SourceImage, UUID: "i", VolumeSize: 20}}}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "destination_type") {
		t.Errorf("block device without destination_type: %v", err)
	}
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: servers.SourceVolume, UUID: "v", DestinationType: servers.DestinationLocal}}}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "destination_type") {
		t.Errorf("volume source to a local destination: %v", err)
	}
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: servers.SourceImage, UUID: "i", DestinationType: servers.DestinationLocal}}}
	if err := o.validate(); err != nil {
		t.Errorf("local image root (U2/GPU, size from the flavor): %v", err)
	}
	o.BlockDevices = []blockDevice{{BlockDevice: servers.BlockDevice{SourceType: "floppy", DestinationType: servers.DestinationVolume}}}
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "source_type") {
		t.Errorf("bad source type: %v", err)
	}
}

func TestCreateOptsForBootVolume(t *testing.T) {
	req := validRequest()
	o := createOptsFor(req, false, 0)
	if len(o.BlockDevices) != 1 || o.BlockDevices[0].VolumeSize != defaultRootVolume || !o.BlockDevices[0].DeleteOnTermination ||
		o.BlockDevices[0].UUID != "i" || o.BlockDevices[0].SourceType != servers.SourceImage || o.BlockDevices[0].DestinationType != servers.DestinationVolume {
		t.Errorf("default root volume = %+v", o.BlockDevices)
	}
	if o := createOptsFor(req, false, 100); o.BlockDevices[0].VolumeSize != 100 {
		t.Errorf("flavor disk not used as default size: %+v", o.BlockDevices)
	}
	req.BootVolume = &driver.BootVolumeSpec{SizeGB: 80, Type: "General SSD"}
	o = createOptsFor(req, false, 0)
	if b := o.BlockDevices[0]; b.VolumeSize != 80 || b.VolumeType != "General SSD" || b.DeleteOnTermination {
		t.Errorf("requested root volume = %+v", b)
	}
	if o := createOptsFor(req, true, 0); len(o.BlockDevices) != 0 {
		t.Errorf("U2 flavor got block devices %+v", o.BlockDevices)
	}
}
