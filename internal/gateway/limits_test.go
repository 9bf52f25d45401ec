package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/server"
)

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

type limitedRun struct {
	cancel           context.CancelFunc
	done             chan error
	httpAddr, grpcAd string
	grpc             pb.ComputeServiceClient
}

func startLimited(t *testing.T, a driver.Adapter, l config.Limits, delay time.Duration) *limitedRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	r := &limitedRun{cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- Run(ctx, Options{
			Clouds: []server.Cloud{{Name: "mem", Adapter: a}}, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: 5 * time.Second, ShutdownDelay: delay,
			WatchInterval: 20 * time.Millisecond, Limits: &l,
			OnReady: func(h, g string) { ready <- [2]string{h, g} },
		})
	}()
	select {
	case addrs := <-ready:
		r.httpAddr, r.grpcAd = addrs[0], addrs[1]
	case err := <-r.done:
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(r.grpcAd, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		<-r.done
	})
	r.grpc = pb.NewComputeServiceClient(conn)
	return r
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

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
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
	if status.Code(err) != codes.ResourceExhausted || reasonOf(err) != "GATEWAY_BUSY" {
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
	if status.Code(err) != codes.ResourceExhausted || reasonOf(err) != "TOO_MANY_WATCHES" {
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
