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
	"github.com/computegw/computegw/server"
)

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

func startRun(t *testing.T, a driver.Adapter, shutdown time.Duration) (context.CancelFunc, chan error, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			Clouds: []server.Cloud{{Name: "mem", Adapter: a}}, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ShutdownTimeout: shutdown, WatchInterval: 10 * time.Millisecond,
			OnReady: func(h, g string) { ready <- [2]string{h, g} },
		})
	}()
	select {
	case addrs := <-ready:
		return cancel, done, addrs[0], addrs[1]
	case err := <-done:
		t.Fatal(err)
	}
	return nil, nil, "", ""
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
	cancel, done, httpAddr, grpcAddr := startRun(t, a, 10*time.Second)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := pb.NewComputeServiceClient(conn)
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

// TestRESTGatewayErrorsCarryErrorInfo: errors grpc-gateway makes itself (a
// body that is not JSON, a query parameter of the wrong type, no such
// route) carry the contract's ErrorInfo like every service error.
func TestRESTGatewayErrorsCarryErrorInfo(t *testing.T) {
	cancel, done, httpAddr, _ := startRun(t, memory.New(memory.Options{Seed: true}), time.Second)
	defer func() { cancel(); <-done }()
	cases := []struct {
		method, path, body string
		http               int
		reason, msg        string
	}{
		{"POST", "/v1/clouds/mem/instances", "not json", 400, "INVALID_ARGUMENT", "body: not valid JSON"},
		{"POST", "/v1/clouds/mem/instances", `{"displayName":"x","flavour":"f"}`, 400, "INVALID_ARGUMENT", "flavour"},
		{"GET", "/v1/clouds/mem/instances?page_size=many", "", 400, "INVALID_ARGUMENT", "page_size"},
		{"GET", "/v1/nowhere", "", 404, "NOT_FOUND", "no REST route for GET /v1/nowhere"},
		// A query parameter that names no field is refused, as an unknown
		// body field is: a typo must not be silently ignored.
		{"GET", "/v1/clouds/mem/instances?pagesize=1", "", 400, "INVALID_ARGUMENT", `unknown query parameter "pagesize"`},
		{"GET", "/v1/clouds/mem/flavors?min_ram_mb=1&minRam=2", "", 400, "INVALID_ARGUMENT", `unknown query parameter "minRam"`},
		// The streaming watch route parses its own query: a typo is an
		// error, not a watch without target that runs for an hour.
		{"GET", "/v1/clouds/mem/instances/x:watch?target=RUNNING", "", 400, "INVALID_ARGUMENT", "target: unknown query parameter"},
		{"GET", "/v1/clouds/mem/instances/x:watch?targetStates=RUNING", "", 400, "INVALID_ARGUMENT", `target_states: unknown state "RUNING"`},
	}
	for _, c := range cases {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, "http://"+httpAddr+c.path, body)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Message string
			Details []map[string]any
		}
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err != nil || res.StatusCode != c.http || !strings.Contains(st.Message, c.msg) {
			t.Errorf("%s %s: HTTP %d %q (%v), want %d and a message with %q", c.method, c.path, res.StatusCode, st.Message, err, c.http, c.msg)
			continue
		}
		found := false
		for _, d := range st.Details {
			if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" && d["domain"] == "computegw" && d["reason"] == c.reason {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: details %v lack ErrorInfo %s/computegw", c.method, c.path, st.Details, c.reason)
		}
	}
}
