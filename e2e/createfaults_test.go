package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/faulttest"
	"github.com/computegw/computegw/internal/rpcdetail"
	"github.com/computegw/computegw/internal/state/redistest"
)

// TestCreatesSurviveFaults: N creates with distinct request_ids through
// the real binary, with faulttest's proxy failing 30 % of every backend
// request (503s, 429s, resets before the request reached the fake vendor,
// resets after it acted, truncated answers), each create retried by the client with the same
// request_id until it is answered: the vendor ends with exactly N new
// instances, one per request_id, each the one its create was answered
// with; nothing is left unknown. The same with the gateway killed (SIGKILL)
// and started again mid-run (the in-process request records are lost: the
// vendor's markers settle the creates in flight), and with two replicas on
// one Redis, each retry sent to the other replica, one of them killed
// mid-run (its claims lapse; the survivor settles them from the markers).
func TestCreatesSurviveFaults(t *testing.T) {
	n := 1000
	if testing.Short() || raceEnabled {
		n = 200
	}
	for _, mode := range []string{"faults", "faults+restart", "faults+replicas"} {
		t.Run(mode, func(t *testing.T) { createFaultRun(t, n, mode) })
	}
}

func createFaultRun(t *testing.T, n int, mode string) {
	restart, replicas := mode == "faults+restart", mode == "faults+replicas"
	nhn := nhnfake.NewServer(nhnfake.Options{InstanceQuota: n + 100})
	t.Cleanup(nhn.Close)
	proxy, err := faulttest.NewProxy(nhn.URL, 11)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	// YAML's JSON form, one cloud behind the proxy.
	cfg := fmt.Sprintf(`{"clouds": [{"name": "nhn-kr1", "dialect": "nhnv2", "identity_endpoint": %q, "compute_endpoint": %q, `+
		`"tenant_id": %q, "username": %q, "password_env": "E2E_NHN_PASSWORD", "timeout": "20s"}]`,
		proxy.URL, proxy.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername)
	env := []string{"E2E_NHN_PASSWORD=" + nhnfake.DemoPassword}
	gateways := 1
	if replicas {
		rs := redistest.Start(t, redistest.Options{Password: e2eRedisPassword})
		cfg += fmt.Sprintf(`, "page_token_key_env": "E2E_PAGE_KEY", "state": {"redis": {"address": %q, "password_env": "E2E_REDIS_PASSWORD", "key_prefix": "cf:"}}`, rs.Addr)
		env = append(env, "E2E_REDIS_PASSWORD="+e2eRedisPassword, "E2E_PAGE_KEY="+e2ePageKey)
		gateways = 2
	}
	path := writeFile(t, "createfaults.yaml", cfg+"}")
	var cur atomic.Pointer[[]*gateway] // the gateways clients use now
	var gs []*gateway
	for range gateways {
		gs = append(gs, start(t, env, "--config", path))
	}
	cur.Store(&gs)
	// 30 % of every backend request, in five equal shares.
	proxy.Set(faulttest.Faults{Answer503: 0.06, Answer429: 0.06, ResetBefore: 0.06, ResetAfter: 0.06, Truncate: 0.06})

	type answer struct {
		name     string
		attempts int
	}
	answers := make([]answer, n)
	var (
		answered  atomic.Int32
		unknowns  atomic.Int32 // CREATE_OUTCOME_UNKNOWN answers on the way
		retries   atomic.Int32
		codesSeen [17]atomic.Int32 // by gRPC code
		failed    atomic.Int32
		killedAt  atomic.Int32 // answers before the restart
	)
	count := func(c codes.Code) {
		if int(c) < len(codesSeen) {
			codesSeen[c].Add(1)
		}
	}
	begin := time.Now()
	runCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nonce := uint32(time.Now().UnixNano())
	jobs := make(chan int)
	const workers = 32
	finished := make(chan struct{}, workers)
	for range workers {
		go func() {
			defer func() { finished <- struct{}{} }()
			for i := range jobs {
				id := fmt.Sprintf("%08x-0000-4000-8000-%012x", nonce, i) // distinct per create and per run
				req := &pb.CreateInstanceRequest{Parent: "clouds/nhn-kr1", RequestId: id, Instance: &pb.Instance{
					DisplayName: fmt.Sprintf("cf-%04d", i), Flavor: nhnfake.FlavorU2C1M2, Image: nhnfake.ImageUbuntu,
					Zone: nhnfake.ZoneA, KeyPair: nhnfake.KeyPairName,
					Networks: []*pb.NetworkAttachment{{Subnet: nhnfake.SubnetVPC2}}}}
				for attempt := 1; ; attempt++ {
					if failed.Load() > 0 {
						break // the run has failed already
					}
					if runCtx.Err() != nil {
						failed.Add(1)
						break
					}
					live := *cur.Load()
					g := live[(i+attempt)%len(live)] // replicas: each retry to another
					cctx, ccancel := context.WithTimeout(runCtx, 30*time.Second)
					in, err := g.client.CreateInstance(cctx, req)
					ccancel()
					if err == nil {
						answers[i] = answer{name: in.GetName(), attempts: attempt}
						answered.Add(1)
						break
					}
					st := status.Convert(err)
					count(st.Code())
					if rpcdetail.Reason(err) == "CREATE_OUTCOME_UNKNOWN" {
						unknowns.Add(1)
					}
					switch st.Code() {
					case codes.Unavailable, codes.DeadlineExceeded, codes.Unknown, codes.Internal, codes.Aborted, codes.Canceled,
						codes.ResourceExhausted: // the proxy's 429s (the quota is far off)
					default:
						t.Errorf("create %d (%s): %v: not a retryable answer", i, id, err)
						failed.Add(1)
					}
					if failed.Load() > 0 {
						break
					}
					retries.Add(1)
					time.Sleep(time.Duration(10+attempt*10) * time.Millisecond)
				}
			}
		}()
	}
	restarted := make(chan struct{})
	if restart || replicas {
		go func() {
			defer close(restarted)
			for answered.Load() < int32(n/2) && runCtx.Err() == nil && failed.Load() == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			old := (*cur.Load())[0]
			at := answered.Load()
			if replicas {
				rest := (*cur.Load())[1:]
				cur.Store(&rest) // clients go to the survivor from now on
			}
			_ = old.cmd.Process.Kill() // mid-run, with creates in flight
			<-old.done
			if restart {
				next := []*gateway{start(t, env, "--config", path)}
				cur.Store(&next)
			}
			t.Logf("gateway killed (SIGKILL) after %d of %d creates were answered (restarted: %v)", at, n, restart)
			killedAt.Store(at)
		}()
	} else {
		close(restarted)
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	for range workers {
		<-finished
	}
	<-restarted
	elapsed := time.Since(begin)
	if (restart || replicas) && (killedAt.Load() == 0 || killedAt.Load() >= int32(n)) {
		t.Fatalf("the gateway was not restarted mid-run (killed after %d answers)", killedAt.Load())
	}
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d creates never got an answer", f, n)
	}

	// The vendor's truth, with the faults off: every instance named cf-*.
	proxy.Set(faulttest.Faults{})
	g := (*cur.Load())[0]
	byName := map[string][]string{}
	token := ""
	for {
		page, err := g.client.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/nhn-kr1", PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.GetInstances() {
			if strings.HasPrefix(in.GetDisplayName(), "cf-") {
				byName[in.GetDisplayName()] = append(byName[in.GetDisplayName()], in.GetName())
			}
			if _, ok := in.GetMetadata()["computegw-request-id"]; ok {
				t.Fatalf("the marker shows in a list answer: %v", in.GetMetadata())
			}
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	dups, lost, wrong, total := 0, 0, 0, 0
	maxAttempts := 0
	for i := range n {
		got := byName[fmt.Sprintf("cf-%04d", i)]
		total += len(got)
		switch {
		case len(got) == 0:
			lost++
		case len(got) > 1:
			dups += len(got) - 1
		case got[0] != answers[i].name:
			wrong++
		}
		maxAttempts = max(maxAttempts, answers[i].attempts)
	}
	var seen []string
	for c := range codesSeen {
		if v := codesSeen[c].Load(); v > 0 {
			seen = append(seen, fmt.Sprintf("%v=%d", codes.Code(c), v))
		}
	}
	t.Logf("%d creates (%s) in %v: %d instances at the vendor, %d duplicates, %d lost, %d answered with another instance, 0 left unknown; "+
		"%d client retries (max %d attempts for one create; errors on the way: %s; %d transient CREATE_OUTCOME_UNKNOWN); "+
		"proxy: %d backend requests, %d answered 503, %d answered 429, %d reset before reaching the vendor, %d reset after it acted, %d answers truncated",
		n, mode, elapsed.Round(100*time.Millisecond), total, dups, lost, wrong, retries.Load(), maxAttempts, strings.Join(seen, " "),
		unknowns.Load(), proxy.Requests(), proxy.Count(faulttest.Kind503), proxy.Count(faulttest.Kind429), proxy.Count(faulttest.KindResetBefore),
		proxy.Count(faulttest.KindResetAfter), proxy.Count(faulttest.KindTruncate))
	if total != n || dups != 0 || lost != 0 || wrong != 0 {
		t.Fatalf("want exactly %d instances, one per request_id and the one answered: %d instances, %d duplicates, %d lost, %d answered with another",
			n, total, dups, lost, wrong)
	}
	faulted := 0
	for _, k := range []string{faulttest.Kind503, faulttest.Kind429, faulttest.KindResetBefore, faulttest.KindResetAfter, faulttest.KindTruncate} {
		if proxy.Count(k) == 0 {
			t.Errorf("no request got fault %s: that path went untested", k)
		}
		faulted += proxy.Count(k)
	}
	if share := float64(faulted) / float64(proxy.Requests()); share < 0.2 {
		t.Fatalf("only %.0f%% of the backend requests were faulted", 100*share)
	}
}
