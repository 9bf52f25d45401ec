package driver

import (
	"fmt"
	"testing"
	"time"
)

func TestPageLocally(t *testing.T) {
	var all []Instance
	for i := 9; i >= 0; i-- { // unsorted on purpose
		st := StateRunning
		if i%2 == 1 {
			st = StateStopped
		}
		all = append(all, Instance{ID: fmt.Sprintf("id-%02d", i), State: st})
	}
	p := PageLocally(all, ListInstancesOptions{PageSize: 3})
	if len(p.Instances) != 3 || p.Instances[0].ID != "id-00" || !p.More {
		t.Fatalf("first page %+v", p)
	}
	p = PageLocally(all, ListInstancesOptions{PageSize: 3, Marker: "id-08"})
	if len(p.Instances) != 1 || p.Instances[0].ID != "id-09" || p.More {
		t.Fatalf("last page %+v", p)
	}
	// A marker that vanished resumes where it would sort.
	p = PageLocally(all, ListInstancesOptions{PageSize: 2, Marker: "id-04x"})
	if p.Instances[0].ID != "id-05" {
		t.Fatalf("after a vanished marker: %+v", p)
	}
	// The filter applies before paging, so pages are full.
	p = PageLocally(all, ListInstancesOptions{PageSize: 2, Filter: InstanceFilter{State: StateStopped}})
	if len(p.Instances) != 2 || p.Instances[0].ID != "id-01" || p.Instances[1].ID != "id-03" || !p.More {
		t.Fatalf("filtered page %+v", p)
	}
}

func TestFilterMatch(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	in := Instance{Name: "web", State: StateRunning, FlavorID: "f", ImageID: "i", Zone: "z", Updated: now}
	cases := []struct {
		f    InstanceFilter
		want bool
	}{
		{InstanceFilter{}, true},
		{InstanceFilter{Name: "web", State: StateRunning, FlavorID: "f", ImageID: "i", Zone: "z"}, true},
		{InstanceFilter{Name: "we"}, false},
		{InstanceFilter{State: StateStopped}, false},
		{InstanceFilter{Zone: "y"}, false},
		{InstanceFilter{ChangesSince: now.Add(-time.Hour)}, true},
		{InstanceFilter{ChangesSince: now.Add(time.Hour)}, false},
	}
	for _, c := range cases {
		if got := c.f.Match(&in); got != c.want {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}
