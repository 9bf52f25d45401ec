package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/memory"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// TestCallLine: every call writes one "rpc" line with method, code,
// latency_ms and transport, plus cloud and dialect when it names a
// configured cloud, each key once, on both transports (the attributes bound
// once per cloud and transport) and for an unknown transport value.
func TestCallLine(t *testing.T) {
	var buf bytes.Buffer
	s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: memory.New(memory.Options{Seed: true})}},
		Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, transport := range []string{"", "rest", "other"} {
		ctx := context.Background()
		if transport != "" {
			ctx = WithTransport(ctx, transport)
		}
		want := transport
		if want == "" {
			want = "grpc"
		}
		calls := []struct {
			method, cloud, code string
			call                func() error
		}{
			{"ListInstances", "a", "OK", func() error {
				_, err := s.ListInstances(ctx, &pb.ListInstancesRequest{Parent: "clouds/a"})
				return err
			}},
			{"GetInstance", "a", "NotFound", func() error {
				_, err := s.GetInstance(ctx, &pb.GetInstanceRequest{Name: "clouds/a/instances/none"})
				return err
			}},
			{"ListClouds", "", "OK", func() error { _, err := s.ListClouds(ctx, &pb.ListCloudsRequest{}); return err }},
		}
		for _, c := range calls {
			buf.Reset()
			_ = c.call()
			raw := strings.TrimSpace(buf.String())
			var line map[string]any
			if err := json.Unmarshal([]byte(raw), &line); err != nil {
				t.Fatalf("%s: %v: %s", c.method, err, raw)
			}
			if line["msg"] != "rpc" || line["method"] != c.method || line["code"] != c.code || line["transport"] != want {
				t.Errorf("%s over %q: %s", c.method, transport, raw)
			}
			if _, ok := line["latency_ms"].(float64); !ok {
				t.Errorf("%s: no latency_ms: %s", c.method, raw)
			}
			if c.cloud != "" && (line["cloud"] != c.cloud || line["dialect"] != string(memory.Name)) {
				t.Errorf("%s: cloud/dialect missing: %s", c.method, raw)
			}
			if c.cloud == "" && (line["cloud"] != nil || line["dialect"] != nil) {
				t.Errorf("%s names no cloud but logged one: %s", c.method, raw)
			}
			for _, k := range []string{"method", "code", "transport", "cloud", "dialect", "latency_ms"} {
				if n := strings.Count(raw, `"`+k+`":`); n > 1 {
					t.Errorf("%s: key %s %d times: %s", c.method, k, n, raw)
				}
			}
		}
	}
}
