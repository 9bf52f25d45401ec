package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5"
	"github.com/computegw/computegw/adapters/nhnv2"
	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/dialects"
)

const secretValue = "s3cr3t-Hunter2"

func env(m map[string]string) config.Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const valid = `
http_addr: 127.0.0.1:8080
grpc_addr: 127.0.0.1:9090
clouds:
  - name: nhn-kr1
    dialect: nhnv2
    identity_endpoint: https://api-identity.example.com
    compute_endpoint: https://kr1-api-instance.example.com
    region: KR1
    tenant_id: 6cdebe3eb0094910bc41f1d42ebe4cb7
    username: user@example.com
    password_env: NHN_API_PASSWORD
    timeout: 15s
  - name: toast
    dialect: toastv1
    endpoint: https://api-compute.cloud.toast.com/compute
    appkey: AbCdEf012345
    username: user@example.com
    password_env: TOAST_API_PASSWORD
    windows_image_ids: [4b8a1c2e-7d0f-4a51-8e2b-1d3c5e000002]
` + k5Cloud + `    password_env: K5_PASSWORD
    zones: [uk-1a, uk-1b]
`

// k5Cloud is a k5 cloud entry without its credential.
const k5Cloud = `  - name: k5-uk1
    dialect: k5
    identity_endpoint: https://identity.uk-1.cloud.global.fujitsu.com
    domain_name: "123456789"
    project_id: 0b2d4a7e8d9f4c1aa1b2c3d4e5f60718
    username: apiuser
`

var validEnv = env(map[string]string{"NHN_API_PASSWORD": secretValue, "TOAST_API_PASSWORD": secretValue, "K5_PASSWORD": secretValue})

func TestParseValid(t *testing.T) {
	f, err := config.Parse([]byte(valid), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if f.HTTPAddr != "127.0.0.1:8080" || f.GRPCAddr != "127.0.0.1:9090" || len(f.Clouds) != 3 {
		t.Fatalf("parsed %+v", f)
	}
	nhn, toast, k5c := f.Clouds[0], f.Clouds[1], f.Clouds[2]
	nhnOpts, _ := nhn.Options.(nhnv2.Config)
	if nhn.Dialect != "nhnv2" || nhnOpts.TenantID != "6cdebe3eb0094910bc41f1d42ebe4cb7" || nhn.Secret != secretValue || nhn.Timeout != 15*time.Second || nhnOpts.Region != "KR1" {
		t.Errorf("nhn %+v", nhn)
	}
	toastOpts, _ := toast.Options.(toastv1.Config)
	if toastOpts.AppKey != "AbCdEf012345" || toastOpts.Endpoint == "" || len(toastOpts.WindowsImageIDs) != 1 {
		t.Errorf("toast %+v", toast)
	}
	k5Opts, _ := k5c.Options.(k5.Config)
	if k5Opts.DomainName != "123456789" || k5Opts.ComputeEndpoint != "" || strings.Join(k5c.Zones, ",") != "uk-1a,uk-1b" {
		t.Errorf("k5 %+v", k5c)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %v", f.Warnings)
	}
}

func TestParseErrors(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secretFile, []byte(secretValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, edit, wantKey, wantMsg string
	}{
		{"unknown top key", "http_adr: x\n", "http_adr", "unknown key"},
		{"unknown cloud key", strings.Replace(valid, "    timeout: 15s", "    timeout: 15s\n    colour: blue", 1), "clouds[0].colour", "unknown key"},
		{"region on toastv1", strings.Replace(valid, "appkey: AbCdEf012345", "appkey: AbCdEf012345\n    region: kr1", 1), "clouds[1].region", "not used by dialect toastv1"},
		{"unknown dialect", strings.Replace(valid, "dialect: toastv1", "dialect: toast", 1), "clouds[1].dialect", `unknown dialect "toast"`},
		{"duplicate cloud", strings.Replace(valid, "name: toast", "name: nhn-kr1", 1), "clouds[1].name", "duplicate cloud name"},
		{"missing credential", strings.Replace(valid, "    password_env: K5_PASSWORD\n", "", 1), "clouds[2].password_env", "missing credential"},
		{"unset env", strings.Replace(valid, "password_env: K5_PASSWORD", "password_env: NOPE_UNSET", 1), "clouds[2].password_env", "NOPE_UNSET is not set"},
		{"unreadable secret file", strings.Replace(valid, "password_env: K5_PASSWORD", "password_file: /nonexistent/pw", 1), "clouds[2].password_file", "cannot read secret file"},
		{"two password forms", strings.Replace(valid, "password_env: K5_PASSWORD", "password_env: K5_PASSWORD\n    password_file: "+secretFile, 1), "clouds[2].password_file", "only one of"},
		{"key of another dialect", strings.Replace(valid, "appkey: AbCdEf012345", "appkey: AbCdEf012345\n    tenant_id: abc", 1), "clouds[1].tenant_id", "not used by dialect toastv1"},
		{"missing required", strings.Replace(valid, "    tenant_id: 6cdebe3eb0094910bc41f1d42ebe4cb7\n", "", 1), "clouds[0].tenant_id", "required"},
		{"bad name", strings.Replace(valid, "name: toast", "name: Toast_1", 1), "clouds[1].name", "must match"},
		{"bad url", strings.Replace(valid, "endpoint: https://api-compute.cloud.toast.com/compute", "endpoint: api-compute", 1), "clouds[1].endpoint", "not an http(s) URL"},
		{"bad timeout", strings.Replace(valid, "timeout: 15s", "timeout: fifteen", 1), "clouds[0].timeout", "positive Go duration"},
		{"duplicate key", strings.Replace(valid, "    timeout: 15s", "    timeout: 15s\n    timeout: 20s", 1), "clouds[0].timeout", ""},
		{"windows images on k5", strings.Replace(valid, "    zones: [uk-1a, uk-1b]", "    windows_image_ids: [x]", 1), "clouds[2].windows_image_ids", "not used by dialect k5"},
		{"zones not a list", strings.Replace(valid, "zones: [uk-1a, uk-1b]", "zones: uk-1a", 1), "clouds[2].zones", "must be a list"},
		{"no clouds", "http_addr: x\nclouds: []\n", "clouds", "at least one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := c.edit
			if !strings.Contains(doc, "clouds:") {
				doc = valid + doc
			}
			_, err := config.Parse([]byte(doc), validEnv, dialects.All)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, c.wantKey) && !strings.Contains(msg, c.wantKey+":") {
				var ce *config.Error
				if !errors.As(err, &ce) || ce.Key != c.wantKey {
					t.Errorf("error %q does not name key %s", msg, c.wantKey)
				}
			}
			if !strings.Contains(msg, c.wantMsg) {
				t.Errorf("error %q lacks %q", msg, c.wantMsg)
			}
			if strings.Contains(msg, secretValue) {
				t.Errorf("error leaks the secret: %q", msg)
			}
		})
	}
}

// TestSectionErrors: a section's bad value is one *config.Error on the key
// at fault, saying what is wrong, on one line and without the secret.
func TestSectionErrors(t *testing.T) {
	const jwtAuth = "auth:\n  jwt: {issuer: https://idp.example.com, audience: computegw}\n"
	e := env(map[string]string{"NHN_API_PASSWORD": secretValue, "TOAST_API_PASSWORD": secretValue, "K5_PASSWORD": secretValue, "REDIS_PASSWORD": secretValue})
	for _, c := range []struct{ doc, key, says string }{
		// limits and shutdown_delay
		{"limits: 1MiB\n", "limits", "mapping"},
		{"limits:\n  max_body: 1\n", "limits.max_body", "unknown key"},
		{"limits:\n  max_request_bytes: 1MB\n", "limits.max_request_bytes", "KiB, MiB, GiB"},
		{"limits:\n  max_request_bytes: 10\n", "limits.max_request_bytes", "at least 1024 bytes"},
		{"limits:\n  max_request_bytes: 64MiB\n", "limits.max_inflight_request_bytes", "below max_request_bytes"},
		{"limits:\n  max_inflight_calls: 0\n", "limits.max_inflight_calls", "whole number"},
		{"limits:\n  watch_streams_per_caller: many\n", "limits.watch_streams_per_caller", "whole number"},
		{"limits:\n  read_timeout: forever\n", "limits.read_timeout", "Go duration"},
		{"limits:\n  read_timeout: 1s\n", "limits.read_header_timeout", "over read_timeout"},
		{"limits:\n  write_timeout: 10s\n", "limits.write_timeout", "does not exceed clouds[0].timeout"},
		{"shutdown_delay: soon\n", "shutdown_delay", "Go duration"},
		// state
		{"state: redis\n", "state", "mapping"},
		{"state: {}\n", "state.redis", "required"},
		{"state:\n  memcached: {}\n", "state.memcached", "unknown key"},
		{"state:\n  redis:\n    username: u\n", "state.redis.address", "required"},
		{"state:\n  redis:\n    address: redis\n", "state.redis.address", "host:port"},
		{"state:\n  redis:\n    address: redis:http\n", "state.redis.address", "host:port"},
		{"state:\n  redis:\n    address: r:6379\n    db: 2\n", "state.redis.db", "unknown key"},
		{"state:\n  redis:\n    address: r:6379\n    tls: maybe\n", "state.redis.tls", "true or false"},
		{"state:\n  redis:\n    address: r:6379\n    key_prefix: \"\"\n", "state.redis.key_prefix", "empty"},
		{"state:\n  redis:\n    address: r:6379\n    password: " + secretValue + "\n", "state.redis.password", "password_env or password_file"},
		{"state:\n  redis:\n    address: r:6379\n    password_env: UNSET_REDIS_PW\n", "state.redis.password_env", "not set"},
		{"state:\n  redis:\n    address: r:6379\n    password_file: /nonexistent/pw\n", "state.redis.password_file", "cannot read"},
		{"state:\n  redis:\n    address: r:6379\n    password_env: REDIS_PASSWORD\n    password_file: /x\n", "state.redis.password_file", "only one"},
		// tls, auth and policy
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
		{jwtAuth + "policy:\n  - principals: [group:x]\n    clouds: ['*']\n    role: superuser\n", "policy[0].role", `unknown role "superuser"`},
		{jwtAuth + "policy:\n  - principals: [group:x]\n    clouds: [nhn-kr2]\n    role: viewer\n", "policy[0].clouds[0]", `unknown cloud "nhn-kr2"`},
		{jwtAuth + "policy:\n  - principals: []\n    clouds: ['*']\n    role: viewer\n", "policy[0].principals", "at least one principal"},
		{jwtAuth + "policy:\n  - clouds: ['*']\n    role: viewer\n", "policy[0].principals", "at least one principal"},
		{jwtAuth + "policy:\n  - principals: [alice]\n    clouds: ['*']\n    role: viewer\n", "policy[0].principals[0]", "not a principal"},
		{jwtAuth + "policy:\n  - principals: [user:a]\n    clouds: []\n    role: viewer\n", "policy[0].clouds", "required"},
		{jwtAuth + "policy:\n  - principals: [user:a]\n    clouds: ['*']\n", "policy[0].role", "required"},
		{jwtAuth + "policy:\n  - principals: [user:a]\n    clouds: ['*']\n    role: viewer\n    when: always\n", "policy[0].when", "unknown key"},
		{"policy:\n  - principals: [user:a]\n    clouds: ['*']\n    role: viewer\n", "policy", "add an auth section"},
	} {
		_, err := config.Parse([]byte(valid+c.doc), e, dialects.All)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q:\n got %v\nwant an error on %s saying %q", c.doc, err, c.key, c.says)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, secretValue) {
			t.Errorf("%q: error %q is not one line without the secret", c.doc, msg)
		}
	}
}

func TestSecretFileAndInlineWarning(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secretFile, []byte(secretValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(valid, "password_env: NHN_API_PASSWORD", "password_file: "+secretFile, 1)
	doc = strings.Replace(doc, "password_env: K5_PASSWORD", "password: inline-one", 1)
	f, err := config.Parse([]byte(doc), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if f.Clouds[0].Secret != secretValue {
		t.Errorf("password_file value not read (trailing newline must be trimmed)")
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "clouds[2].password") || strings.Contains(f.Warnings[0], "inline-one") {
		t.Errorf("warnings %v: want the inline-password warning (without the password) only", f.Warnings)
	}
}

// acmeConfig is a dialect the gateway does not have, plugged in the way an
// adapter package plugs its own: its keys, its credential key, its checks.
type acmeConfig struct {
	Endpoint string `yaml:"endpoint" check:"url"`
	Project  int    `yaml:"project_id" check:"required"`
}

var acme = dialect.Spec[acmeConfig]{Name: "acme", Secret: "api_key",
	Open: func(dialect.Common, acmeConfig, dialect.Deps) (driver.Adapter, error) { return nil, nil }}

func TestAnotherDialectPlugsIn(t *testing.T) {
	all := append(append([]dialect.Descriptor{}, dialects.All...), acme)
	doc := valid + `  - name: acme-1
    dialect: acme
    project_id: 111
    api_key_env: ACME_KEY
    zones: [z1]
`
	e := env(map[string]string{"NHN_API_PASSWORD": secretValue, "TOAST_API_PASSWORD": secretValue, "K5_PASSWORD": secretValue, "ACME_KEY": "k-" + secretValue})
	f, err := config.Parse([]byte(doc), e, all)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Clouds[3]
	if opts, _ := c.Options.(acmeConfig); opts.Project != 111 || c.Secret != "k-"+secretValue || c.Descriptor.DialectName() != "acme" {
		t.Errorf("acme cloud %+v", c)
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0], "clouds[3].zones: dialect acme lists zones itself") {
		t.Errorf("warnings %v", f.Warnings)
	}
	for _, bad := range []struct{ edit, want string }{
		{"    api_key_env: ACME_KEY\n", "clouds[3].api_key_env: missing credential: give api_key_env or api_key_file (cloud acme-1, line 29)"},
		{"    project_id: 111\n", "clouds[3].project_id: required for dialect acme (cloud acme-1, line 29)"},
		{"    zones: [z1]\n", "clouds[3].password_env: is not used by dialect acme (cloud acme-1, line 33)"},
	} {
		d := doc
		if bad.edit == "    zones: [z1]\n" {
			d = strings.Replace(doc, bad.edit, "    password_env: K5_PASSWORD\n", 1)
		} else {
			d = strings.Replace(doc, bad.edit, "", 1)
		}
		if _, err := config.Parse([]byte(d), e, all); err == nil || err.Error() != bad.want {
			t.Errorf("got %v, want %s", err, bad.want)
		}
	}
	// Without acme in the list, the same file is refused, naming the ones there are.
	if _, err := config.Parse([]byte(doc), e, dialects.All); err == nil || !strings.Contains(err.Error(), `clouds[3].dialect: unknown dialect "acme": use nhnv2, toastv1, k5 or gcore`) {
		t.Errorf("without the acme dialect: %v", err)
	}
}
