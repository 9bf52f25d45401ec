package nova

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/novajson"
)

const serverJSON = `{
  "id": "s1", "name": "web", "status": "SHUTOFF", "OS-EXT-STS:task_state": "powering-on",
  "flavor": {"id": "f1", "links": []}, "image": "", "OS-EXT-AZ:availability_zone": "az1",
  "key_name": "k", "created": "2026-01-02T03:04:05Z", "updated": "2026-01-02T03:04:06.5Z",
  "OS-SRV-USG:launched_at": "2026-01-02T03:04:07.000000",
  "addresses": {
    "z-net": [{"addr": "10.0.1.5", "version": "4", "OS-EXT-IPS:type": "fixed"}],
    "a-net": [
      {"addr": "10.0.0.5", "version": 4},
      {"addr": "203.0.113.9", "version": 4, "OS-EXT-IPS:type": "FLOATING", "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"},
      {"addr": "fe80::1", "version": 7}
    ]
  },
  "metadata": {"a": "b"},
  "security_groups": [{"name": "default"}, {"name": ""}, {"name": "web"}, {"name": "default"}],
  "os-extended-volumes:volumes_attached": [{"id": "v1"}, {"id": ""}, {"id": "v2"}]
}`

func TestConverterInstance(t *testing.T) {
	var s novajson.Server
	if err := json.Unmarshal([]byte(serverJSON), &s); err != nil {
		t.Fatal(err)
	}
	for _, untyped := range []driver.AddressType{driver.AddressTypeUnspecified, driver.AddressFixed} {
		got := Converter{States: NewStates(Overrides{}), UntypedAddress: untyped}.Instance(&s)
		want := driver.Instance{
			ID: "s1", Name: "web", State: driver.StateStarting, VendorStatus: "SHUTOFF", TaskState: "powering-on",
			FlavorID: "f1", Zone: "az1", KeyName: "k",
			Created:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Updated:  time.Date(2026, 1, 2, 3, 4, 6, 5e8, time.UTC),
			Launched: time.Date(2026, 1, 2, 3, 4, 7, 0, time.UTC),
			Addresses: []driver.Address{
				{Network: "a-net", IP: "10.0.0.5", Version: 4, Type: untyped},
				{Network: "a-net", IP: "203.0.113.9", Version: 4, Type: driver.AddressFloating, MAC: "fa:16:3e:00:00:01"},
				{Network: "a-net", IP: "fe80::1", Type: untyped}, // version 7 is no IP version
				{Network: "z-net", IP: "10.0.1.5", Version: 4, Type: driver.AddressFixed},
			},
			Metadata:       map[string]string{"a": "b"},
			SecurityGroups: []string{"default", "web"},
			VolumeIDs:      []string{"v1", "v2"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("untyped %v:\n got %+v\nwant %+v", untyped, got, want)
		}
	}
}

func TestConverterEmptyServer(t *testing.T) {
	got := Converter{States: NewStates(Overrides{})}.Instance(&novajson.Server{ID: "x", Metadata: map[string]string{}})
	if got.Addresses != nil || got.Metadata != nil || got.SecurityGroups != nil || got.VolumeIDs != nil || got.State != driver.StateUnknown {
		t.Errorf("empty server converted to %+v, want no addresses, metadata, groups or volumes, state UNKNOWN", got)
	}
}
