package pathtest

import (
	"net/url"
	"testing"
)

func TestBadCatchesInjections(t *testing.T) {
	base := "http://h/v2/t/servers/"
	for _, raw := range []string{base + "x#injected", base + "x?injected=1", base + "x/injected", base + "../../../v3/auth/tokens", base + "./y"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if bad(u) == "" {
			t.Errorf("%s passed", raw)
		}
	}
	for _, raw := range []string{base + "x%23injected", base + "x%3Finjected=1", base + "x%2Finjected", base + "%2E%2E", base + "abc?id=x%3Finjected%3D1"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if why := bad(u); why != "" {
			t.Errorf("%s: %s", raw, why)
		}
	}
}
