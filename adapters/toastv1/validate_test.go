package toastv1

import (
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

func validRequest() *driver.CreateInstanceRequest {
	return &driver.CreateInstanceRequest{
		Name: "web-1.prod", FlavorID: "fl", ImageID: "img-linux", Zone: "kr-pub-a", KeyName: "k",
		Networks:   []driver.NetworkSpec{{NetworkID: "net"}},
		BootVolume: &driver.BootVolumeSpec{SizeGB: 20, Type: "General SSD"},
	}
}

func TestValidateCreate(t *testing.T) {
	a, err := New(Config{Endpoint: "http://127.0.0.1:1", AppKey: "k", Username: "u", Password: "p",
		WindowsImageIDs: []string{"img-win"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(r *driver.CreateInstanceRequest)
		count  int
		field  string // "" = valid
	}{
		{"valid", func(r *driver.CreateInstanceRequest) {}, 1, ""},
		{"20 characters", func(r *driver.CreateInstanceRequest) { r.Name = strings.Repeat("a", 20) }, 1, ""},
		{"21 characters", func(r *driver.CreateInstanceRequest) { r.Name = strings.Repeat("a", 21) }, 1, "instance.display_name"},
		{"windows 12", func(r *driver.CreateInstanceRequest) { r.ImageID, r.Name = "img-win", strings.Repeat("w", 12) }, 1, ""},
		{"windows 13", func(r *driver.CreateInstanceRequest) { r.ImageID, r.Name = "img-win", strings.Repeat("w", 13) }, 1, "instance.display_name"},
		{"underscore", func(r *driver.CreateInstanceRequest) { r.Name = "web_1" }, 1, "instance.display_name"},
		{"space", func(r *driver.CreateInstanceRequest) { r.Name = "web 1" }, 1, "instance.display_name"},
		{"non-ASCII", func(r *driver.CreateInstanceRequest) { r.Name = "웹서버" }, 1, "instance.display_name"},
		{"empty name", func(r *driver.CreateInstanceRequest) { r.Name = "" }, 1, "instance.display_name"},
		{"no zone", func(r *driver.CreateInstanceRequest) { r.Zone = "" }, 1, "instance.zone"},
		{"no key is the backend's call", func(r *driver.CreateInstanceRequest) { r.KeyName = "" }, 1, ""},
		{"count 0", func(r *driver.CreateInstanceRequest) {}, 0, "instance.count"},
		{"count 10", func(r *driver.CreateInstanceRequest) {}, 10, ""},
		{"count 11", func(r *driver.CreateInstanceRequest) {}, 11, "instance.count"},
		{"no network", func(r *driver.CreateInstanceRequest) { r.Networks = nil }, 1, "instance.networks"},
		{"subnet only", func(r *driver.CreateInstanceRequest) { r.Networks = []driver.NetworkSpec{{SubnetID: "s"}} }, 1, ""},
		{"empty network", func(r *driver.CreateInstanceRequest) { r.Networks = []driver.NetworkSpec{{}} }, 1, "instance.networks[0]"},
		{"both ids", func(r *driver.CreateInstanceRequest) {
			r.Networks = []driver.NetworkSpec{{NetworkID: "n", SubnetID: "s"}}
		}, 1, "instance.networks[0]"},
		{"port", func(r *driver.CreateInstanceRequest) {
			r.Networks = append(r.Networks, driver.NetworkSpec{PortID: "p"})
		}, 1, "instance.networks[1].port"},
		{"fixed IP", func(r *driver.CreateInstanceRequest) { r.Networks[0].FixedIP = "10.0.0.5" }, 1, "instance.networks[0].fixed_ip"},
		{"volume 10", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = 10 }, 1, ""},
		{"volume 1000", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = 1000 }, 1, ""},
		{"volume 25", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = 25 }, 1, "instance.boot_volume.size_gb"},
		{"volume 0", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = 0 }, 1, "instance.boot_volume.size_gb"},
		{"volume 1010", func(r *driver.CreateInstanceRequest) { r.BootVolume.SizeGB = 1010 }, 1, "instance.boot_volume.size_gb"},
		{"volume type", func(r *driver.CreateInstanceRequest) { r.BootVolume.Type = "SSD" }, 1, "instance.boot_volume.type"},
		{"volume type empty is HDD", func(r *driver.CreateInstanceRequest) { r.BootVolume.Type = "" }, 1, ""},
		{"no volume (u2)", func(r *driver.CreateInstanceRequest) { r.BootVolume = nil }, 1, ""},
		{"user data", func(r *driver.CreateInstanceRequest) { r.UserData = []byte("#!/bin/sh") }, 1, "instance.user_data"},
		{"metadata", func(r *driver.CreateInstanceRequest) { r.Metadata = map[string]string{"a": "b"} }, 1, ""},
		{"metadata long key", func(r *driver.CreateInstanceRequest) {
			r.Metadata = map[string]string{strings.Repeat("k", 256): "v"}
		}, 1, "instance.metadata"},
		{"metadata long value", func(r *driver.CreateInstanceRequest) {
			r.Metadata = map[string]string{"k": strings.Repeat("v", 256)}
		}, 1, "instance.metadata"},
		// The limits count characters, as Nova does, not UTF-8 bytes.
		{"metadata 255 Korean characters", func(r *driver.CreateInstanceRequest) {
			r.Metadata = map[string]string{strings.Repeat("키", 255): strings.Repeat("값", 255)}
		}, 1, ""},
		{"empty security group", func(r *driver.CreateInstanceRequest) { r.SecurityGroups = []string{"default", " "} }, 1, "instance.security_groups[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := validRequest()
			c.change(r)
			err := a.validateCreate(r, c.count)
			if c.field == "" {
				if err != nil {
					t.Fatalf("err %v, want valid", err)
				}
				return
			}
			de, ok := err.(*driver.Error)
			if !ok || de.Code != driver.CodeInvalidArgument {
				t.Fatalf("err %v, want InvalidArgument on %s", err, c.field)
			}
			if len(de.Violations) != 1 || de.Violations[0].Field != c.field || de.Violations[0].Description == "" {
				t.Errorf("violations %+v, want one on %s", de.Violations, c.field)
			}
		})
	}
}

func TestMapStatus(t *testing.T) {
	want := map[string]driver.State{
		"BUILD": driver.StateProvisioning, "POWERING_ON": driver.StateStarting, "ACTIVE": driver.StateRunning,
		"POWERING_OFF": driver.StateStopping, "STOP": driver.StateStopped, "REBOOTING": driver.StateRebooting,
		"RESIZING": driver.StateResizing, "MIGRATING": driver.StateMigrating, "DELETING": driver.StateDeleting,
		"ERROR": driver.StateError,
		// Anything else is UNKNOWN, including Nova names TOAST does not use.
		"SHUTOFF": driver.StateUnknown, "active": driver.StateUnknown, "": driver.StateUnknown, "VERIFY_RESIZE": driver.StateUnknown,
	}
	for status, st := range want {
		if got := mapStatus(status); got != st {
			t.Errorf("mapStatus(%q) = %v, want %v", status, got, st)
		}
		in := toInstance(&wireInstance{ID: "i", Status: flexString(status)})
		if in.VendorStatus != status || in.State != st {
			t.Errorf("toInstance status %q: state %v vendor %q", status, in.State, in.VendorStatus)
		}
	}
}

func TestParseTime(t *testing.T) {
	cases := map[string]time.Time{
		"2017-05-16T03:17:50Z":       time.Date(2017, 5, 16, 3, 17, 50, 0, time.UTC),
		"2017-05-16T02:17:50.166563": time.Date(2017, 5, 16, 2, 17, 50, 166563000, time.UTC),
		"2017-05-16T02:17:50":        time.Date(2017, 5, 16, 2, 17, 50, 0, time.UTC),
		"2017-05-16T11:17:50+09:00":  time.Date(2017, 5, 16, 2, 17, 50, 0, time.UTC),
		"2017-05-16T11:17:50.5+0900": time.Date(2017, 5, 16, 2, 17, 50, 500000000, time.UTC),
		"2017-05-16 02:17:50":        time.Date(2017, 5, 16, 2, 17, 50, 0, time.UTC),
		"":                           {},
		"yesterday":                  {},
		"2017-13-45T99:99:99Z":       {},
		" 2017-05-16T03:17:50Z ":     time.Date(2017, 5, 16, 3, 17, 50, 0, time.UTC),
	}
	for in, want := range cases {
		if got := parseTime(flexString(in)); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, want %v", in, got, want)
		}
	}
}
