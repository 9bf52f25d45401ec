package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
)

const securityOK = `
tls:
  cert_file: /etc/computegw/tls/tls.crt
  key_file: /etc/computegw/tls/tls.key
  client_ca_file: /etc/computegw/tls/clients-ca.crt
auth:
  jwt:
    issuer: https://idp.example.com/realms/platform
    audience: computegw
    jwks_file: /etc/computegw/jwks.json
    groups_claim: roles
  allow_unauthenticated: false
policy:
  - principals: ["group:platform-admins", "user:alice@example.com", "cert:deploy-bot"]
    clouds: ["*"]
    role: admin
  - principals: [group:ops]
    clouds: [nhn-kr1, toast]
    role: operator
`

func TestParseSecurity(t *testing.T) {
	f, err := config.Parse([]byte(valid+securityOK), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if f.TLS == nil || f.TLS.CertFile != "/etc/computegw/tls/tls.crt" || f.TLS.KeyFile != "/etc/computegw/tls/tls.key" || f.TLS.ClientCAFile != "/etc/computegw/tls/clients-ca.crt" {
		t.Errorf("tls %+v", f.TLS)
	}
	j := f.Auth.JWT
	if j == nil || j.Issuer != "https://idp.example.com/realms/platform" || j.Audience != "computegw" || j.JWKSFile != "/etc/computegw/jwks.json" || j.GroupsClaim != "roles" || f.Auth.AllowUnauthenticated {
		t.Errorf("auth %+v %+v", f.Auth, j)
	}
	if len(f.Policy) != 2 || f.Policy[0].Role != auth.Admin || f.Policy[1].Role != auth.Operator ||
		strings.Join(f.Policy[1].Clouds, ",") != "nhn-kr1,toast" || len(f.Policy[0].Principals) != 3 {
		t.Errorf("policy %+v", f.Policy)
	}
	if !f.Guarded() {
		t.Error("not guarded")
	}
	plain, err := config.Parse([]byte(valid), validEnv, dialects.All)
	if err != nil || plain.Guarded() || plain.TLS != nil || plain.Auth != nil {
		t.Errorf("no security sections: %+v, %v", plain.Security, err)
	}
}

func TestSecurityErrors(t *testing.T) {
	jwt := "auth:\n  jwt: {issuer: https://idp.example.com, audience: computegw}\n"
	for _, c := range []struct{ doc, key, says string }{
		{"tls:\n  cert_file: a\n  key_file: b\n  ca_file: c\n", "tls.ca_file", "unknown key"},
		{"tls:\n  cert_file: a\n", "tls.key_file", "required"},
		{"auth:\n  jwt: {issuer: https://i, audience: a, jwks: x}\n", "auth.jwt.jwks", "unknown key"},
		{"auth:\n  jwt: {audience: a}\n", "auth.jwt.issuer", "required"},
		{"auth:\n  jwt: {issuer: https://i}\n", "auth.jwt.audience", "required"},
		{"auth:\n  jwt: {issuer: https://i, audience: a, jwks_file: f, jwks_url: https://u}\n", "auth.jwt.jwks_url", "only one"},
		{"auth:\n  jwt: {issuer: not-a-url, audience: a}\n", "auth.jwt.issuer", "not an http(s) URL"},
		{"auth:\n  allow_unauthenticated: maybe\n", "auth.allow_unauthenticated", "true or false"},
		{"auth:\n  allow_unauthenticated: false\n", "auth", "no way to authenticate"},
		{"auth:\n  oidc: {}\n", "auth.oidc", "unknown key"},
		{jwt + "policy:\n  - principals: [group:x]\n    clouds: ['*']\n    role: superuser\n", "policy[0].role", `unknown role "superuser"`},
		{jwt + "policy:\n  - principals: [group:x]\n    clouds: [nhn-kr2]\n    role: viewer\n", "policy[0].clouds[0]", `unknown cloud "nhn-kr2"`},
		{jwt + "policy:\n  - principals: []\n    clouds: ['*']\n    role: viewer\n", "policy[0].principals", "at least one principal"},
		{jwt + "policy:\n  - clouds: ['*']\n    role: viewer\n", "policy[0].principals", "at least one principal"},
		{jwt + "policy:\n  - principals: [alice]\n    clouds: ['*']\n    role: viewer\n", "policy[0].principals[0]", "not a principal"},
		{jwt + "policy:\n  - principals: [user:a]\n    clouds: []\n    role: viewer\n", "policy[0].clouds", "required"},
		{jwt + "policy:\n  - principals: [user:a]\n    clouds: ['*']\n", "policy[0].role", "required"},
		{jwt + "policy:\n  - principals: [user:a]\n    clouds: ['*']\n    role: viewer\n    when: always\n", "policy[0].when", "unknown key"},
		{"policy:\n  - principals: [user:a]\n    clouds: ['*']\n    role: viewer\n", "policy", "add an auth section"},
	} {
		_, err := config.Parse([]byte(valid+c.doc), validEnv, dialects.All)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q:\n got %v\nwant key %s saying %q", c.doc, err, c.key, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", c.doc, err)
		}
	}
}

func TestSecurityWarnings(t *testing.T) {
	f, err := config.Parse([]byte(valid+"auth:\n  jwt: {issuer: https://i.example, audience: a}\n"), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(f.Warnings, "\n"), "every authenticated call is PERMISSION_DENIED") {
		t.Errorf("no warning for auth without policy: %v", f.Warnings)
	}
}
