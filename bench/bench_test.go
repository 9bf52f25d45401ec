// Package bench measures what the gateway costs per call: the same
// GetInstance made directly to a fake NHN server over loopback, through the
// gateway over gRPC, and through the gateway over REST.
//
//	go test -run '^$' -bench . -benchmem ./bench/
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/gateway"
)

type env struct {
	fake      *nhnfake.Server
	httpAddr  string
	grpcAddr  string
	stop      func()
	token     string
	serverURL string
}

func setup(b testing.TB) *env {
	b.Helper()
	fake := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	cfg := fmt.Sprintf("clouds:\n  - name: nhn\n    dialect: nhnv2\n    identity_endpoint: %s\n    tenant_id: %s\n    username: %s\n    password_env: BENCH_NHN_PASSWORD\n",
		fake.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername)
	path := filepath.Join(b.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- gateway.Run(ctx, gateway.Options{
			ConfigPath: path, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
			Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
			Getenv:  func(string) (string, bool) { return nhnfake.DemoPassword, true },
			OnReady: func(h, g string) { ready <- [2]string{h, g} },
		})
	}()
	var addrs [2]string
	select {
	case addrs = <-ready:
	case err := <-done:
		b.Fatal(err)
	}
	e := &env{fake: fake, httpAddr: addrs[0], grpcAddr: addrs[1], stop: func() { cancel(); <-done; fake.Close() }}
	// A token for the direct calls, obtained the way the adapter does.
	body := fmt.Sprintf(`{"auth":{"tenantId":%q,"passwordCredentials":{"username":%q,"password":%q}}}`,
		nhnfake.DemoTenantID, nhnfake.DemoUsername, nhnfake.DemoPassword)
	res, err := http.Post(fake.URL+"/v2.0/tokens", "application/json", bytes.NewBufferString(body))
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		Access struct{ Token struct{ ID string } }
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	e.token = tok.Access.Token.ID
	e.serverURL = fake.URL + "/v2/" + nhnfake.DemoTenantID + "/servers/" + nhnfake.InstanceWebServer
	return e
}

func BenchmarkGetInstance(b *testing.B) {
	e := setup(b)
	defer e.stop()

	b.Run("direct-vendor-http", func(b *testing.B) {
		client := backendhttp.NewClient()
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, e.serverURL, nil)
			req.Header.Set("X-Auth-Token", e.token)
			req.Header.Set("Accept", "application/json")
			res, err := client.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("%v %v", res, err)
			}
			var v map[string]any
			json.NewDecoder(res.Body).Decode(&v)
			res.Body.Close()
		}
	})

	b.Run("gateway-grpc", func(b *testing.B) {
		conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		c := pb.NewComputeServiceClient(conn)
		name := "clouds/nhn/instances/" + nhnfake.InstanceWebServer
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetInstance(context.Background(), &pb.GetInstanceRequest{Name: name}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("gateway-rest", func(b *testing.B) {
		client := backendhttp.NewClient()
		url := "http://" + e.httpAddr + "/v1/clouds/nhn/instances/" + nhnfake.InstanceWebServer
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Get(url)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("%v %v", res, err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})

	// For comparison only: REST through grpc-gateway's client registration,
	// i.e. a loopback gRPC hop, which computegw deliberately does not use.
	b.Run("rest-via-loopback-grpc-hop", func(b *testing.B) {
		conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		mux := runtime.NewServeMux()
		if err := pb.RegisterComputeServiceHandlerClient(context.Background(), mux, pb.NewComputeServiceClient(conn)); err != nil {
			b.Fatal(err)
		}
		hop := httptest.NewServer(mux)
		defer hop.Close()
		client := backendhttp.NewClient()
		url := hop.URL + "/v1/clouds/nhn/instances/" + nhnfake.InstanceWebServer
		b.ReportAllocs()
		for b.Loop() {
			res, err := client.Get(url)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("%v %v", res, err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})

	b.Run("gateway-grpc-parallel", func(b *testing.B) {
		conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		c := pb.NewComputeServiceClient(conn)
		name := "clouds/nhn/instances/" + nhnfake.InstanceWebServer
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb_ *testing.PB) {
			for pb_.Next() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := c.GetInstance(ctx, &pb.GetInstanceRequest{Name: name})
				cancel()
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// TestPathsAgree keeps the benchmark honest: the direct call and both
// gateway paths answer the same instance.
func TestPathsAgree(t *testing.T) {
	e := setup(t)
	defer e.stop()
	req, _ := http.NewRequest(http.MethodGet, e.serverURL, nil)
	req.Header.Set("X-Auth-Token", e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var direct struct{ Server struct{ Name string } }
	json.NewDecoder(res.Body).Decode(&direct)
	res.Body.Close()

	conn, err := grpc.NewClient(e.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	viaGRPC, err := pb.NewComputeServiceClient(conn).GetInstance(context.Background(), &pb.GetInstanceRequest{Name: "clouds/nhn/instances/" + nhnfake.InstanceWebServer})
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get("http://" + e.httpAddr + "/v1/clouds/nhn/instances/" + nhnfake.InstanceWebServer)
	if err != nil {
		t.Fatal(err)
	}
	var viaREST struct{ DisplayName string }
	json.NewDecoder(res.Body).Decode(&viaREST)
	res.Body.Close()
	if direct.Server.Name == "" || viaGRPC.GetDisplayName() != direct.Server.Name || viaREST.DisplayName != direct.Server.Name {
		t.Errorf("direct %q, gRPC %q, REST %q", direct.Server.Name, viaGRPC.GetDisplayName(), viaREST.DisplayName)
	}
}
