// Package bench measures what the gateway costs per call, next to the
// physical floor, in one run (see README.md, "Benchmarks"):
//
//   - direct: the vendor call(s) alone, made by hand over loopback (no gRPC,
//     no conversion), decoded generically for GetInstance (direct-typed: into
//     the floor's typed struct) and typed elsewhere;
//   - floor: a bare grpc-go handler that makes the same vendor call(s),
//     decodes them in one typed pass and converts by hand to the API's
//     messages; called over gRPC like the gateway;
//   - grpc, rest: the gateway itself (gateway.Run with an nhnv2 cloud).
//
// Every path talks to the same fake NHN server (adapters/nhnv2/fake) in the
// same process, which caps list pages at 10 servers as Nova's
// osapi_max_limit does, so a page of 50 costs five vendor round trips on
// every path.
//
//	go test -run '^$' -bench . -benchmem -count 5 ./bench/ | tee bench.txt
//	go run ./bench/ratios < bench.txt
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/gateway"
)

// vendorPageCap is the fake vendor's largest list page (Nova's
// osapi_max_limit as a vendor may set it).
const vendorPageCap = 10

// extraInstances are created on top of the fake's seeded ones, so that a
// page of 50 is full.
const extraInstances = 60

type env struct {
	fake     *nhnfake.Server
	vendor   string // compute base: fake.URL + "/v2/{tenant}"
	token    string
	http     *http.Client // for direct calls
	httpAddr string       // gateway REST
	gw       pb.ComputeServiceClient
	floor    pb.ComputeServiceClient
	fl       *floor
	stop     func()
}

// setup starts a fake NHN server (with extra instances when withList), the
// gateway in front of it, and the floor handler.
func setup(tb testing.TB, withList bool) *env { return setupWith(tb, withList, nil) }

// setupWith is setup with the gateway's options changed by mod.
func setupWith(tb testing.TB, withList bool, mod func(*gateway.Options)) *env {
	tb.Helper()
	fake := nhnfake.NewServer(nhnfake.Options{SeedInstances: true, MaxLimit: vendorPageCap, InstanceQuota: 1 << 30})
	e := &env{fake: fake, vendor: fake.URL + "/v2/" + nhnfake.DemoTenantID, http: backendhttp.NewClient()}
	e.token = login(tb, fake.URL)
	if withList {
		for i := range extraInstances {
			e.createDirect(tb, fmt.Sprintf("bench-%03d", i))
		}
	}

	cfg := fmt.Sprintf("clouds:\n  - name: nhn\n    dialect: nhnv2\n    identity_endpoint: %s\n    tenant_id: %s\n    username: %s\n    password_env: BENCH_NHN_PASSWORD\n",
		fake.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername)
	path := filepath.Join(tb.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	addrs, stopGateway := runGateway(tb, path, mod)
	e.httpAddr = addrs[0]
	gwConn := dial(tb, addrs[1])
	e.gw = pb.NewComputeServiceClient(gwConn)

	e.fl = newFloor(tb, e.vendor, e.token)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	gs := grpc.NewServer()
	pb.RegisterComputeServiceServer(gs, e.fl)
	go gs.Serve(lis)
	flConn := dial(tb, lis.Addr().String())
	e.floor = pb.NewComputeServiceClient(flConn)

	e.stop = func() {
		gwConn.Close()
		flConn.Close()
		gs.Stop()
		stopGateway()
		fake.Close()
	}
	// Warm both: token, connections, the gateway's flavor cache.
	for _, c := range []pb.ComputeServiceClient{e.gw, e.floor} {
		if _, err := c.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: webServer}); err != nil {
			tb.Fatal(err)
		}
		if _, err := c.ListFlavors(context.Background(), &pb.ListFlavorsRequest{Parent: "clouds/nhn"}); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

const webServer = "clouds/nhn/instances/" + nhnfake.InstanceWebServer

func dial(tb testing.TB, addr string) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// login obtains a token the way the adapter does.
func login(tb testing.TB, base string) string {
	body := fmt.Sprintf(`{"auth":{"tenantId":%q,"passwordCredentials":{"username":%q,"password":%q}}}`,
		nhnfake.DemoTenantID, nhnfake.DemoUsername, nhnfake.DemoPassword)
	res, err := http.Post(base+"/v2.0/tokens", "application/json", bytes.NewBufferString(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		Access struct{ Token struct{ ID string } }
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.Access.Token.ID == "" {
		tb.Fatalf("login: %v %v", res.Status, err)
	}
	return tok.Access.Token.ID
}

// createBody is the create request every path sends: a U2 flavor (local
// disk, no block_device_mapping_v2, so no flavor-dependent request shape).
func createBody(name string) []byte {
	b, _ := json.Marshal(map[string]any{"server": map[string]any{
		"name": name, "imageRef": nhnfake.ImageUbuntu, "flavorRef": nhnfake.FlavorU2C1M2,
		"key_name": nhnfake.KeyPairName, "networks": []any{map[string]any{"uuid": nhnfake.NetworkVPC2}},
	}})
	return b
}

func createRequest(name string) *pb.CreateInstanceRequest {
	return &pb.CreateInstanceRequest{Parent: "clouds/nhn", Instance: &pb.Instance{
		DisplayName: name, Flavor: nhnfake.FlavorU2C1M2, Image: nhnfake.ImageUbuntu,
		KeyPair: nhnfake.KeyPairName, Networks: []*pb.NetworkAttachment{{Network: nhnfake.NetworkVPC2}},
	}}
}

// vendorDo makes one vendor call and decodes a 2xx answer into out.
func vendorDo(c *http.Client, method, url, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("%s %s: %s %s", method, url, res.Status, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, res.Body)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

func (e *env) createDirect(tb testing.TB, name string) string {
	var created struct {
		Server struct {
			ID string `json:"id"`
		} `json:"server"`
	}
	if err := vendorDo(e.http, http.MethodPost, e.vendor+"/servers", e.token, createBody(name), &created); err != nil {
		tb.Fatal(err)
	}
	return created.Server.ID
}

// deleteDirect deletes a server and reads it once so that the fake
// completes the deletion (and frees its address) before the next create.
func (e *env) deleteDirect(tb testing.TB, id string) {
	if err := vendorDo(e.http, http.MethodDelete, e.vendor+"/servers/"+id, e.token, nil, nil); err != nil {
		tb.Fatal(err)
	}
	_ = vendorDo(e.http, http.MethodGet, e.vendor+"/servers/"+id, e.token, nil, nil)
}

// runGateway runs the gateway in process with the config at path (every
// secret the fake's demo password) (mod, if set, changes its options) and returns its REST and gRPC
// addresses
// and a function that stops it.
func runGateway(tb testing.TB, path string, mod func(*gateway.Options)) (addrs [2]string, stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	opt := gateway.Options{
		ConfigPath: path, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Getenv:  func(string) (string, bool) { return nhnfake.DemoPassword, true },
		OnReady: func(h, g string) { ready <- [2]string{h, g} },
	}
	if mod != nil {
		mod(&opt) // before the gateway starts
	}
	go func() { done <- gateway.Run(ctx, opt) }()
	select {
	case addrs = <-ready:
	case err := <-done:
		cancel()
		tb.Fatal(err)
	}
	return addrs, func() { cancel(); <-done }
}
