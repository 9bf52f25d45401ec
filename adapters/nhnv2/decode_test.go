package nhnv2

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

// The one-pass decoder reads the guide's example exactly as gophercloud's
// servers.Server (today's reference for the Nova fields) does.
func TestDecodeGuideServerAgreesWithGophercloud(t *testing.T) {
	var mine nhnServer
	if err := json.Unmarshal([]byte(guideServer), &mine); err != nil {
		t.Fatal(err)
	}
	var ref servers.Server
	if err := json.Unmarshal([]byte(guideServer), &ref); err != nil {
		t.Fatal(err)
	}
	got := toInstance(&mine)
	checkGuideServer(t, &got)
	for what, pair := range map[string][2]any{
		"id":         {mine.ID, ref.ID},
		"name":       {mine.Name, ref.Name},
		"status":     {mine.Status, ref.Status},
		"task_state": {mine.TaskState, ref.TaskState},
		"flavor":     {mine.Flavor.ID, ref.Flavor["id"]},
		"image":      {mine.Image.ID, ref.Image["id"]},
		"zone":       {mine.AvailabilityZone, ref.AvailabilityZone},
		"key_name":   {mine.KeyName, ref.KeyName},
		"created":    {mine.Created.Time, ref.Created},
		"updated":    {mine.Updated.Time, ref.Updated},
		"launched":   {mine.LaunchedAt.Time, ref.LaunchedAt},
		"metadata":   {len(mine.Metadata), len(ref.Metadata)},
		"volumes":    {mine.AttachedVolumes[0].ID, ref.AttachedVolumes[0].ID},
		"groups":     {mine.SecurityGroups[0].Name, ref.SecurityGroups[0]["name"]},
	} {
		a, b := pair[0], pair[1]
		if ta, ok := a.(time.Time); ok {
			if !ta.Equal(b.(time.Time)) {
				t.Errorf("%s: %v, gophercloud %v", what, a, b)
			}
			continue
		}
		if a != b {
			t.Errorf("%s: %v, gophercloud %v", what, a, b)
		}
	}
	for k, v := range ref.Metadata {
		if mine.Metadata[k] != v {
			t.Errorf("metadata %s = %q, gophercloud %q", k, mine.Metadata[k], v)
		}
	}
}

// The shapes the guides document, and those Nova and NHN are known to send,
// that gophercloud (or a strict decode) would refuse or misread.
func TestDecodeAwkwardServerShapes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		from    string // replaced in guideServer
		to      string
		check   func(t *testing.T, s *nhnServer, in driver.Instance)
		wantErr bool
	}{
		{name: "terminated_at in the guide's …Z format", from: `"OS-SRV-USG:terminated_at": null`, to: `"OS-SRV-USG:terminated_at": "2020-02-26T08:00:00Z"`,
			check: func(t *testing.T, s *nhnServer, _ driver.Instance) {
				if !s.TerminatedAt.Equal(time.Date(2020, 2, 26, 8, 0, 0, 0, time.UTC)) {
					t.Errorf("terminated_at %v", s.TerminatedAt)
				}
			}},
		{name: "launched_at with a zone", from: `"2020-02-25T01:22:23.000000"`, to: `"2020-02-25T01:22:23Z"`,
			check: wantTime("launched", func(in driver.Instance) time.Time { return in.Launched }, time.Date(2020, 2, 25, 1, 22, 23, 0, time.UTC))},
		{name: "created with microseconds, no zone", from: `"created": "2020-02-25T01:15:46Z"`, to: `"created": "2020-02-25T01:15:46.250000"`,
			check: wantTime("created", func(in driver.Instance) time.Time { return in.Created }, time.Date(2020, 2, 25, 1, 15, 46, 250000000, time.UTC))},
		{name: "updated without zone or fraction", from: `"updated": "2020-02-25T01:22:24Z"`, to: `"updated": "2020-02-25T01:22:24"`,
			check: wantTime("updated", func(in driver.Instance) time.Time { return in.Updated }, time.Date(2020, 2, 25, 1, 22, 24, 0, time.UTC))},
		{name: "timestamp with a JSON escape", from: `"updated": "2020-02-25T01:22:24Z"`, to: `"updated": "2020-02-25T01:22:24\u005a"`,
			check: wantTime("updated", func(in driver.Instance) time.Time { return in.Updated }, time.Date(2020, 2, 25, 1, 22, 24, 0, time.UTC))},
		{name: "unreadable timestamp is zero", from: `"updated": "2020-02-25T01:22:24Z"`, to: `"updated": "yesterday"`,
			check: wantTime("updated", func(in driver.Instance) time.Time { return in.Updated }, time.Time{})},
		{name: "numeric timestamp is zero", from: `"updated": "2020-02-25T01:22:24Z"`, to: `"updated": 1582593744`,
			check: wantTime("updated", func(in driver.Instance) time.Time { return in.Updated }, time.Time{})},
		{name: "image as the empty string (booted from a volume)", from: `"image": {`, to: `"image": "", "image-was": {`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.ImageID != "" || in.ID != guideServerID {
					t.Errorf("image %q id %q", in.ImageID, in.ID)
				}
			}},
		{name: "image null", from: `"image": {`, to: `"image": null, "image-was": {`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.ImageID != "" {
					t.Errorf("image %q", in.ImageID)
				}
			}},
		{name: "task_state set", from: `"OS-EXT-STS:task_state": null`, to: `"OS-EXT-STS:task_state": "powering-off"`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.State != driver.StateStopping || in.TaskState != "powering-off" {
					t.Errorf("state %v task %q", in.State, in.TaskState)
				}
			}},
		{name: "ephemeral disk reported", from: `"NHN-EXT-ATTR:ephemeral_disk_size": 0`, to: `"NHN-EXT-ATTR:ephemeral_disk_size": 100`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.FlavorDetails == nil || in.FlavorDetails.EphemeralGB != 100 {
					t.Errorf("flavor details %+v", in.FlavorDetails)
				}
			}},
		{name: "ephemeral disk null", from: `"NHN-EXT-ATTR:ephemeral_disk_size": 0`, to: `"NHN-EXT-ATTR:ephemeral_disk_size": null`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.FlavorDetails != nil {
					t.Errorf("flavor details %+v from a null attribute", in.FlavorDetails)
				}
			}},
		{name: "floating address, type in capitals, two networks in name order",
			from: `"addresses": {`, to: `"addresses": {"a-net": [{"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "FLOATING", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"}],`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if len(in.Addresses) != 2 || in.Addresses[0].Network != "a-net" || in.Addresses[0].Type != driver.AddressFloating ||
					in.Addresses[1].Network != "vpc2" || in.Addresses[1].Type != driver.AddressFixed {
					t.Errorf("addresses %+v", in.Addresses)
				}
			}},
		{name: "escaped Korean name", from: `"name": "Web-Server"`, to: `"name": "\uc6f9-\uc11c\ubc84"`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) {
				if in.Name != "웹-서버" {
					t.Errorf("name %q", in.Name)
				}
			}},
		{name: "unknown extension fields are ignored", from: `"key_name":`, to: `"NHN-EXT-ATTR:future": {"x": [1, 2]}, "key_name":`,
			check: func(t *testing.T, _ *nhnServer, in driver.Instance) { checkGuideServer(t, &in) }},
		{name: "a documented field of the wrong type is an error", from: `"name": "Web-Server"`, to: `"name": 42`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(guideServer, tc.from, tc.to, 1)
			if body == guideServer {
				t.Fatalf("guideServer has no %q", tc.from)
			}
			var s nhnServer
			err := json.Unmarshal([]byte(body), &s)
			if tc.wantErr {
				if err == nil {
					t.Fatal("decoded without error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, &s, toInstance(&s))
		})
	}
}

func wantTime(what string, get func(driver.Instance) time.Time, want time.Time) func(*testing.T, *nhnServer, driver.Instance) {
	return func(t *testing.T, _ *nhnServer, in driver.Instance) {
		if got := get(in); !got.Equal(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
}
