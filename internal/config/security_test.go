package config_test

import (
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

func TestSecurityWarnings(t *testing.T) {
	f, err := config.Parse([]byte(valid+"auth:\n  jwt: {issuer: https://i.example, audience: a}\n"), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(f.Warnings, "\n"), "every authenticated call is PERMISSION_DENIED") {
		t.Errorf("no warning for auth without policy: %v", f.Warnings)
	}
}
