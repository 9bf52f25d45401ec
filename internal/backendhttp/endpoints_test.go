package backendhttp

import (
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
)

func TestEndpointPolicy(t *testing.T) {
	p, err := NewEndpointPolicy("c", "https://identity.example.com", []string{"compute.example.net", "*.cloud.example.org", "10.0.0.5:8774"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{
		"https://identity.example.com/v2/t", "https://identity.example.com:443/v2/t", "https://compute.example.net:8774/v2",
		"https://kr1.cloud.example.org/v2", "https://10.0.0.5:8774/v2", "https://COMPUTE.example.net/x",
	} {
		if err := p.Check("compute", ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"http://identity.example.com/v2", // plain http with an https identity
		"https://evil.example.com/v2", "https://identity.example.com:8443/v2", "https://10.0.0.5:9999/v2",
		"https://cloud.example.org.evil.com/v2", "https://xcloud.example.org/v2", "//nohost", "https://compute.example.net@evil.com/",
	} {
		err := p.Check("compute", bad)
		if driver.CodeOf(err) != driver.CodeFailedPrecondition || !strings.Contains(err.Error(), "allowed_endpoint_hosts") {
			t.Errorf("%s: %v, want FAILED_PRECONDITION naming allowed_endpoint_hosts", bad, err)
		}
	}
	if err := p.Check("compute", "https://evil.example.com:444/v2"); !strings.Contains(err.Error(), "evil.example.com:444") {
		t.Errorf("the error does not name the host: %v", err)
	}
	// An http identity endpoint (tests, labs) allows http endpoints on trusted hosts.
	lab, _ := NewEndpointPolicy("c", "http://127.0.0.1:5000", nil)
	if err := lab.Check("compute", "http://127.0.0.1:5000/v2/t"); err != nil {
		t.Error(err)
	}
	if err := lab.Check("compute", "http://127.0.0.2:5000/v2/t"); err == nil {
		t.Error("another loopback host was trusted")
	}
	if err := lab.Check("compute", "http://127.0.0.1:5001/v2/t"); err == nil {
		t.Error("another port was trusted")
	}
	for _, bad := range []string{"", "a/b", "*.", "x?y"} {
		if _, err := NewEndpointPolicy("c", "https://i.example.com", []string{bad}); err == nil {
			t.Errorf("allowed_endpoint_hosts entry %q accepted", bad)
		}
	}
}

// Remembering trusted endpoints changes no answer: a refused endpoint is
// refused every time, a trusted one passes every time, and past the bound
// of remembered endpoints the check still runs in full.
func TestEndpointPolicyRemembersOnlyTrusted(t *testing.T) {
	p, err := NewEndpointPolicy("c", "https://identity.example.com", []string{"*.cloud.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		if err := p.Check("compute", "https://identity.example.com/v2/t"); err != nil {
			t.Errorf("round %d: trusted endpoint refused: %v", round, err)
		}
		if err := p.Check("compute", "https://evil.example.com/v2/t"); driver.CodeOf(err) != driver.CodeFailedPrecondition {
			t.Errorf("round %d: hostile endpoint: %v", round, err)
		}
	}
	for i := range 2 * maxTrusted {
		host := strings.Repeat("a", i%5+1) + string(rune('a'+i%26)) + strings.Repeat("b", i/26)
		if err := p.Check("compute", "https://"+host+".cloud.example.org/v2"); err != nil {
			t.Errorf("%s refused: %v", host, err)
		}
		if err := p.Check("compute", "https://"+host+".evil.example.com/v2"); err == nil {
			t.Errorf("%s.evil.example.com trusted", host)
		}
	}
	if n := p.nTrusted.Load(); n > maxTrusted || n == 0 {
		t.Errorf("%d endpoints remembered, bound %d", n, maxTrusted)
	}
}
