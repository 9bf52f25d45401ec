package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// TestGcoreConfigMode serves a gcore cloud from a config file (endpoint,
// project_id, region_id, api_key_env; no timeout: the dialect's default) against the fake
// Gcore server, through the real binary: a create whose caller gave up
// while the task ran finishes and a retry with the same request_id gets it
// (one create at Gcore); a task ending in ERROR, a 409 while a task runs, a
// 429 and a rejected API key each come back as the contract's error; the
// key never appears in the gateway's output.
func TestGcoreConfigMode(t *testing.T) {
	var throttle atomic.Bool
	srv := gcorefake.NewServer(gcorefake.Options{Seed: true, BuildTime: 1500 * time.Millisecond, TaskTime: 2 * time.Second,
		Hook: func(w http.ResponseWriter, r *http.Request) bool {
			if throttle.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+gcorefake.InstanceDB) {
				w.Header().Set("Retry-After", "12")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}})
	defer srv.Close()
	cfg := fmt.Sprintf(`
clouds:
  - name: gcore-lux
    dialect: gcore
    endpoint: %s
    project_id: %d
    region_id: %d
    api_key_env: E2E_GCORE_KEY
    zones: [lux-1]
  - name: gcore-badkey
    dialect: gcore
    endpoint: %s
    project_id: %d
    region_id: %d
    api_key_env: E2E_GCORE_BAD_KEY
`, srv.URL, gcorefake.DemoProjectID, gcorefake.DemoRegionID, srv.URL, gcorefake.DemoProjectID, gcorefake.DemoRegionID)
	const badKey = "wrong-gcore-key-0123456789"
	g := start(t, []string{"E2E_GCORE_KEY=" + gcorefake.DemoAPIKey, "E2E_GCORE_BAD_KEY=" + badKey}, "--config", writeFile(t, "gcore.yaml", cfg))

	c, err := g.client.GetCloud(ctx(t), &pb.GetCloudRequest{Name: "clouds/gcore-lux"})
	if err != nil || c.GetDialect() != pb.Cloud_GCORE {
		t.Fatalf("GetCloud: %v %v", c, err)
	}

	t.Run("CreateFinishesAfterTheCallerGaveUp", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"displayName": "patient", "flavor": gcorefake.FlavorSmall, "image": gcorefake.ImageUbuntu,
			"networks": []any{map[string]any{"network": gcorefake.NetworkPrivate}}, "bootVolume": map[string]any{"sizeGb": 10}})
		url := "http://" + g.httpAddr + "/v1/clouds/gcore-lux/instances?request_id=7c2d9e4f-0000-4000-8000-00000000e2e0"
		impatient := &http.Client{Timeout: 300 * time.Millisecond}
		if res, err := impatient.Post(url, "application/json", bytes.NewReader(body)); err == nil {
			res.Body.Close()
			t.Fatalf("the first create answered within 300 ms (HTTP %d) although the build takes 1.5 s", res.StatusCode)
		}
		var created restInstance
		if code := g.rest(t, "POST", strings.TrimPrefix(url, "http://"+g.httpAddr), json.RawMessage(body), &created); code != 200 || created.State != "RUNNING" {
			t.Fatalf("retry: HTTP %d %+v", code, created)
		}
		if n := srv.Creates(); n != 1 {
			t.Errorf("%d creates reached Gcore, want 1", n)
		}
	})

	t.Run("TaskError", func(t *testing.T) {
		_, err := g.client.CreateInstance(ctx(t), &pb.CreateInstanceRequest{Parent: "clouds/gcore-lux", Instance: &pb.Instance{
			DisplayName: "broken", Flavor: gcorefake.FlavorSmall, Image: gcorefake.ImageBroken, BootVolume: &pb.BootVolume{SizeGb: 10}}})
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || rpcdetail.Reason(err) != "BACKEND_TASK_FAILED" ||
			!strings.Contains(st.Message(), gcorefake.ImageBrokenError) {
			t.Errorf("task ERROR: %v (%s)", st, rpcdetail.Reason(err))
		}
	})

	t.Run("ConflictWhileATaskRuns", func(t *testing.T) {
		name := "clouds/gcore-lux/instances/" + gcorefake.InstanceWeb
		if _, err := g.client.StopInstance(ctx(t), &pb.StopInstanceRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		in, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: name})
		if err != nil || in.GetState() != pb.Instance_STOPPING || in.GetVendorTaskState() != "powering-off" {
			t.Errorf("while stopping: %v %q %v", in.GetState(), in.GetVendorTaskState(), err)
		}
		_, err = g.client.RebootInstance(ctx(t), &pb.RebootInstanceRequest{Name: name, Type: pb.RebootInstanceRequest_HARD})
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || rpcdetail.Reason(err) != "STATE_CONFLICT" || !strings.Contains(st.Message(), "task") {
			t.Errorf("reboot while the stop task runs: %v", st)
		}
	})

	t.Run("RateLimited", func(t *testing.T) {
		throttle.Store(true)
		defer throttle.Store(false)
		_, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: "clouds/gcore-lux/instances/" + gcorefake.InstanceDB})
		if delay, ok := rpcdetail.RetryDelay(err); status.Code(err) != codes.ResourceExhausted || !ok || delay != 12*time.Second {
			t.Errorf("429: %v, retry info %v (%v)", err, ok, delay)
		}
		if code := g.rest(t, "GET", "/v1/clouds/gcore-lux/instances/"+gcorefake.InstanceDB, nil, nil); code != 429 {
			t.Errorf("REST 429: HTTP %d", code)
		}
	})

	t.Run("RejectedKey", func(t *testing.T) {
		_, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/gcore-badkey"})
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || rpcdetail.Reason(err) != "BACKEND_CREDENTIALS_REJECTED" {
			t.Errorf("wrong key: %v (%s)", st, rpcdetail.Reason(err))
		}
	})

	for _, key := range []string{gcorefake.DemoAPIKey, badKey} {
		if strings.Contains(g.stderr.String(), key) {
			t.Errorf("an API key appears in the gateway's output")
		}
	}
}
