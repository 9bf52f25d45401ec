package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// nhnConfig is a config serving one nhnv2 fake as cloud "nhn", plus extra
// top-level YAML.
func nhnConfig(t *testing.T, nhn *nhnfake.Server, extra string) string {
	return writeFile(t, "limits.yaml", "\nclouds:\n"+nhnInline("nhn", nhn.URL, nhnfake.DemoPassword)+extra)
}

// manifestMemoryLimit is the gateway container's memory limit in the
// Kubernetes manifest, in bytes.
func manifestMemoryLimit(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("../deploy/kubernetes/computegw.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`limits:\s*\{[^}]*memory:\s*(\d+)Mi\b`).FindSubmatch(b)
	if m == nil {
		t.Fatal("deploy/kubernetes/computegw.yaml: no resources.limits.memory in Mi")
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n << 20
}

// procStatus reads a kB field (VmRSS, VmHWM) of /proc/PID/status in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

var (
	plainBinaryOnce sync.Once
	plainBinary     string
	plainBinaryErr  error
)

// memoryBinary is the gateway built without the race detector, whose
// shadow memory would measure the detector rather than the gateway.
func memoryBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return binary
	}
	plainBinaryOnce.Do(func() {
		plainBinary = filepath.Join(filepath.Dir(binary), "gateway-norace")
		if err := buildGateway(plainBinary, false); err != nil {
			plainBinaryErr = fmt.Errorf("building the gateway without -race: %v", err)
		}
	})
	if plainBinaryErr != nil {
		t.Fatal(plainBinaryErr)
	}
	return plainBinary
}

// TestMaxSizeBodiesStayUnderMemoryLimit: 150 concurrent creates, each
// with a body of exactly the default limit (1 MiB; half declared, half
// chunked), against the binary started with the manifest's GOMEMLIMIT:
// every one gets a JSON status (the ones over the in-flight byte cap 429
// GATEWAY_BUSY), and the process's peak RSS stays under the manifest's
// memory limit. One byte more is 413 REQUEST_TOO_LARGE.
func TestMaxSizeBodiesStayUnderMemoryLimit(t *testing.T) {
	limit := manifestMemoryLimit(t)
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	saved := binary
	binary = memoryBinary(t)
	// The Deployment's env: GOMEMLIMIT from resources.limits.memory.
	g := start(t, []string{"GOMEMLIMIT=" + strconv.FormatInt(limit, 10)}, "--config", nhnConfig(t, nhn, ""))
	binary = saved
	pid := g.cmd.Process.Pid

	const maxBody = 1 << 20
	prefix := `{"displayName":"big","flavor":"f","image":"i","metadata":{"k":"`
	suffix := `"}}`
	body := prefix + strings.Repeat("a", maxBody-len(prefix)-len(suffix)) + suffix
	url := "http://" + g.httpAddr + "/v1/clouds/nhn/instances"

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if rss, err := procStatus(pid, "VmRSS"); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	before, _ := procStatus(pid, "VmRSS")

	const n = 150
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}, Timeout: time.Minute}
	type result struct {
		code   int
		reason string
		err    error
	}
	results := make(chan result, n)
	startGun := make(chan struct{})
	for i := range n {
		go func() {
			<-startGun
			var rd io.Reader = strings.NewReader(body)
			if i%2 == 1 {
				rd = io.MultiReader(rd) // length hidden: sent chunked
			}
			req, _ := http.NewRequest(http.MethodPost, url, rd)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer res.Body.Close()
			var e restError
			b, _ := io.ReadAll(res.Body)
			if err := json.Unmarshal(b, &e); err != nil && res.StatusCode != 200 {
				results <- result{code: res.StatusCode, err: fmt.Errorf("not a JSON status: %.200s", b)}
				return
			}
			results <- result{code: res.StatusCode, reason: e.reason()}
		}()
	}
	close(startGun)
	counts := map[string]int{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Errorf("a max-size body got no status: %v", r.err)
			continue
		}
		counts[fmt.Sprintf("%d %s", r.code, r.reason)]++
		if r.code == http.StatusTooManyRequests && r.reason != "GATEWAY_BUSY" {
			t.Errorf("429 with reason %q, want GATEWAY_BUSY", r.reason)
		}
		if r.code == http.StatusRequestEntityTooLarge {
			t.Errorf("a body of exactly the limit was refused as too large")
		}
	}
	close(stop)
	<-sampled
	hwm, err := procStatus(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	busy := counts["429 GATEWAY_BUSY"]
	if busy == n {
		t.Errorf("every body was refused as busy: %v", counts)
	}
	t.Logf("150 concurrent 1 MiB bodies: answers %v; RSS before %d MiB, peak sampled %d MiB, VmHWM %d MiB; manifest limit %d MiB",
		counts, before>>20, peak.Load()>>20, hwm>>20, limit>>20)
	if hwm >= limit || peak.Load() >= limit {
		t.Errorf("peak RSS %d MiB (VmHWM) / %d MiB (sampled) is not under the manifest's memory limit of %d MiB", hwm>>20, peak.Load()>>20, limit>>20)
	}

	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body+" "))
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var e restError
	_ = json.Unmarshal(b, &e)
	if res.StatusCode != http.StatusRequestEntityTooLarge || e.reason() != "REQUEST_TOO_LARGE" {
		t.Errorf("one byte over the limit: HTTP %d %.200s, want 413 REQUEST_TOO_LARGE", res.StatusCode, b)
	}
}

// TestSlowClientsAreCut: a client that sends its headers (or its body) a
// byte at a time loses its connection within read_header_timeout (or
// read_timeout), not when it pleases.
func TestSlowClientsAreCut(t *testing.T) {
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	const headerTimeout, readTimeout = time.Second, 2 * time.Second
	g := start(t, nil, "--config", nhnConfig(t, nhn, "limits:\n  read_header_timeout: 1s\n  read_timeout: 2s\n"))

	cases := []struct {
		name    string
		head    string // sent at once
		drip    string // then one byte per 100ms
		timeout time.Duration
	}{
		{"slow header", "GET /v1/clouds HTTP/1.1\r\nHost: gw\r\n", strings.Repeat("X-Slow: yes\r\n", 100), headerTimeout},
		{"slow body", "POST /v1/clouds/nhn/instances HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n",
			`{"displayName":"` + strings.Repeat("a", 4000), readTimeout},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			conn, err := net.Dial("tcp", g.httpAddr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			begin := time.Now()
			if _, err := io.WriteString(conn, c.head); err != nil {
				t.Error(err)
				return
			}
			closed := make(chan time.Duration, 1)
			go func() {
				_, _ = io.Copy(io.Discard, conn) // until the server closes it
				closed <- time.Since(begin)
			}()
			for i := 0; i < len(c.drip); i++ {
				select {
				case el := <-closed:
					t.Logf("%s: connection cut after %v (timeout %v)", c.name, el.Round(time.Millisecond), c.timeout)
					if el > c.timeout+time.Second {
						t.Errorf("%s: cut after %v, want within %v", c.name, el, c.timeout)
					}
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := conn.Write([]byte{c.drip[i]}); err != nil {
					el := time.Since(begin)
					t.Logf("%s: write refused after %v (timeout %v)", c.name, el.Round(time.Millisecond), c.timeout)
					if el > c.timeout+time.Second {
						t.Errorf("%s: cut after %v, want within %v", c.name, el, c.timeout)
					}
					return
				}
			}
			t.Errorf("%s: still connected after %v of dripping (timeout %v)", c.name, time.Since(begin), c.timeout)
		})
	}
	wg.Wait()
	if code := g.rest(t, "GET", "/v1/clouds", nil, nil); code != 200 {
		t.Errorf("a normal call after the slow clients: HTTP %d", code)
	}
}

// TestSIGTERMUnderLoad: at ~100 calls a second of mixed REST and gRPC
// calls, with watches open on both transports, SIGTERM makes the gateway
// report NOT_SERVING; the load stops once a load balancer would have
// noticed (here: polling /readyz every 100ms), every call made gets its
// answer, every watch ends with GATEWAY_SHUTTING_DOWN, and the process
// exits 0.
func TestSIGTERMUnderLoad(t *testing.T) {
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	defer nhn.Close()
	g := start(t, nil, "--config", nhnConfig(t, nhn, "shutdown_delay: 2s\nshutdown_timeout: 10s\n"))
	name := "clouds/nhn/instances/" + nhnfake.InstanceWebServer
	base := "http://" + g.httpAddr
	client := &http.Client{Timeout: 30 * time.Second}

	// Watches: 5 REST, 5 gRPC.
	watchEnds := make(chan string, 10)
	for range 5 {
		res, err := client.Get(base + "/v1/" + name + ":watch")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("REST watch: %v %v", err, res)
		}
		go func() {
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			last := ""
			for sc.Scan() {
				last = sc.Text()
			}
			watchEnds <- "REST " + last
		}()
		w, err := g.client.WatchInstance(ctx(t), &pb.WatchInstanceRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				if _, err := w.Recv(); err != nil {
					watchEnds <- fmt.Sprintf("gRPC %v %s", status.Code(err), rpcdetail.Reason(err))
					return
				}
			}
		}()
	}

	var notServing atomic.Bool
	lbDone := make(chan struct{})
	go func() { // the load balancer's health check
		defer close(lbDone)
		for {
			res, err := client.Get(base + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode != 200 {
					notServing.Store(true)
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	var (
		calls, answered atomic.Int64
		failMu          sync.Mutex
		failures        []string
		wg              sync.WaitGroup
	)
	fail := func(s string) { failMu.Lock(); failures = append(failures, s); failMu.Unlock() }
	// restCall makes one REST call that must answer want with a JSON body.
	restCall := func(what, method, path, body string, want int) func() {
		return func() {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, _ := http.NewRequest(method, base+path, rd)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				fail("REST " + what + ": " + err.Error())
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want || !json.Valid(b) {
				fail(fmt.Sprintf("REST %s: HTTP %d %.100s, want %d", what, res.StatusCode, b, want))
				return
			}
			answered.Add(1)
		}
	}
	kinds := []func(){
		restCall("GetInstance", http.MethodGet, "/v1/"+name, "", 200),
		restCall("CreateInstance (invalid request_id)", http.MethodPost, "/v1/clouds/nhn/instances?request_id=not-a-uuid", `{"displayName":"x"}`, 400),
		func() {
			if _, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: name}); err != nil {
				fail("gRPC GetInstance: " + err.Error())
				return
			}
			answered.Add(1)
		},
		func() {
			if _, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/nhn", PageSize: 2}); err != nil {
				fail("gRPC ListInstances: " + err.Error())
				return
			}
			answered.Add(1)
		},
	}
	tick := time.NewTicker(10 * time.Millisecond) // ~100 calls a second
	sigAt := time.Now().Add(1500 * time.Millisecond)
	signalled := false
	var sentSignal time.Time
	for i := 0; !notServing.Load(); i++ {
		<-tick.C
		if !signalled && time.Now().After(sigAt) {
			if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			signalled, sentSignal = true, time.Now()
		}
		if signalled && time.Since(sentSignal) > 5*time.Second {
			t.Fatal("/readyz never reported NOT_SERVING after SIGTERM")
		}
		calls.Add(1)
		wg.Go(kinds[i%len(kinds)])
	}
	tick.Stop()
	noticed := time.Since(sentSignal)
	wg.Wait()
	<-lbDone
	for range 10 {
		select {
		case end := <-watchEnds:
			if !strings.Contains(end, "GATEWAY_SHUTTING_DOWN") {
				t.Errorf("watch ended with %q, want GATEWAY_SHUTTING_DOWN", end)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("a watch did not end")
		}
	}
	if err := g.wait(t, 20*time.Second); err != nil {
		t.Errorf("exit: %v, want 0", err)
	}
	t.Logf("%d calls (%d answered), NOT_SERVING noticed %v after SIGTERM, exit %v",
		calls.Load(), answered.Load(), noticed.Round(time.Millisecond), g.cmd.ProcessState)
	for _, f := range failures {
		t.Error(f)
	}
	if calls.Load() < 100 {
		t.Errorf("only %d calls made: not under load", calls.Load())
	}
	if !strings.Contains(g.stderr.String(), `"delay":"2s"`) {
		t.Errorf("no shutting-down line with the 2s delay in the log")
	}
}
