package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/server"
)

// freeAddr is a loopback address nothing listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestNoMetrics: the admin listener serves the metrics, counting a REST
// call, unless Options.NoMetrics turns them off (then /metrics is a 404 and
// the rest of the admin listener still answers).
func TestNoMetrics(t *testing.T) {
	for _, off := range []bool{false, true} {
		admin := freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{
				Clouds: []server.Cloud{{Name: "mem", Adapter: memory.New(memory.Options{Seed: true})}}, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
				AdminAddr: admin, NoMetrics: off, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				OnReady: func(h, _ string) { ready <- h },
			})
		}()
		var httpAddr string
		select {
		case httpAddr = <-ready:
		case err := <-done:
			t.Fatal(err)
		}
		get := func(url string) (int, string) {
			res, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, _ := get("http://" + httpAddr + "/v1/clouds"); code != http.StatusOK {
			t.Fatalf("GET /v1/clouds: %d", code)
		}
		code, body := get("http://" + admin + "/metrics")
		counted := strings.Contains(body, `computegw_requests_total{cloud="",code="OK",method="ListClouds",transport="rest"} 1`)
		switch {
		case !off && (code != http.StatusOK || !counted):
			t.Errorf("metrics on: /metrics %d, ListClouds counted %v:\n%.2000s", code, counted, body)
		case off && (code != http.StatusNotFound || strings.Contains(body, "computegw_")):
			t.Errorf("NoMetrics: /metrics %d:\n%.500s", code, body)
		}
		if code, _ := get("http://" + admin + "/healthz"); code != http.StatusOK {
			t.Errorf("NoMetrics=%v: admin /healthz %d", off, code)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
