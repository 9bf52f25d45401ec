package server

import (
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
)

func TestParseFilter(t *testing.T) {
	f, err := parseFilter(`state = RUNNING AND display_name = "web 1" and zone="kr-pub-a" AND update_time >= "2026-01-02T03:04:05Z"`)
	if err != nil {
		t.Fatal(err)
	}
	want := driver.InstanceFilter{State: driver.StateRunning, Name: "web 1", Zone: "kr-pub-a",
		ChangesSince: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if f != want {
		t.Errorf("got %+v, want %+v", f, want)
	}
	for _, bad := range []string{`state`, `state =`, `state = RUNNING OR zone = a`, `colour = red`, `display_name = "open`,
		`state = RUNNING state = STOPPED`, `zone >= a`, `update_time = "2026-01-02T03:04:05Z"`, `update_time >= yesterday`, `zone = a AND zone = b`} {
		if _, err := parseFilter(bad); driver.CodeOf(err) != driver.CodeInvalidArgument {
			t.Errorf("filter %q: %v, want InvalidArgument", bad, err)
		}
	}
	if f, err := parseFilter(""); err != nil || f != (driver.InstanceFilter{}) {
		t.Errorf("empty filter: %+v %v", f, err)
	}
}
