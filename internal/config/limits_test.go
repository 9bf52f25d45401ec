package config_test

import (
	"testing"
	"time"

	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
)

func TestLimits(t *testing.T) {
	f, err := config.Parse([]byte(valid), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	if f.Limits != config.DefaultLimits() || f.Limits.MaxRequestBytes != 1<<20 || f.ShutdownDelay != 0 {
		t.Fatalf("no limits section: %+v, shutdown_delay %v; want the defaults (1 MiB bodies)", f.Limits, f.ShutdownDelay)
	}
	f, err = config.Parse([]byte(valid+`shutdown_delay: 5s
limits:
  max_request_bytes: 256KiB
  max_inflight_request_bytes: 8388608
  max_inflight_calls: 64
  max_header_bytes: 16KiB
  read_header_timeout: 2s
  read_timeout: 10s
  write_timeout: 45s
  idle_timeout: 1m
  grpc_max_concurrent_streams: 50
  grpc_keepalive_min_time: 15s
  grpc_keepalive_time: 30s
  grpc_keepalive_timeout: 5s
  grpc_max_connection_idle: 1m
  grpc_max_connection_age: 10m
  grpc_max_connection_age_grace: 30s
  watch_streams_per_caller: 4
`), validEnv, dialects.All)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Limits{MaxRequestBytes: 256 << 10, MaxInflightRequestBytes: 8 << 20, MaxInflightCalls: 64, MaxHeaderBytes: 16 << 10,
		ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 45 * time.Second, IdleTimeout: time.Minute,
		GRPCMaxConcurrentStreams: 50, GRPCKeepaliveMinTime: 15 * time.Second, GRPCKeepaliveTime: 30 * time.Second, GRPCKeepaliveTimeout: 5 * time.Second,
		GRPCMaxConnectionIdle: time.Minute, GRPCMaxConnectionAge: 10 * time.Minute, GRPCMaxConnectionAgeGrace: 30 * time.Second, WatchStreamsPerCaller: 4}
	if f.Limits != want || f.ShutdownDelay != 5*time.Second {
		t.Fatalf("parsed %+v, shutdown_delay %v\nwant   %+v", f.Limits, f.ShutdownDelay, want)
	}
}
