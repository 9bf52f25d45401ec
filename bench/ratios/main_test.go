package main

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	in := `goos: linux
BenchmarkGetInstance/direct-2   200   100000 ns/op   1000 B/op   10 allocs/op
BenchmarkGetInstance/floor-2    200   200000 ns/op   2000 B/op   20 allocs/op
BenchmarkGetInstance/grpc-2     200   300000 ns/op   3000 B/op   30 allocs/op
BenchmarkGetInstance/grpc-2     200   500000 ns/op   3000 B/op   30 allocs/op
BenchmarkGetInstance/grpc-2     200   200000 ns/op   3000 B/op   30 allocs/op
BenchmarkConcurrency/inflight=64/grpc-2  200  5000 ns/op  1234.5 calls/s  7.5 p50-ms
BenchmarkTelemetry/grpc/bare-2  300  100000 ns/op  0 spans/op  1000 B/op  10 allocs/op
BenchmarkTelemetry/grpc/traced-2  300  125000 ns/op  2.0 spans/op  1500 B/op  15 allocs/op
PASS
`
	runs, order := parse(strings.NewReader(in))
	out := render(runs, order)
	for _, want := range []string{
		"| GetInstance | grpc | 3 | 300,000 | 1.50 | 3,000 | 30.00 | 3.00 |",
		"| GetInstance | floor | 1 | 200,000 |  | 2,000 | 20.00 | 2.00 |",
		"| Concurrency/inflight=64 | grpc | 1 | 5,000 |  |",
		"1,235 calls/s, 7.50 p50-ms",
		// A group without a floor compares to its bare path.
		"| Telemetry/grpc | traced | 1 | 125,000 | 1.25 | 1,500 | 15.00 |  | 2.00 spans/op |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
