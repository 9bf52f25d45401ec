package config_test

import (
	"os"
	"path/filepath"
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
