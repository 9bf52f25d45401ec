package e2e

import (
	"strings"
	"testing"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/faulttest"
)

// TestCrossCloudListSaysWhy: a clouds/- answer names, next to each
// unreachable cloud, why it failed (issue 13 finding 7), over gRPC and REST.
func TestCrossCloudListSaysWhy(t *testing.T) {
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	cfg := "\nclouds:\n" + nhnInline("good", nhn.URL, nhnfake.DemoPassword) +
		nhnInline("wrong-password", nhn.URL, "not-the-password") +
		nhnInline("gone", "http://"+faulttest.ClosedAddr(), "x", "username", "someone", "timeout", "3s")
	g := start(t, nil, "--config", writeFile(t, "why.yaml", cfg))

	res, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]*pb.UnreachableCloud{}
	for _, d := range res.GetUnreachableDetails() {
		why[d.GetCloud()] = d
	}
	if len(res.GetUnreachable()) != 2 || len(why) != 2 || len(res.GetInstances()) == 0 {
		t.Fatalf("unreachable %v details %v, %d instances", res.GetUnreachable(), res.GetUnreachableDetails(), len(res.GetInstances()))
	}
	if d := why["clouds/wrong-password"]; d.GetReason() != "BACKEND_CREDENTIALS_REJECTED" || d.GetCode() != "FAILED_PRECONDITION" {
		t.Errorf("wrong password: %v", d)
	}
	if d := why["clouds/gone"]; d.GetCode() != "UNAVAILABLE" || d.GetMessage() == "" || strings.Contains(d.GetMessage(), "not-the-password") {
		t.Errorf("unreachable endpoint: %v", d)
	}

	var rest struct {
		Unreachable        []string
		UnreachableDetails []struct{ Cloud, Code, Reason, Message string }
	}
	if code := g.rest(t, "GET", "/v1/clouds/-/instances", nil, &rest); code != 200 || len(rest.UnreachableDetails) != 2 {
		t.Fatalf("REST: HTTP %d %+v", code, rest)
	}
	for _, d := range rest.UnreachableDetails {
		if d.Reason == "" || d.Message == "" || !strings.Contains(strings.Join(rest.Unreachable, ","), d.Cloud) {
			t.Errorf("REST detail %+v", d)
		}
	}
}

// TestRESTErrorStatuses: through the binary, the statuses and details of
// issue 13 findings 4, 5 and 8.
func TestRESTErrorStatuses(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	id := nhnfake.InstanceWebServer
	cases := []struct {
		name, method, path string
		body               any
		http               int
		reason, want       string
	}{
		{"did you mean", "POST", "/v1/clouds/nhn-demo/instances", `{"displayName":"x","flavour":"f"}`, 400, "INVALID_ARGUMENT", `did you mean \"flavor\"`},
		{"page_size not a number", "GET", "/v1/clouds/nhn-demo/instances?page_size=ten", nil, 400, "INVALID_ARGUMENT", "whole number"},
		{"user data not base64", "POST", "/v1/clouds/nhn-demo/instances", `{"displayName":"x","userData":"%%%"}`, 400, "INVALID_ARGUMENT", "base64"},
		{"enum values listed", "POST", "/v1/clouds/nhn-demo/instances/" + id + ":reboot", `{"type":"gentle"}`, 400, "INVALID_ARGUMENT", "SOFT, HARD"},
		{"request_id not a UUID", "POST", "/v1/clouds/nhn-demo/instances?request_id=not-a-uuid", map[string]any{"displayName": "x", "flavor": "f", "image": "i"}, 400, "INVALID_ARGUMENT", "UUID"},
		{"unknown verb", "POST", "/v1/clouds/nhn-demo/instances/" + id + ":restart", map[string]any{}, 404, "NOT_FOUND", ":reboot"},
		{"PUT on an instance", "PUT", "/v1/clouds/nhn-demo/instances/" + id, map[string]any{}, 405, "METHOD_NOT_ALLOWED", "GET, PATCH"},
		{"GET of a custom method", "GET", "/v1/clouds/nhn-demo/instances/" + id + ":stop", nil, 405, "METHOD_NOT_ALLOWED", "POST"},
		{"body too large", "POST", "/v1/clouds/nhn-demo/instances", `{"displayName":"` + strings.Repeat("a", 5<<20) + `"}`, 413, "REQUEST_TOO_LARGE", "limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e restError
			code := g.rest(t, c.method, c.path, c.body, &e)
			if code != c.http || e.reason() != c.reason {
				t.Fatalf("HTTP %d reason %q (%s), want %d %s", code, e.reason(), e.Message, c.http, c.reason)
			}
			if !strings.Contains(e.Message, strings.ReplaceAll(c.want, `\"`, `"`)) {
				t.Errorf("message %q lacks %q", e.Message, c.want)
			}
		})
	}
	// Enum and state names in any case, in bodies and queries.
	if code := g.rest(t, "POST", "/v1/clouds/nhn-demo/instances/"+id+":reboot", map[string]any{"type": "hard"}, nil); code != 200 {
		t.Errorf(`reboot {"type":"hard"}: HTTP %d`, code)
	}
}

// TestCreateNamesEveryMissingField: a create missing several things each
// cloud needs answers all of them in one error (issue 13 finding 6), and a
// vendor's own refusal reason is in the top-level message.
func TestCreateNamesEveryMissingField(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	cases := map[string]struct {
		body   map[string]any
		fields []string
	}{
		"toast-demo": {map[string]any{"displayName": "x", "flavor": toastfake.FlavorID, "image": toastfake.ImageID},
			[]string{"instance.zone", "instance.networks", "instance.boot_volume.size_gb"}},
		"nhn-demo": {map[string]any{"displayName": "x", "flavor": nhnfake.FlavorU2C1M2, "image": nhnfake.ImageUbuntu},
			[]string{"instance.key_pair", "instance.networks"}},
	}
	for cloud, c := range cases {
		var e struct {
			Message string
			Details []struct {
				FieldViolations []struct{ Field string }
			}
		}
		if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances", c.body, &e); code != 400 {
			t.Fatalf("%s: HTTP %d %s", cloud, code, e.Message)
		}
		var got []string
		for _, d := range e.Details {
			for _, v := range d.FieldViolations {
				got = append(got, v.Field)
			}
		}
		for _, f := range c.fields {
			if !strings.Contains(strings.Join(got, ","), f) || !strings.Contains(e.Message, f) {
				t.Errorf("%s: violations %v / message %q lack %s", cloud, got, e.Message, f)
			}
		}
	}
}

// TestGetCloudCreateRequirements: GetCloud says what a create needs on each
// cloud (issue 13 finding 6), and it is exactly what a create without those
// fields is refused for, all at once.
func TestGetCloudCreateRequirements(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	for _, cloud := range []string{"nhn-demo", "toast-demo", "k5-demo"} {
		c, err := g.client.GetCloud(ctx(t), &pb.GetCloudRequest{Name: "clouds/" + cloud})
		if err != nil {
			t.Fatal(err)
		}
		req := c.GetCreateRequirements()
		if len(req.GetRequiredFields()) < 4 || req.GetDisplayNameRule() == "" || req.GetBootVolumeRule() == "" {
			t.Errorf("%s: create requirements %v", cloud, req)
			continue
		}
		fl, err := g.client.ListFlavors(ctx(t), &pb.ListFlavorsRequest{Parent: "clouds/" + cloud})
		if err != nil || len(fl.GetFlavors()) == 0 {
			t.Fatalf("%s flavors: %v", cloud, err)
		}
		body := map[string]any{"displayName": "req", "flavor": lastSegment(fl.GetFlavors()[0].GetName()), "image": demoCreate[cloud]["image"]}
		var e struct {
			Message string
			Details []struct{ FieldViolations []struct{ Field string } }
		}
		if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances", body, &e); code != 400 {
			t.Fatalf("%s: create with only name, flavor and image: HTTP %d %s", cloud, code, e.Message)
		}
		var got []string
		for _, d := range e.Details {
			for _, v := range d.FieldViolations {
				got = append(got, v.Field)
			}
		}
		for _, f := range req.GetRequiredFields() {
			if f == "instance.display_name" || f == "instance.flavor" || f == "instance.image" {
				continue
			}
			if !strings.Contains(strings.Join(got, ","), f) {
				t.Errorf("%s: requirement %s not among the violations %v of a create without it", cloud, f, got)
			}
		}
	}
}

// TestOneFingerprintFormat: the same imported key shows the same OpenSSH
// SHA-256 fingerprint on every dialect (issue 13 finding 8: nhnv2 showed
// SHA-256, the others MD5).
func TestOneFingerprintFormat(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVcTLklbKfNxKz9xs/u2oSQF+W5+VFOmRkb1n4LDUJ2 e2e@computegw"
	seen := map[string]string{}
	for _, cloud := range []string{"nhn-demo", "toast-demo", "k5-demo"} {
		var k struct{ Name, Fingerprint string }
		if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/keyPairs?key_pair_id=fp-e2e", map[string]any{"publicKey": pub}, &k); code != 200 {
			t.Fatalf("%s: import: HTTP %d %+v", cloud, code, k)
		}
		var got struct{ Fingerprint string }
		g.rest(t, "GET", "/v1/"+k.Name, nil, &got)
		if !strings.HasPrefix(k.Fingerprint, "SHA256:") || got.Fingerprint != k.Fingerprint {
			t.Errorf("%s: fingerprint %q on create, %q on get", cloud, k.Fingerprint, got.Fingerprint)
		}
		seen[cloud] = k.Fingerprint
		g.rest(t, "DELETE", "/v1/"+k.Name, nil, nil)
	}
	if seen["nhn-demo"] != seen["toast-demo"] || seen["toast-demo"] != seen["k5-demo"] {
		t.Errorf("one key, several fingerprints: %v", seen)
	}
}
