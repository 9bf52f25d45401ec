package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// Sub-benchmark names are path names the ratios tool groups by: "direct",
// "floor", "grpc", "rest".

func restGet(b *testing.B, c *http.Client, url string) {
	res, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s %v", url, res.Status, err)
	}
}

// restLoop is a benchmark that GETs url on every iteration, reporting
// allocations.
func restLoop(c *http.Client, url string) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			restGet(b, c, url)
		}
	}
}

func BenchmarkGetInstance(b *testing.B) {
	e := setup(b, false)
	defer e.stop()
	req := &pb.GetInstanceRequest{Name: webServer}
	// direct: the vendor call decoded generically, as a caller without an
	// adapter would (and as this benchmark has always measured it: the
	// allocation target is relative to it); direct-typed: decoded into the
	// floor's typed struct.
	b.Run("direct", loop(func() error {
		var body map[string]any
		return vendorDo(e.http, http.MethodGet, e.vendor+"/servers/"+nhnfake.InstanceWebServer, e.token, nil, &body)
	}))
	b.Run("direct-typed", loop(func() error {
		var body struct {
			Server vendorServer `json:"server"`
		}
		return vendorDo(e.http, http.MethodGet, e.vendor+"/servers/"+nhnfake.InstanceWebServer, e.token, nil, &body)
	}))
	b.Run("floor", loop(func() error { _, err := e.floor.GetInstance(context.Background(), req); return err }))
	b.Run("grpc", loop(func() error { _, err := e.gw.GetInstance(context.Background(), req); return err }))
	b.Run("rest", restLoop(e.http, "http://"+e.httpAddr+"/v1/"+webServer))
}

func BenchmarkListInstances(b *testing.B) {
	e := setup(b, true)
	defer e.stop()
	for _, size := range []int{10, 50} {
		b.Run(fmt.Sprintf("page=%d", size), func(b *testing.B) {
			req := &pb.ListInstancesRequest{Parent: "clouds/nhn", PageSize: int32(size)}
			check := func(b *testing.B, n int) {
				// A gateway page may be short (it fills what one vendor
				// page gives); the floor's never is.
				if n == 0 || n > size {
					b.Fatalf("page of %d, asked %d", n, size)
				}
			}
			b.Run("direct", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n := 0
					if err := listVendor(e.http, e.vendor, e.token, size, func(*vendorServer) { n++ }); err != nil {
						b.Fatal(err)
					}
					check(b, n)
				}
			})
			b.Run("floor", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					out, err := e.floor.ListInstances(context.Background(), req)
					if err != nil {
						b.Fatal(err)
					}
					check(b, len(out.Instances))
				}
			})
			// The gateway's cost of size instances: follow next_page_token
			// until size instances are in (one call when it fills pages).
			b.Run("grpc", func(b *testing.B) {
				b.ReportAllocs()
				calls := 0
				for b.Loop() {
					n, tok := 0, ""
					for n < size {
						out, err := e.gw.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/nhn", PageSize: int32(size - n), PageToken: tok})
						if err != nil {
							b.Fatal(err)
						}
						calls++
						n += len(out.Instances)
						if tok = out.NextPageToken; tok == "" {
							break
						}
					}
					check(b, n)
				}
				b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			})
			b.Run("rest", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, tok := 0, ""
					for n < size {
						u := "http://" + e.httpAddr + "/v1/clouds/nhn/instances?page_size=" + strconv.Itoa(size-n)
						if tok != "" {
							u += "&page_token=" + url.QueryEscape(tok)
						}
						var out struct {
							Instances     []struct{ Name string }
							NextPageToken string
						}
						if err := vendorDo(e.http, http.MethodGet, u, "", nil, &out); err != nil {
							b.Fatal(err)
						}
						n += len(out.Instances)
						if tok = out.NextPageToken; tok == "" {
							break
						}
					}
					check(b, n)
				}
			})
		})
	}
}

func BenchmarkListFlavors(b *testing.B) {
	e := setup(b, false)
	defer e.stop()
	req := &pb.ListFlavorsRequest{Parent: "clouds/nhn"}
	b.Run("direct", loop(func() error {
		var body struct {
			Flavors []vendorFlavor `json:"flavors"`
		}
		return vendorDo(e.http, http.MethodGet, e.vendor+"/flavors/detail", e.token, nil, &body)
	}))
	b.Run("floor", loop(func() error { _, err := e.floor.ListFlavors(context.Background(), req); return err }))
	b.Run("grpc", loop(func() error { _, err := e.gw.ListFlavors(context.Background(), req); return err }))
	b.Run("rest", restLoop(e.http, "http://"+e.httpAddr+"/v1/clouds/nhn/flavors"))
}

// BenchmarkCreateInstance creates (and, with the timer stopped, deletes)
// one instance per iteration: a U2 flavor, on a warm flavor cache.
func BenchmarkCreateInstance(b *testing.B) {
	e := setup(b, false)
	defer e.stop()
	cleanup := func(b *testing.B, name string) {
		b.StopTimer()
		e.deleteDirect(b, name[len("clouds/nhn/instances/"):])
		b.StartTimer()
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			id := e.createDirect(b, "bench-create")
			var body struct {
				Server vendorServer `json:"server"`
			}
			if err := vendorDo(e.http, http.MethodGet, e.vendor+"/servers/"+id, e.token, nil, &body); err != nil {
				b.Fatal(err)
			}
			cleanup(b, "clouds/nhn/instances/"+id)
		}
	})
	for _, p := range []struct {
		name string
		c    pb.ComputeServiceClient
	}{{"floor", e.floor}, {"grpc", e.gw}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := p.c.CreateInstance(context.Background(), createRequest("bench-create"))
				if err != nil {
					b.Fatal(err)
				}
				cleanup(b, out.GetName())
			}
		})
	}
	b.Run("rest", func(b *testing.B) {
		body := []byte(`{"displayName":"bench-create","flavor":"` + nhnfake.FlavorU2C1M2 + `","image":"` + nhnfake.ImageUbuntu +
			`","keyPair":"` + nhnfake.KeyPairName + `","networks":[{"network":"` + nhnfake.NetworkVPC2 + `"}]}`)
		u := "http://" + e.httpAddr + "/v1/clouds/nhn/instances"
		b.ReportAllocs()
		for b.Loop() {
			var out struct{ Name string }
			if err := vendorDo(e.http, http.MethodPost, u, "", body, &out); err != nil {
				b.Fatal(err)
			}
			cleanup(b, out.Name)
		}
	})
}

// BenchmarkConcurrency runs GetInstance with 1, 16 and 64 calls in flight
// (over one gRPC connection each, as a service's client would) and reports
// calls/s and the latency percentiles.
func BenchmarkConcurrency(b *testing.B) {
	e := setup(b, false)
	defer e.stop()
	req := &pb.GetInstanceRequest{Name: webServer}
	for _, inflight := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) {
			for _, p := range []struct {
				name string
				c    pb.ComputeServiceClient
			}{{"floor", e.floor}, {"grpc", e.gw}} {
				b.Run(p.name, func(b *testing.B) {
					b.ReportAllocs()
					lat := make([]time.Duration, b.N)
					var next atomic.Int64
					var failed atomic.Value
					var wg sync.WaitGroup
					gc0, all0 := cpuSeconds()
					b.ResetTimer()
					start := time.Now()
					for range inflight {
						wg.Go(func() {
							for {
								i := next.Add(1) - 1
								if i >= int64(b.N) {
									return
								}
								t := time.Now()
								ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
								_, err := p.c.GetInstance(ctx, req)
								cancel()
								lat[i] = time.Since(t)
								if err != nil {
									failed.Store(err)
									return
								}
							}
						})
					}
					wg.Wait()
					elapsed := time.Since(start)
					b.StopTimer()
					gc1, all1 := cpuSeconds()
					if err, _ := failed.Load().(error); err != nil {
						b.Fatal(err)
					}
					slices.Sort(lat)
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
					b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
					b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)])/1e6, "p99-ms")
					// The heap the last GC found live (the whole process), and
					// the heap it lets grow to before the next: GOGC's cost.
					b.ReportMetric(heapMB("/gc/heap/live:bytes"), "heap-live-MB")
					b.ReportMetric(heapMB("/gc/heap/goal:bytes"), "heap-goal-MB")
					if all1 > all0 {
						// The share of the process's CPU (gateway, fake vendor
						// and client together) spent in the garbage collector.
						b.ReportMetric(100*(gc1-gc0)/(all1-all0), "gc-cpu-%")
					}
				})
			}
		})
	}
}

// heapMB reads a runtime/metrics byte count, in MB.
func heapMB(name string) float64 {
	m := []metrics.Sample{{Name: name}}
	metrics.Read(m)
	return float64(m[0].Value.Uint64()) / 1e6
}

// cpuSeconds reads the process's cumulative GC and total CPU time (as the
// runtime estimates them).
func cpuSeconds() (gc, total float64) {
	m := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}}
	metrics.Read(m)
	return m[0].Value.Float64(), m[1].Value.Float64()
}

// loop is a benchmark that calls call on every iteration, reporting
// allocations; an error stops it.
func loop(call func() error) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
