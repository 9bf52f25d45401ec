package k5

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/computegw/computegw/driver"
)

// The one-pass decode reads every server answer of the guide as
// gophercloud's servers.Server (the adapter's decoder until now) does.
func TestDecodeGuideServersAgreeWithGophercloud(t *testing.T) {
	var list struct {
		Servers []json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal([]byte(guideListServersDetail), &list); err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{"list details": list.Servers[0]}
	for name, doc := range map[string]string{"extended status": guideShowServerExtendedStatus, "MAC": guideShowServerMAC, "update": guideUpdateServerResponse} {
		var one struct {
			Server json.RawMessage `json:"server"`
		}
		if err := json.Unmarshal([]byte(doc), &one); err != nil || one.Server == nil {
			t.Fatalf("%s: %v", name, err)
		}
		bodies[name] = one.Server
	}
	for name, b := range bodies {
		mine, ref := decodeBoth[k5Server, servers.Server](t, name, b)
		got := toInstance(&mine)
		if got.ID == "" || got.ID != ref.ID || got.Name != ref.Name || got.VendorStatus != ref.Status ||
			got.FlavorID != ref.Flavor["id"] || got.ImageID != ref.Image["id"] || got.Zone != ref.AvailabilityZone ||
			!got.Created.Equal(ref.Created) || !got.Updated.Equal(ref.Updated) || got.Metadata["My Server Name"] != ref.Metadata["My Server Name"] {
			t.Errorf("%s: %+v\ngophercloud %+v", name, got, ref)
		}
		var want []driver.Address
		for _, net := range []string{"private", "public"} {
			list, _ := ref.Addresses[net].([]any)
			for _, raw := range list {
				m := raw.(map[string]any)
				v, _ := m["version"].(float64)
				mac, _ := m["OS-EXT-IPS-MAC:mac_addr"].(string)
				want = append(want, driver.Address{Network: net, IP: m["addr"].(string), Version: int(v), Type: driver.AddressFixed, MAC: mac})
			}
		}
		if len(want) == 0 || fmt.Sprint(got.Addresses) != fmt.Sprint(want) {
			t.Errorf("%s: addresses %+v, want %+v", name, got.Addresses, want)
		}
		if name == "MAC" && got.Addresses[0].MAC != "00:0c:29:e1:42:90" {
			t.Errorf("MAC %q", got.Addresses[0].MAC)
		}
	}
}

func TestDecodeAwkwardK5ServerShapes(t *testing.T) {
	base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(guideShowServerExtendedStatus), `{
  "server": `), "\n}")
	for _, tc := range []struct {
		name, from, to string
		check          func(t *testing.T, in driver.Instance)
	}{
		{"image as the empty string (booted from a volume)", `"image": {`, `"image": "", "image-was": {`, func(t *testing.T, in driver.Instance) {
			if in.ImageID != "" || in.ID == "" {
				t.Errorf("image %q", in.ImageID)
			}
		}},
		{"launched_at without a zone", `"name":`, `"OS-SRV-USG:launched_at": "2013-02-07T19:35:09.000000", "name":`, func(t *testing.T, in driver.Instance) {
			if !in.Launched.Equal(time.Date(2013, 2, 7, 19, 35, 9, 0, time.UTC)) {
				t.Errorf("launched %v", in.Launched)
			}
		}},
		{"unreadable updated is zero, not a failed read", `"updated": "2013-02-07T19:35:10Z"`, `"updated": "soon"`, func(t *testing.T, in driver.Instance) {
			if !in.Updated.IsZero() || in.ID == "" {
				t.Errorf("updated %v", in.Updated)
			}
		}},
		{"address version as a string", `"version": 4`, `"version": "4"`, func(t *testing.T, in driver.Instance) {
			if len(in.Addresses) != 1 || in.Addresses[0].Version != 4 {
				t.Errorf("addresses %+v", in.Addresses)
			}
		}},
		{"admin_pass metadata is never echoed", `"metadata": {`, `"metadata": {"admin_pass": "s3cret", `, func(t *testing.T, in driver.Instance) {
			if _, ok := in.Metadata["admin_pass"]; ok || in.Metadata["My Server Name"] != "Apache1" {
				t.Errorf("metadata %v", in.Metadata)
			}
		}},
		{"task state and security groups", `"OS-EXT-STS:task_state": null`, `"OS-EXT-STS:task_state": "powering-on", "security_groups": [{"name": "default"}, {"name": "default"}, {"name": "web"}]`, func(t *testing.T, in driver.Instance) {
			if in.TaskState != "powering-on" || strings.Join(in.SecurityGroups, ",") != "default,web" {
				t.Errorf("task %q groups %v", in.TaskState, in.SecurityGroups)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(base, tc.from, tc.to, 1)
			if body == base {
				t.Fatalf("example has no %q", tc.from)
			}
			var s k5Server
			if err := json.Unmarshal([]byte(body), &s); err != nil {
				t.Fatal(err)
			}
			tc.check(t, toInstance(&s))
		})
	}
}
