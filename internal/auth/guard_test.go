package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
)

func TestRoleFor(t *testing.T) {
	for method, want := range map[string]auth.Role{
		"ListClouds": auth.Viewer, "GetCloud": auth.Viewer, "ListInstances": auth.Viewer, "GetInstance": auth.Viewer,
		"WatchInstance": auth.Viewer, "ListFlavors": auth.Viewer, "GetKeyPair": auth.Viewer, "ListVolumeAttachments": auth.Viewer,
		"UpdateInstance": auth.Operator, "StartInstance": auth.Operator, "StopInstance": auth.Operator, "RebootInstance": auth.Operator,
		"ResizeInstance": auth.Operator, "ConfirmResizeInstance": auth.Operator, "RevertResizeInstance": auth.Operator,
		"ShelveInstance": auth.Operator, "UnshelveInstance": auth.Operator, "RebuildInstance": auth.Operator,
		"CreateInstanceImage": auth.Operator, "AddSecurityGroup": auth.Operator, "RemoveSecurityGroup": auth.Operator,
		"AddFloatingIp": auth.Operator, "RemoveFloatingIp": auth.Operator, "AttachVolume": auth.Operator, "DetachVolume": auth.Operator,
		"CreateInstance": auth.Admin, "DeleteInstance": auth.Admin, "CreateKeyPair": auth.Admin, "DeleteKeyPair": auth.Admin,
		"SomeFutureRPC": auth.Admin, // fails closed
	} {
		if got := auth.RoleFor(method); got != want {
			t.Errorf("RoleFor(%s) = %s, want %s", method, got, want)
		}
	}
}

func TestPolicyRoles(t *testing.T) {
	p := auth.Policy{Rules: []auth.Rule{
		{Principals: []string{"group:platform-admins"}, Clouds: []string{"*"}, Role: auth.Admin},
		{Principals: []string{"user:bob"}, Clouds: []string{"nhn-kr1"}, Role: auth.Operator},
		{Principals: []string{"user:bob", "cert:deploy-bot"}, Clouds: []string{"*"}, Role: auth.Viewer},
	}}
	for _, c := range []struct {
		principals []string
		cloud      string
		want       auth.Role
	}{
		{[]string{"user:alice", "group:platform-admins"}, "k5-uk1", auth.Admin},
		{[]string{"user:bob"}, "nhn-kr1", auth.Operator},
		{[]string{"user:bob"}, "k5-uk1", auth.Viewer},
		{[]string{"cert:deploy-bot"}, "toast", auth.Viewer},
		{[]string{"user:carol"}, "nhn-kr1", auth.NoRole},
		{[]string{"group:platform"}, "nhn-kr1", auth.NoRole}, // exact match only
		{nil, "nhn-kr1", auth.NoRole},
	} {
		if got := p.Role(c.principals, c.cloud); got != c.want {
			t.Errorf("Role(%v, %s) = %s, want %s", c.principals, c.cloud, got, c.want)
		}
	}
}

func TestCheckPrincipal(t *testing.T) {
	for _, ok := range []string{"user:alice@example.com", "group:ops", "cert:deploy-bot", "anonymous"} {
		if err := auth.CheckPrincipal(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"alice", "user:", "role:admin", "Anonymous", ""} {
		if err := auth.CheckPrincipal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGuardAuthenticate(t *testing.T) {
	p := authtest.NewProvider(issuer, audience)
	v := fileVerifier(t, p, nil)
	jwtOnly := &auth.Guard{JWT: v}
	both := &auth.Guard{JWT: v, Certs: true}
	certOnly := &auth.Guard{Certs: true}
	open := &auth.Guard{JWT: v, AllowAnonymous: true}
	tok := p.Token("alice", "ops")
	cases := []struct {
		name   string
		g      *auth.Guard
		c      auth.Credentials
		want   string // principal, or "" for an error
		errSay string
	}{
		{"jwt", jwtOnly, auth.Credentials{Authorization: "Bearer " + tok, AuthorizationGiven: true}, "user:alice", ""},
		{"scheme is case-insensitive", jwtOnly, auth.Credentials{Authorization: "bearer " + tok, AuthorizationGiven: true}, "user:alice", ""},
		{"no credentials", jwtOnly, auth.Credentials{}, "", "no credentials"},
		{"basic auth", jwtOnly, auth.Credentials{Authorization: "Basic YWxpY2U6cHc=", AuthorizationGiven: true}, "", "must be \"Bearer\""},
		{"empty bearer", jwtOnly, auth.Credentials{Authorization: "Bearer ", AuthorizationGiven: true}, "", "must be \"Bearer\""},
		{"cert ignored without mTLS guard", jwtOnly, auth.Credentials{CertCN: "bot", CertVerified: true}, "", "no credentials"},
		{"cert", both, auth.Credentials{CertCN: "bot", CertVerified: true}, "cert:bot", ""},
		{"cert and jwt is the jwt", both, auth.Credentials{CertCN: "bot", CertVerified: true, Authorization: "Bearer " + tok, AuthorizationGiven: true}, "user:alice", ""},
		{"cert and bad jwt is refused", both, auth.Credentials{CertCN: "bot", CertVerified: true, Authorization: "Bearer x.y.z", AuthorizationGiven: true}, "", "not a well-formed"},
		{"cert without CN", both, auth.Credentials{CertVerified: true}, "", "no subject common name"},
		{"token without auth.jwt", certOnly, auth.Credentials{Authorization: "Bearer " + tok, AuthorizationGiven: true}, "", "no auth.jwt"},
		{"anonymous", open, auth.Credentials{}, "anonymous", ""},
		{"bad token is not anonymous", open, auth.Credentials{Authorization: "Bearer x", AuthorizationGiven: true}, "", "not a well-formed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := c.g.Authenticate(context.Background(), c.c)
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), c.errSay) {
					t.Fatalf("got %v, %v; want an error saying %q", id, err, c.errSay)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Principal != c.want {
				t.Errorf("principal %s, want %s", id.Principal, c.want)
			}
		})
	}
	id, _ := jwtOnly.Authenticate(context.Background(), auth.Credentials{Authorization: "Bearer " + tok, AuthorizationGiven: true})
	if strings.Join(id.Principals, ",") != "user:alice,group:ops" {
		t.Errorf("principals %v", id.Principals)
	}
}
