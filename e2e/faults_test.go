package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/faulttest"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// faultRig is the real binary serving three clouds, each fake vendor behind
// a faulttest.Proxy (the catalogs of nhnv2 and k5 name the proxy too).
type faultRig struct {
	g                 *gateway
	nhn               *nhnfake.Server
	toast             *toastfake.Server
	k5                *k5fake.Server
	pNHN, pToast, pK5 *faulttest.Proxy
	admin             string
}

func newFaultRig(t *testing.T, nhnKV []string, top string) *faultRig {
	t.Helper()
	r := &faultRig{}
	r.nhn, r.toast, r.k5 = startFakes(t)
	var err error
	for i, p := range []struct {
		dst    **faulttest.Proxy
		target string
	}{{&r.pNHN, r.nhn.URL}, {&r.pToast, r.toast.URL}, {&r.pK5, r.k5.URL}} {
		if *p.dst, err = faulttest.NewProxy(p.target, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup((*p.dst).Close)
	}
	r.nhn.SetURL(r.pNHN.URL)
	r.k5.URL = r.pK5.URL
	cfg := top + "\nadmin_addr: 127.0.0.1:0\nclouds:\n" +
		nhnEntry("nhn", r.pNHN.URL, nhnKV...) + toastEntry("toast", r.pToast.URL) + k5Entry("k5", r.pK5.URL)
	r.g = start(t, demoPasswords(), "--config", writeFile(t, "computegw.yaml", cfg))
	r.admin = r.g.adminAddr(t)
	return r
}

// sample is one call's outcome.
type sample struct {
	start time.Time
	took  time.Duration
	code  codes.Code
	err   error
}

// getSample calls GetInstance on name once, with no deadline of its own.
func getSample(g *gateway, name string) sample {
	s := sample{start: time.Now()}
	_, err := g.client.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
	s.took, s.code, s.err = time.Since(s.start), status.Code(err), err
	return s
}

// hammer calls GetInstance on name from workers goroutines until ctx ends.
func hammer(ctx context.Context, g *gateway, name string, workers int) []sample {
	var mu sync.Mutex
	var out []sample
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				s := getSample(g, name)
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

func p99(ss []sample) time.Duration {
	d := make([]time.Duration, 0, len(ss))
	for _, s := range ss {
		d = append(d, s.took)
	}
	slices.Sort(d)
	if len(d) == 0 {
		return 0
	}
	return d[(len(d)*99)/100]
}

func failed(ss []sample) int {
	n := 0
	for _, s := range ss {
		if s.code != codes.OK {
			n++
		}
	}
	return n
}

// goroutines samples go_goroutines on the admin listener until ctx ends and
// returns the largest value seen.
func goroutines(ctx context.Context, t *testing.T, admin string) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		peak := 0.0
		for ctx.Err() == nil {
			peak = max(peak, scrape(t, admin).value("go_goroutines"))
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
		out <- peak
	}()
	return out
}

// One cloud hangs (its vendor accepts connections and never answers):
// calls to it fail fast once 5 have timed out, the other clouds' latency
// does not move, and the gateway's goroutines and the hung cloud's
// connections stay bounded; when the vendor is back, the half-open probe
// closes the breaker.
func TestFaultsHangingCloud(t *testing.T) {
	const timeout, openFor = 1500 * time.Millisecond, 2 * time.Second
	r := newFaultRig(t, []string{"timeout", timeout.String(), "circuit_breaker_open", openFor.String()}, "cross_cloud_timeout: 1s\n")
	nhnName, toastName, k5Name := firstInstance(t, r.g, "nhn"), firstInstance(t, r.g, "toast"), firstInstance(t, r.g, "k5")
	const workers = 4

	run := func(d time.Duration, nhnToo bool) (others []sample, nhn []sample, peak float64) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		gr := goroutines(ctx, t, r.admin)
		var wg sync.WaitGroup
		var ts, ks []sample
		wg.Go(func() { ts = hammer(ctx, r.g, toastName, workers) })
		wg.Go(func() { ks = hammer(ctx, r.g, k5Name, workers) })
		if nhnToo {
			wg.Go(func() { nhn = hammer(ctx, r.g, nhnName, workers) })
		}
		wg.Wait()
		return append(ts, ks...), nhn, <-gr
	}
	run(time.Second, true) // warm: logins, connections, flavor caches
	base, baseNHN, baseG := run(5*time.Second, true)
	if failed(base) != 0 || failed(baseNHN) != 0 {
		t.Fatalf("baseline: %d and %d calls failed", failed(base), failed(baseNHN))
	}

	r.pNHN.Set(faulttest.Faults{Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	gr := goroutines(ctx, t, r.admin)
	var wg sync.WaitGroup
	var ts, ks []sample
	wg.Go(func() { ts = hammer(ctx, r.g, toastName, workers) })
	wg.Go(func() { ks = hammer(ctx, r.g, k5Name, workers) })

	// A cross-cloud list without a deadline answers within
	// cross_cloud_timeout (1 s here), the hung cloud listed unreachable.
	listAll := func(wantCode string, within time.Duration) {
		t.Helper()
		st := time.Now()
		res, err := r.g.client.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/-"})
		took := time.Since(st)
		if err != nil {
			t.Fatalf("clouds/- while nhn hangs: %v", err)
		}
		d := res.GetUnreachableDetails()
		if len(d) != 1 || d[0].GetCloud() != "clouds/nhn" || d[0].GetCode() != wantCode || len(res.GetInstances()) == 0 || took > within {
			t.Errorf("clouds/- while nhn hangs: after %v, %d instances, unreachable %v; want %s for clouds/nhn only, within %v",
				took, len(res.GetInstances()), d, wantCode, within)
		}
		t.Logf("FIGURES clouds/- with nhn hung: answered in %v, nhn unreachable %s %q", took, d[0].GetCode(), d[0].GetReason())
	}
	listAll("DEADLINE_EXCEEDED", 1500*time.Millisecond)

	// One caller calling the hung cloud again and again: how many calls
	// wait out the timeout before the breaker fails them fast.
	var seq []sample
	for len(seq) < 12 {
		seq = append(seq, getSample(r.g, nhnName))
	}
	slow := 0
	for i, s := range seq {
		if s.took >= timeout*8/10 {
			slow++
			if i >= 5 {
				t.Errorf("call %d to the hung cloud took %v: the breaker should have opened after 5", i+1, s.took)
			}
			continue
		}
		if delay, _ := rpcdetail.RetryDelay(s.err); s.code != codes.Unavailable || rpcdetail.Reason(s.err) != "BACKEND_CIRCUIT_OPEN" || delay <= 0 || delay > openFor {
			t.Errorf("fast call %d: %v (reason %q, retry %v), want UNAVAILABLE BACKEND_CIRCUIT_OPEN with a RetryInfo up to %v",
				i+1, s.err, rpcdetail.Reason(s.err), delay, openFor)
		}
		if s.took > 100*time.Millisecond {
			t.Errorf("fast call %d took %v", i+1, s.took)
		}
	}
	if slow > 5 {
		t.Errorf("%d calls waited out the %v timeout, want at most 5", slow, timeout)
	}
	listAll("UNAVAILABLE", 500*time.Millisecond) // the breaker answers at once
	if v := scrape(t, r.admin).value("computegw_backend_circuit_state", "cloud", "nhn"); v != 2 {
		t.Errorf("computegw_backend_circuit_state{cloud=nhn} = %v while open, want 2", v)
	}

	// 20 calls a second to the hung cloud, each its own caller, for 6 s.
	var flood []sample
	var fmu sync.Mutex
	var fwg sync.WaitGroup
	tick := time.NewTicker(50 * time.Millisecond)
	for range 120 {
		<-tick.C
		fwg.Go(func() {
			s := getSample(r.g, nhnName)
			fmu.Lock()
			flood = append(flood, s)
			fmu.Unlock()
		})
	}
	tick.Stop()
	fwg.Wait()
	cancel()
	wg.Wait()
	hangG := <-gr
	hung := append(ts, ks...)

	floodSlow := 0
	for _, s := range flood {
		if s.took >= timeout*8/10 {
			floodSlow++ // a half-open probe: one per open period
		}
	}
	// 6 s at one probe per 2 s open period (plus the probe's own 1.5 s).
	if floodSlow > 4 {
		t.Errorf("%d of %d calls at 20/s waited out the timeout, want only the half-open probes (at most 4)", floodSlow, len(flood))
	}
	if failed(hung) != 0 {
		t.Errorf("%d calls to the healthy clouds failed while nhn hung", failed(hung))
	}
	bp, hp := p99(base), p99(hung)
	if hangG > baseG+150 {
		t.Errorf("goroutines peaked at %v while nhn hung (%v before)", hangG, baseG)
	}
	if m := r.pNHN.MaxConns(); m > 2*workers+10 {
		t.Errorf("%d connections at once to the hung cloud", m)
	}
	t.Logf("FIGURES hang: sequential caller: %d slow calls (%v timeout) then fast failures (%v..%v); "+
		"20/s flood %d calls: %d slow (probes), the rest failed in <%v; healthy clouds p99 %v baseline, %v during the hang (%d and %d calls, %d failed); "+
		"goroutines peak %v baseline, %v during the hang; hung cloud: %d connections at most",
		slow, timeout, minTook(seq[slow:]), maxTook(seq[slow:]), len(flood), floodSlow, maxFast(flood, timeout), bp, hp, len(base), len(hung), failed(hung),
		baseG, hangG, r.pNHN.MaxConns())

	// Back: after the open period the probe goes through and closes it.
	r.pNHN.Set(faulttest.Faults{})
	eventually.Nil(t, 3*openFor, "nhn answering after the hang ended", func() error {
		_, err := r.g.client.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: nhnName})
		return err
	})
	if v := scrape(t, r.admin).value("computegw_backend_circuit_state", "cloud", "nhn"); v != 0 {
		t.Errorf("computegw_backend_circuit_state{cloud=nhn} = %v after recovery, want 0", v)
	}
	// The run without the hang again, after it: the healthy clouds' p99
	// while nhn hung must be within 10 % of the slower of the two runs
	// without it (faster is fine). The two baselines bracket the noise of
	// a shared machine.
	after, afterNHN, _ := run(5*time.Second, true)
	if failed(after) != 0 || failed(afterNHN) != 0 {
		t.Errorf("after the hang: %d and %d calls failed", failed(after), failed(afterNHN))
	}
	ap := p99(after)
	t.Logf("FIGURES hang p99: healthy clouds %v before, %v during, %v after the hang (%+.1f%% against the slower baseline)",
		bp, hp, ap, 100*(float64(hp)/float64(max(bp, ap))-1))
	if hp > max(bp, ap)*11/10 {
		t.Errorf("healthy clouds' p99 %v while nhn hung, beyond +10%% of the runs without the hang (%v before, %v after)", hp, bp, ap)
	}
}

func minTook(ss []sample) time.Duration {
	if len(ss) == 0 {
		return 0
	}
	return slices.MinFunc(ss, func(a, b sample) int { return int(a.took - b.took) }).took
}

func maxTook(ss []sample) time.Duration {
	if len(ss) == 0 {
		return 0
	}
	return slices.MaxFunc(ss, func(a, b sample) int { return int(a.took - b.took) }).took
}

// maxFast is the longest of the calls that did not wait out the timeout.
func maxFast(ss []sample, timeout time.Duration) time.Duration {
	var fast []sample
	for _, s := range ss {
		if s.took < timeout*8/10 {
			fast = append(fast, s)
		}
	}
	return maxTook(fast)
}

// Two and three token revocations in quick succession (450 ms apart) under
// 500 concurrent calls per cloud: at most one re-login per revocation at
// each vendor (counted there), and no call fails.
func TestFaultsTokenRevocations(t *testing.T) {
	r := newFaultRig(t, nil, "")
	// A little latency on every request, logins included: a re-login takes
	// long enough for hundreds of calls to see the dead token meanwhile.
	for _, p := range []*faulttest.Proxy{r.pNHN, r.pToast, r.pK5} {
		p.Set(faulttest.Faults{Latency: 5 * time.Millisecond})
	}
	clouds := []struct {
		name   string
		revoke func()
		logins func() int
	}{
		{"nhn", r.nhn.RevokeTokens, r.nhn.TokenRequests},
		{"toast", r.toast.ExpireTokens, r.toast.TokenRequests},
		{"k5", r.k5.RevokeTokens, r.k5.TokenRequests},
	}
	for _, revocations := range []int{2, 3} {
		for _, c := range clouds {
			t.Run(fmt.Sprintf("%s/%d", c.name, revocations), func(t *testing.T) {
				name := firstInstance(t, r.g, c.name)
				ctx, cancel := context.WithCancel(context.Background())
				var calls, fails atomic.Int64
				var longest atomic.Int64
				var wg sync.WaitGroup
				var firstErr atomic.Value
				for range 500 {
					wg.Go(func() {
						for ctx.Err() == nil {
							st := time.Now()
							_, err := r.g.client.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
							calls.Add(1)
							if err != nil {
								fails.Add(1)
								firstErr.CompareAndSwap(nil, err.Error())
								for d := int64(time.Since(st)); ; {
									l := longest.Load()
									if d <= l || longest.CompareAndSwap(l, d) {
										break
									}
								}
							}
						}
					})
				}
				time.Sleep(500 * time.Millisecond)
				before := c.logins()
				for i := range revocations {
					if i > 0 {
						time.Sleep(450 * time.Millisecond)
					}
					c.revoke()
				}
				time.Sleep(time.Second)
				cancel()
				wg.Wait()
				logins := c.logins() - before
				t.Logf("FIGURES revocations %s x%d: %d calls by 500 callers, %d re-logins, %d failed", c.name, revocations, calls.Load(), logins, fails.Load())
				if logins > revocations || logins < 1 {
					t.Errorf("%d re-logins for %d revocations, want 1 to %d", logins, revocations, revocations)
				}
				if fails.Load() != 0 {
					t.Errorf("%d of %d calls failed (longest %v), first: %v", fails.Load(), calls.Load(), time.Duration(longest.Load()), firstErr.Load())
				}
			})
		}
	}
}

// Reads that meet a 503, or a 429 with Retry-After, are sent again by the
// gateway (within the retry budget) and the caller never sees the fault.
func TestFaultsReadRetries(t *testing.T) {
	r := newFaultRig(t, nil, "")
	name := firstInstance(t, r.g, "k5")
	isGet := func(req *http.Request) bool { return req.Method == http.MethodGet }
	r.pK5.Set(faulttest.Faults{Answer503: 0.05, Match: isGet})
	before := scrape(t, r.admin).value("computegw_backend_retries_total", "cloud", "k5")
	fails := 0
	const calls = 300
	for range calls {
		if _, err := r.g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: name}); err != nil {
			fails++
		}
	}
	retries := scrape(t, r.admin).value("computegw_backend_retries_total", "cloud", "k5") - before
	faulted := r.pK5.Count(faulttest.Kind503)
	t.Logf("FIGURES read retries: %d calls, %d backend GETs answered 503, %v retries, %d calls failed", calls, faulted, retries, fails)
	if faulted == 0 || fails != 0 || int(retries) != faulted {
		t.Errorf("%d calls with %d 503s: %d failed, %v retries; want every 503 retried and no call failed", calls, faulted, fails, retries)
	}

	// One 429 with Retry-After: 1: the call waits the second and succeeds.
	var first atomic.Bool
	r.pK5.Set(faulttest.Faults{Answer429: 1, RetryAfter: "1", Match: func(req *http.Request) bool {
		return isGet(req) && strings.HasSuffix(req.URL.Path, "/"+path.Base(name)) && first.CompareAndSwap(false, true)
	}})
	st := time.Now()
	if _, err := r.g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: name}); err != nil {
		t.Fatalf("after a 429 with Retry-After: 1: %v", err)
	}
	if took := time.Since(st); took < time.Second || r.pK5.Count(faulttest.Kind429) != 1 {
		t.Errorf("answered after %v with %d 429s, want the one 429 and its 1 s Retry-After honoured", took, r.pK5.Count(faulttest.Kind429))
	}
}
