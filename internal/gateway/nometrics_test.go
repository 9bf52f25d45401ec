package gateway

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/memory"
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
		g := runGateway(t, memory.New(memory.Options{Seed: true}), Options{AdminAddr: admin, NoMetrics: off})
		httpAddr := g.httpAddr
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
		g.cancel()
		if err := <-g.done; err != nil {
			t.Fatal(err)
		}
	}
}
