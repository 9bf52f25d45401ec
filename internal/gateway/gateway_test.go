package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/rpcdetail"
	"github.com/computegw/computegw/server"
)

// gw is a gateway that Run serves in the background for one test.
type gw struct {
	cancel             context.CancelFunc
	done               chan error
	httpAddr, grpcAddr string
}

// runGateway starts Run with o plus what every test here shares: one cloud
// "mem" served by a, both listeners on free loopback ports, a silent logger
// and the OnReady hook. It returns once both listeners are up, and fails
// the test if Run returns before that.
func runGateway(t *testing.T, a driver.Adapter, o Options) *gw {
	t.Helper()
	o.Clouds = []server.Cloud{{Name: "mem", Adapter: a}}
	o.HTTPAddr, o.GRPCAddr = "127.0.0.1:0", "127.0.0.1:0"
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ready := make(chan [2]string, 1)
	o.OnReady = func(h, g string) { ready <- [2]string{h, g} }
	ctx, cancel := context.WithCancel(context.Background())
	g := &gw{cancel: cancel, done: make(chan error, 1)}
	go func() { g.done <- Run(ctx, o) }()
	select {
	case addrs := <-ready:
		g.httpAddr, g.grpcAddr = addrs[0], addrs[1]
	case err := <-g.done:
		cancel()
		t.Fatal(err)
	}
	return g
}

// client dials g's gRPC listener; the connection closes when the test ends.
func (g *gw) client(t *testing.T) pb.ComputeServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(g.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewComputeServiceClient(conn)
}

func startRun(t *testing.T, a driver.Adapter, shutdown time.Duration) (context.CancelFunc, chan error, string, string) {
	t.Helper()
	g := runGateway(t, a, Options{ShutdownTimeout: shutdown, WatchInterval: 10 * time.Millisecond})
	return g.cancel, g.done, g.httpAddr, g.grpcAddr
}

type limitedRun struct {
	*gw
	grpc pb.ComputeServiceClient
}

func startLimited(t *testing.T, a driver.Adapter, l config.Limits, delay time.Duration) *limitedRun {
	t.Helper()
	g := runGateway(t, a, Options{ShutdownTimeout: 5 * time.Second, ShutdownDelay: delay, WatchInterval: 20 * time.Millisecond, Limits: &l})
	t.Cleanup(func() {
		g.cancel()
		<-g.done
	})
	return &limitedRun{gw: g, grpc: g.client(t)}
}

// answer is a REST answer: its HTTP status and the status in its body.
type answer struct {
	http int
	restStatus
}

func (a answer) retry() string {
	for _, d := range a.Details {
		if d.RetryDelay != "" {
			return d.RetryDelay
		}
	}
	return ""
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{http: res.StatusCode}
	_ = json.Unmarshal(b, &a.restStatus)
	return a
}

func get(t *testing.T, url string) answer {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	return send(t, req)
}

// slow makes GetInstance take a while, to have calls in flight. Each call
// for the instance ID unary reports on entered once it is inside.
type slow struct {
	driver.Adapter
	unary   string
	entered chan struct{}
}

func (s *slow) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	if id == s.unary {
		s.entered <- struct{}{}
	}
	select {
	case <-time.After(300 * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Adapter.GetInstance(ctx, id)
}

// held makes GetInstance wait until release is closed, counting entries.
type held struct {
	driver.Adapter
	entered chan struct{}
	release chan struct{}
}

func (h *held) GetInstance(ctx context.Context, id string) (*driver.Instance, error) {
	h.entered <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Adapter.GetInstance(ctx, id)
}

// TestShutdownDrainsInFlightCalls: calls in flight when shutdown starts
// finish successfully; open watches end with UNAVAILABLE at once; Run
// returns nil well before the drain bound.
func TestShutdownDrainsInFlightCalls(t *testing.T) {
	mem := memory.New(memory.Options{Seed: true})
	page, _ := mem.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 2})
	// The watch polls the first instance; the two unary calls read the
	// second, so the test knows when both of those are in flight.
	id, unaryID := page.Instances[0].ID, page.Instances[1].ID
	a := &slow{Adapter: mem, unary: unaryID, entered: make(chan struct{}, 2)}
	g := runGateway(t, a, Options{ShutdownTimeout: 10 * time.Second, WatchInterval: 10 * time.Millisecond})
	cancel, done, httpAddr := g.cancel, g.done, g.httpAddr
	c := g.client(t)
	name := "clouds/mem/instances/" + id

	watch, err := c.WatchInstance(context.Background(), &pb.WatchInstanceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil { // the first message: the watch is open
		t.Fatal(err)
	}
	unaryName := "clouds/mem/instances/" + unaryID
	grpcDone := make(chan error, 1)
	go func() {
		_, err := c.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: unaryName})
		grpcDone <- err
	}()
	restDone := make(chan int, 1)
	go func() {
		res, err := http.Get("http://" + httpAddr + "/v1/" + unaryName)
		if err != nil {
			restDone <- 0
			return
		}
		res.Body.Close()
		restDone <- res.StatusCode
	}()
	for range 2 { // both unary calls are inside the adapter
		select {
		case <-a.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the unary calls never reached the adapter")
		}
	}
	start := time.Now()
	cancel() // what SIGTERM does in main

	if err := <-grpcDone; err != nil {
		t.Errorf("in-flight gRPC call failed during drain: %v", err)
	}
	if code := <-restDone; code != 200 {
		t.Errorf("in-flight REST call: HTTP %d during drain", code)
	}
	for {
		_, err := watch.Recv()
		if err != nil {
			if status.Code(err) != codes.Unavailable {
				t.Errorf("watch ended with %v, want UNAVAILABLE (gateway shutting down)", err)
			}
			break
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("drain took %v; open watches should not hold it", el)
	}
	if _, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
		t.Error("REST listener still accepting after shutdown")
	}
}

// TestShutdownDelay: on shutdown the gateway reports NOT_SERVING at once
// but serves calls for shutdown_delay, then stops accepting.
func TestShutdownDelay(t *testing.T) {
	mem := memory.New(memory.Options{Seed: true})
	page, _ := mem.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1})
	name := "clouds/mem/instances/" + page.Instances[0].ID
	r := startLimited(t, mem, config.DefaultLimits(), 800*time.Millisecond)
	start := time.Now()
	r.cancel()
	deadline := time.Now().Add(time.Second)
	for get(t, "http://"+r.httpAddr+"/readyz").http == 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz still 200 after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if a := get(t, "http://"+r.httpAddr+"/v1/"+name); a.http != 200 || time.Since(start) > 700*time.Millisecond {
		t.Errorf("a call during the delay: %+v after %v, want 200", a, time.Since(start))
	}
	if _, err := r.grpc.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name}); err != nil {
		t.Errorf("a gRPC call during the delay: %v", err)
	}
	select {
	case err := <-r.done:
		if el := time.Since(start); err != nil || el < 800*time.Millisecond {
			t.Errorf("Run returned %v after %v, want nil after the 800ms delay", err, el)
		}
		r.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if _, err := http.Get("http://" + r.httpAddr + "/healthz"); err == nil {
		t.Error("still accepting after the delay and drain")
	}
}

// TestRESTBodyLimit: a REST body over MaxRequestBytes is refused before it
// is read whole, declared (Content-Length) or streamed (chunked), and
// nothing reaches the adapter.
func TestRESTBodyLimit(t *testing.T) {
	cc := &countCreates{Adapter: memory.New(memory.Options{Seed: true})}
	cancel, done, httpAddr, _ := startRun(t, cc, time.Second)
	defer func() { cancel(); <-done }()
	big := `{"displayName":"x","flavor":"f","image":"i","metadata":{"k":"` + strings.Repeat("a", int(config.DefaultLimits().MaxRequestBytes)) + `"}}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(big)
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/v1/clouds/mem/instances", body)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// 413, not 429: retry libraries retry a 429, and a retry of the same body cannot succeed.
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "limit") || !strings.Contains(string(msg), `"REQUEST_TOO_LARGE"`) {
			t.Errorf("chunked=%v: HTTP %d %.300s, want 413 REQUEST_TOO_LARGE naming the limit", chunked, res.StatusCode, msg)
		}
	}
	if n := cc.n.Load(); n != 0 {
		t.Errorf("%d creates reached the adapter", n)
	}
}

type countCreates struct {
	driver.Adapter
	n atomic.Int32
}

func (c *countCreates) CreateInstance(ctx context.Context, req *driver.CreateInstanceRequest) (*driver.Instance, error) {
	c.n.Add(1)
	return c.Adapter.CreateInstance(ctx, req)
}

// TestInflightCallsCap: with max_inflight_calls calls held in the adapter,
// the next REST call is 429 GATEWAY_BUSY with RetryInfo, the next gRPC call
// RESOURCE_EXHAUSTED GATEWAY_BUSY; health still answers; once the held
// calls finish, calls are served again.
func TestInflightCallsCap(t *testing.T) {
	mem := memory.New(memory.Options{Seed: true})
	page, _ := mem.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1})
	name := "clouds/mem/instances/" + page.Instances[0].ID
	h := &held{Adapter: mem, entered: make(chan struct{}, 8), release: make(chan struct{})}
	l := config.DefaultLimits()
	l.MaxInflightCalls = 2
	r := startLimited(t, h, l, 0)

	results := make(chan answer, 2)
	go func() { results <- get(t, "http://"+r.httpAddr+"/v1/"+name) }()
	go func() {
		_, err := r.grpc.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
		a := answer{http: 200}
		if err != nil {
			a.http, a.Message = 500, status.Convert(err).Message()
		}
		results <- a
	}()
	for range 2 {
		select {
		case <-h.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the held calls never reached the adapter")
		}
	}
	a := get(t, "http://"+r.httpAddr+"/v1/"+name)
	if a.http != http.StatusTooManyRequests || a.reason() != "GATEWAY_BUSY" || a.retry() == "" || !strings.Contains(a.Message, "max_inflight_calls") {
		t.Errorf("REST call over the cap: %+v, want 429 GATEWAY_BUSY with RetryInfo naming limits.max_inflight_calls", a)
	}
	_, err := r.grpc.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name})
	if status.Code(err) != codes.ResourceExhausted || rpcdetail.Reason(err) != "GATEWAY_BUSY" {
		t.Errorf("gRPC call over the cap: %v, want RESOURCE_EXHAUSTED GATEWAY_BUSY", err)
	}
	if a := get(t, "http://"+r.httpAddr+"/healthz"); a.http != 200 {
		t.Errorf("/healthz at the cap: HTTP %d", a.http)
	}
	close(h.release)
	for range 2 {
		if a := <-results; a.http != 200 {
			t.Errorf("held call: %+v", a)
		}
	}
	if a := get(t, "http://"+r.httpAddr+"/v1/"+name); a.http != 200 {
		t.Errorf("after the held calls: %+v", a)
	}
}

// TestInflightBytesCap: a body held half-sent keeps its declared bytes in
// flight: a second body that does not fit is 429 GATEWAY_BUSY, while a body
// over max_request_bytes is 413 REQUEST_TOO_LARGE whatever the load.
func TestInflightBytesCap(t *testing.T) {
	l := config.DefaultLimits()
	l.MaxRequestBytes, l.MaxInflightRequestBytes = 4<<10, 6<<10
	r := startLimited(t, memory.New(memory.Options{Seed: true}), l, 0)
	url := "http://" + r.httpAddr + "/v1/clouds/mem/instances"

	pr, pw := io.Pipe()
	first, _ := http.NewRequest(http.MethodPost, url, pr)
	first.ContentLength = 4000
	first.Header.Set("Content-Type", "application/json")
	firstDone := make(chan struct{})
	go func() { // cut short below: its answer does not matter
		defer close(firstDone)
		if res, err := http.DefaultClient.Do(first); err == nil {
			res.Body.Close()
		}
	}()
	if _, err := pw.Write([]byte(`{"displayName":"`)); err != nil { // the handler is reading it
		t.Fatal(err)
	}
	body := `{"displayName":"x","flavor":"f","image":"i","metadata":{"k":"` + strings.Repeat("a", 2900) + `"}}`
	second, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	second.Header.Set("Content-Type", "application/json")
	a := send(t, second)
	if a.http != http.StatusTooManyRequests || a.reason() != "GATEWAY_BUSY" || !strings.Contains(a.Message, "max_inflight_request_bytes") {
		t.Errorf("second body: %+v, want 429 GATEWAY_BUSY naming limits.max_inflight_request_bytes", a)
	}
	big, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(strings.Repeat(" ", 5000)))
	if a := send(t, big); a.http != http.StatusRequestEntityTooLarge || a.reason() != "REQUEST_TOO_LARGE" || !strings.Contains(a.Message, "4096") {
		t.Errorf("body over max_request_bytes under load: %+v, want 413 REQUEST_TOO_LARGE naming the limit", a)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-firstDone
	// The server notices the cut body just after the client gives up.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		second, _ = http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		second.Header.Set("Content-Type", "application/json")
		a := send(t, second)
		if a.http != http.StatusTooManyRequests && a.http != http.StatusRequestEntityTooLarge {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second body once the first is gone: %+v", a)
		}
	}
}

// TestWatchStreamsPerCaller: one caller (here: one address) gets
// watch_streams_per_caller open watches over both transports; the next is
// RESOURCE_EXHAUSTED (REST 429) TOO_MANY_WATCHES; ending one frees a slot.
func TestWatchStreamsPerCaller(t *testing.T) {
	mem := memory.New(memory.Options{Seed: true})
	page, _ := mem.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1})
	name := "clouds/mem/instances/" + page.Instances[0].ID
	l := config.DefaultLimits()
	l.WatchStreamsPerCaller = 2
	r := startLimited(t, mem, l, 0)

	restWatch, err := http.Get("http://" + r.httpAddr + "/v1/" + name + ":watch")
	if err != nil || restWatch.StatusCode != 200 {
		t.Fatalf("first watch: %v %v", err, restWatch)
	}
	defer restWatch.Body.Close()
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	gw, err := r.grpc.WatchInstance(wctx, &pb.WatchInstanceRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Recv(); err != nil {
		t.Fatalf("second watch: %v", err)
	}
	a := get(t, "http://"+r.httpAddr+"/v1/"+name+":watch")
	if a.http != http.StatusTooManyRequests || a.reason() != "TOO_MANY_WATCHES" || !strings.Contains(a.Message, "watch_streams_per_caller") {
		t.Errorf("third watch (REST): %+v, want 429 TOO_MANY_WATCHES naming limits.watch_streams_per_caller", a)
	}
	g3, err := r.grpc.WatchInstance(context.Background(), &pb.WatchInstanceRequest{Name: name})
	if err == nil {
		_, err = g3.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted || rpcdetail.Reason(err) != "TOO_MANY_WATCHES" {
		t.Errorf("third watch (gRPC): %v, want RESOURCE_EXHAUSTED TOO_MANY_WATCHES", err)
	}
	wcancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := http.Get("http://" + r.httpAddr + "/v1/" + name + ":watch")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a watch slot never came back after one watch ended: HTTP %d", res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchOutlivesWriteTimeout: the REST listener's read and write
// timeouts cut nothing on the watch route: a watch open three times
// longer still delivers a state change.
func TestWatchOutlivesWriteTimeout(t *testing.T) {
	mem := memory.New(memory.Options{Seed: true})
	page, _ := mem.ListInstances(context.Background(), driver.ListInstancesOptions{PageSize: 1})
	in := page.Instances[0]
	name := "clouds/mem/instances/" + in.ID
	l := config.DefaultLimits()
	l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout = 200*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	r := startLimited(t, mem, l, 0)

	res, err := http.Get("http://" + r.httpAddr + "/v1/" + name + ":watch")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("watch: %v %v", err, res)
	}
	defer res.Body.Close()
	lines := make(chan string, 16)
	go func() {
		b := make([]byte, 64<<10)
		for {
			n, err := res.Body.Read(b)
			if n > 0 {
				lines <- string(b[:n])
			}
			if err != nil {
				lines <- "EOF: " + err.Error()
				return
			}
		}
	}()
	first := <-lines
	if !strings.Contains(first, `"result"`) {
		t.Fatalf("first line %q", first)
	}
	time.Sleep(time.Second)
	verb := ":stop"
	if in.State != driver.StateRunning {
		verb = ":start"
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.httpAddr+"/v1/"+name+verb, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if a := send(t, req); a.http != 200 {
		t.Fatalf("%s: %+v", verb, a)
	}
	select {
	case l := <-lines:
		if !strings.Contains(l, `"result"`) {
			t.Errorf("after a second (write_timeout 300ms): %q, want the state change", l)
		}
	case <-time.After(5 * time.Second):
		t.Error("no state change delivered")
	}
}
