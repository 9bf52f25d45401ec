package e2e

import (
	"strings"
	"testing"
	"time"

	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// TestConfigMode serves three clouds from a config file, each backed by a
// fake vendor server started here; K5 has no compute_endpoint and is found
// through the token's catalog, NHN likewise.
func TestConfigMode(t *testing.T) {
	nhn, toast, k5 := startFakes(t)
	// The toast password comes from a file here (password_file instead of
	// password_env; E2E_TOAST_PASSWORD is set but unused).
	toastCloud := strings.Replace(toastEntry("toast", toast.URL), "password_env: E2E_TOAST_PASSWORD",
		"password_file: "+writeFile(t, "toast-pw", toastfake.DemoPassword+"\n"), 1)
	cfg := `
http_addr: 127.0.0.1:1  # overridden by the flags
grpc_addr: 127.0.0.1:1
clouds:
` + nhnEntry("nhn-kr1", nhn.URL, "timeout", "5s") + toastCloud +
		k5Entry("k5-uk1", k5.URL, "zones", "["+k5fake.ZoneA+", "+k5fake.ZoneB+"]")
	path := writeFile(t, "computegw.yaml", cfg)
	g := start(t, []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword, "E2E_K5_PASSWORD=" + k5fake.DemoPassword}, "--config", path)

	res, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetUnreachable()) != 0 {
		t.Fatalf("unreachable: %v\n%s", res.GetUnreachable(), g.stderr.String())
	}
	per := map[string]int{}
	for _, in := range res.GetInstances() {
		per[strings.Split(in.GetName(), "/")[1]]++
	}
	for _, c := range []string{"nhn-kr1", "toast", "k5-uk1"} {
		if per[c] == 0 {
			t.Errorf("no instances from %s: %v", c, per)
		}
	}
	var zones struct{ Zones []struct{ Name string } }
	if code := g.rest(t, "GET", "/v1/clouds/k5-uk1/zones", nil, &zones); code != 200 || len(zones.Zones) == 0 {
		t.Errorf("k5 zones: HTTP %d %+v", code, zones)
	}
	for _, secret := range []string{nhnfake.DemoPassword, toastfake.DemoPassword, k5fake.DemoPassword} {
		if strings.Contains(g.stderr.String(), secret) {
			t.Errorf("a password appears in the gateway's log")
		}
	}
}

// TestWrongPasswordIsFailedPrecondition: the gateway's own credentials being
// rejected is FAILED_PRECONDITION / BACKEND_CREDENTIALS_REJECTED, and the
// password is not echoed.
func TestWrongPasswordIsFailedPrecondition(t *testing.T) {
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	cfg := "clouds:\n" + nhnEntry("nhn-kr1", nhn.URL, "password_env", "E2E_BAD_PASSWORD")
	g := start(t, []string{"E2E_BAD_PASSWORD=not-the-Password-42"}, "--config", writeFile(t, "c.yaml", cfg))
	var st struct {
		Code    int
		Message string
		Details []map[string]any
	}
	code := g.rest(t, "GET", "/v1/clouds/nhn-kr1/instances", nil, &st)
	if code != 400 || st.Code != 9 {
		t.Fatalf("HTTP %d code %d %s, want 400 / FAILED_PRECONDITION", code, st.Code, st.Message)
	}
	found := false
	for _, d := range st.Details {
		if d["reason"] == "BACKEND_CREDENTIALS_REJECTED" {
			found = true
		}
	}
	if !found {
		t.Errorf("no BACKEND_CREDENTIALS_REJECTED in %+v", st.Details)
	}
	if strings.Contains(st.Message, "not-the-Password-42") || strings.Contains(g.stderr.String(), "not-the-Password-42") {
		t.Error("the password leaked")
	}
}

// TestBadConfigExits: each bad config makes the binary exit non-zero with
// one line naming the offending key and never the secret.
func TestBadConfigExits(t *testing.T) {
	const secret = "Sup3r-Secret-Value"
	base := "\nclouds:\n" + k5Entry("k5-uk1", "https://identity.uk-1.cloud.global.fujitsu.com", "password_env", "E2E_K5_SECRET")
	cases := []struct{ name, config, key string }{
		{"unknown key", base + "    colour: blue\n", "clouds[0].colour"},
		{"unknown dialect", strings.Replace(base, "dialect: k5", "dialect: openstack", 1), "clouds[0].dialect"},
		{"duplicate cloud", base + strings.Replace(base, "clouds:\n", "", 1), "clouds[1].name"},
		{"missing credential", strings.Replace(base, "    password_env: E2E_K5_SECRET\n", "", 1), "clouds[0].password_env"},
		{"unset env", strings.Replace(base, "E2E_K5_SECRET", "E2E_UNSET_VARIABLE", 1), "clouds[0].password_env"},
		{"unreadable secret file", strings.Replace(base, "password_env: E2E_K5_SECRET", "password_file: /nonexistent/secret", 1), "clouds[0].password_file"},
		{"inline and env", strings.Replace(base, "password_env: E2E_K5_SECRET", "password: "+secret+"\n    password_env: E2E_K5_SECRET", 1), "clouds[0].password_env"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := runFor(t, gatewayCmd([]string{"E2E_K5_SECRET=" + secret}, "--config", writeFile(t, "bad.yaml", c.config)), 20*time.Second)
			if code == 0 {
				t.Fatalf("exit 0 for a bad config; output %s", out)
			}
			text := strings.TrimSpace(out)
			if strings.Count(text, "\n") != 0 {
				t.Errorf("more than one line: %q", text)
			}
			if !strings.Contains(text, c.key) {
				t.Errorf("%q does not name %s", text, c.key)
			}
			if strings.Contains(text, secret) {
				t.Errorf("the secret leaked: %q", text)
			}
		})
	}
}
