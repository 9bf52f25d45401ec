package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
)

func TestStateRedis(t *testing.T) {
	f, err := config.Parse([]byte(valid+`
state:
  redis:
    address: redis.computegw.svc:6379
    username: computegw
    password_env: REDIS_PASSWORD
    tls: true
    key_prefix: "gw-a:"
`), env(map[string]string{"NHN_API_PASSWORD": "x", "TOAST_API_PASSWORD": "x", "K5_PASSWORD": "x", "REDIS_PASSWORD": secretValue}), dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	r := f.State.Redis
	if r.Address != "redis.computegw.svc:6379" || r.Username != "computegw" || r.Password != secretValue || !r.TLS || r.KeyPrefix != "gw-a:" {
		t.Fatalf("parsed %+v", r)
	}

	pwFile := filepath.Join(t.TempDir(), "redis-pw")
	if err := os.WriteFile(pwFile, []byte(secretValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err = config.Parse([]byte(valid+"state:\n  redis:\n    address: 10.0.0.7:6380\n    password_file: "+pwFile+"\n"), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.State.Redis; r.Password != secretValue || r.TLS || r.KeyPrefix != "computegw:" {
		t.Fatalf("defaults / password_file: %+v", r)
	}
	if f, _ := config.Parse([]byte(valid), validEnv, dialects.All); f.State != nil {
		t.Fatalf("no state section: %+v", f.State)
	}
}

func TestStateRedisErrors(t *testing.T) {
	cases := []struct{ state, key, says string }{
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
	}
	for _, c := range cases {
		_, err := config.Parse([]byte(valid+c.state), env(map[string]string{"NHN_API_PASSWORD": "x", "TOAST_API_PASSWORD": "x", "K5_PASSWORD": "x", "REDIS_PASSWORD": secretValue}), dialects.All)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != c.key || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: got %v, want key %s saying %q", c.state, err, c.key, c.says)
			continue
		}
		if strings.Contains(err.Error(), secretValue) {
			t.Errorf("%q: the secret is in the error %v", c.state, err)
		}
	}
}
