package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	demomode "github.com/computegw/computegw/internal/demo"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/rpcdetail"
)

// demoCreate is, per demo cloud, a create body valid for its dialect.
var demoCreate = map[string]map[string]any{
	"nhn-demo": {"flavor": nhnfake.FlavorU2C1M2, "image": nhnfake.ImageUbuntu, "zone": nhnfake.ZoneA,
		"keyPair": nhnfake.KeyPairName, "networks": []any{map[string]any{"subnet": nhnfake.SubnetVPC2}}},
	"toast-demo": {"flavor": toastfake.FlavorID, "image": toastfake.ImageID, "zone": toastfake.Zone, "keyPair": toastfake.DemoKeyPair,
		"networks": []any{map[string]any{"network": toastfake.NetworkID}}, "bootVolume": map[string]any{"sizeGb": 20}},
	"k5-demo": {"flavor": k5fake.FlavorS1, "image": k5fake.ImageUbuntu, "zone": k5fake.ZoneA, "keyPair": k5fake.KeyPairName,
		"networks": []any{map[string]any{"network": k5fake.NetworkA}}},
	"gcore-demo": {"flavor": gcorefake.FlavorSmall, "image": gcorefake.ImageUbuntu, "zone": demomode.GcoreZone, "keyPair": gcorefake.KeyPair,
		"networks": []any{map[string]any{"subnet": gcorefake.SubnetPrivate}}, "securityGroups": []any{gcorefake.SecurityGroupWeb},
		"bootVolume": map[string]any{"sizeGb": 10, "deleteOnTermination": true}},
}

// demoClouds are the demo clouds, in the order the gateway serves them.
var demoClouds = []string{"nhn-demo", "toast-demo", "k5-demo", "gcore-demo"}

// gcoreCapabilities is what a gcore cloud offers (the required RPCs and
// the optional ones its adapter implements), in GetCloud's order.
var gcoreCapabilities = []string{"ListInstances", "GetInstance", "CreateInstance", "UpdateInstance", "DeleteInstance",
	"StartInstance", "StopInstance", "RebootInstance", "ResizeInstance", "AddSecurityGroup", "RemoveSecurityGroup",
	"WatchInstance", "ListFlavors", "GetFlavor", "ListZones"}

func demoCreateProto(cloud, name string) *pb.Instance {
	b, _ := json.Marshal(demoCreate[cloud])
	in := &pb.Instance{}
	if err := (protojsonUnmarshal(b, in)); err != nil {
		panic(err)
	}
	in.DisplayName = name
	return in
}

// demoRequestID is a request_id (a UUID) per demo cloud.
var demoRequestID = map[string]string{
	"nhn-demo": "5b0e2c6e-7a1f-4b8e-9d2a-000000000001", "toast-demo": "5b0e2c6e-7a1f-4b8e-9d2a-000000000002",
	"k5-demo": "5b0e2c6e-7a1f-4b8e-9d2a-000000000003", "gcore-demo": "5b0e2c6e-7a1f-4b8e-9d2a-000000000004",
}

func TestDemo(t *testing.T) {
	g := start(t, []string{"COMPUTEGW_CONFIG="})
	if !strings.Contains(g.stderr.String(), "DEMO MODE") || !strings.Contains(g.stderr.String(), "curl http://") {
		t.Errorf("no demo banner on stderr:\n%s", g.stderr.String())
	}

	t.Run("ListCloudsREST", func(t *testing.T) {
		var res struct {
			Clouds []struct {
				Name, Dialect string
				Capabilities  []string
			}
		}
		if code := g.rest(t, "GET", "/v1/clouds", nil, &res); code != 200 {
			t.Fatalf("status %d", code)
		}
		want := map[string]string{"clouds/nhn-demo": "NHN_V2", "clouds/toast-demo": "TOAST_V1", "clouds/k5-demo": "K5", "clouds/gcore-demo": "GCORE"}
		if len(res.Clouds) != len(demoClouds) {
			t.Fatalf("clouds %+v", res.Clouds)
		}
		for _, c := range res.Clouds {
			if want[c.Name] != c.Dialect {
				t.Errorf("cloud %s dialect %s", c.Name, c.Dialect)
			}
			if c.Name == "clouds/toast-demo" && !slices.Contains(c.Capabilities, "AddFloatingIp") {
				t.Errorf("toast capabilities lack AddFloatingIp: %v", c.Capabilities)
			}
			if c.Name == "clouds/nhn-demo" && slices.Contains(c.Capabilities, "AddFloatingIp") {
				t.Errorf("nhn capabilities claim AddFloatingIp")
			}
			if c.Name == "clouds/gcore-demo" && !slices.Equal(c.Capabilities, gcoreCapabilities) {
				t.Errorf("gcore capabilities %v, want %v", c.Capabilities, gcoreCapabilities)
			}
		}
	})

	t.Run("ReflectionAndHealth", func(t *testing.T) {
		hc := healthpb.NewHealthClient(g.conn)
		for _, svc := range []string{"", "computegw.v1.ComputeService"} {
			res, err := hc.Check(ctx(t), &healthpb.HealthCheckRequest{Service: svc})
			if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health %q: %v %v", svc, res, err)
			}
		}
		rc, err := reflectionpb.NewServerReflectionClient(g.conn).ServerReflectionInfo(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		res, err := rc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range res.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		if !slices.Contains(names, "computegw.v1.ComputeService") || !slices.Contains(names, "grpc.health.v1.Health") {
			t.Errorf("reflection lists %v", names)
		}
	})

	t.Run("CrossCloudList", func(t *testing.T) {
		var res struct {
			Instances []struct {
				Name, State, VendorStatus string
				FlavorDetails             struct{ Vcpus, RamMb int }
			}
			Unreachable []string
		}
		if code := g.rest(t, "GET", "/v1/clouds/-/instances", nil, &res); code != 200 {
			t.Fatalf("status %d", code)
		}
		per := map[string]int{}
		for _, in := range res.Instances {
			per[strings.Split(in.Name, "/")[1]]++
			if in.State == "" || in.VendorStatus == "" {
				t.Errorf("instance %s lacks state/vendorStatus", in.Name)
			}
			// One view of every cloud: the flavor's sizes on each instance,
			// inline from TOAST, from the cached flavor list for NHN and K5.
			if in.FlavorDetails.Vcpus <= 0 || in.FlavorDetails.RamMb <= 0 {
				t.Errorf("instance %s: flavorDetails %+v", in.Name, in.FlavorDetails)
			}
		}
		for _, c := range demoClouds {
			if per[c] < 2 {
				t.Errorf("cloud %s: %d instances in the cross-cloud list, want at least 2 (seeded)", c, per[c])
			}
		}
		if len(res.Unreachable) != 0 {
			t.Errorf("unreachable %v", res.Unreachable)
		}
		// The same over gRPC.
		gres, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/-"})
		if err != nil || len(gres.GetInstances()) != len(res.Instances) {
			t.Errorf("gRPC cross-cloud list: %d instances, err %v; REST had %d", len(gres.GetInstances()), err, len(res.Instances))
		}
	})

	t.Run("Errors", func(t *testing.T) { testErrors(t, g) })
	t.Run("RESTBodies", func(t *testing.T) { testRESTBodies(t, g) })
	t.Run("OpenAPI", func(t *testing.T) {
		var doc map[string]any
		if code := g.rest(t, "GET", "/openapi.json", nil, &doc); code != 200 || doc["paths"] == nil {
			t.Errorf("openapi: %d %v", code, doc["swagger"])
		}
	})

	t.Run("RoundTrips", func(t *testing.T) {
		for _, cloud := range demoClouds {
			t.Run(cloud+"/REST", func(t *testing.T) { t.Parallel(); roundTripREST(t, g, cloud) })
			t.Run(cloud+"/gRPC", func(t *testing.T) { t.Parallel(); roundTripGRPC(t, g, cloud) })
		}
	})

	t.Run("SIGTERMExitsZero", func(t *testing.T) {
		if err := g.terminate(t, 30*time.Second); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	})
}

func testErrors(t *testing.T, g *gateway) {
	type rpcStatus struct {
		Code    int
		Message string
		Details []map[string]any
	}
	cases := []struct {
		name, method, path string
		body               any
		http               int
		grpcCode           codes.Code
		reason, field      string
	}{
		{"unknown cloud", "GET", "/v1/clouds/nope/instances", nil, 404, codes.NotFound, "CLOUD_NOT_FOUND", ""},
		{"unknown instance", "GET", "/v1/clouds/nhn-demo/instances/00000000-0000-0000-0000-000000000000", nil, 404, codes.NotFound, "", ""},
		{"bad field", "POST", "/v1/clouds/toast-demo/instances", map[string]any{"displayName": "x", "image": "i"}, 400, codes.InvalidArgument, "", "instance.flavor"},
		{"bad filter", "GET", "/v1/clouds/k5-demo/instances?filter=colour%3Dred", nil, 400, codes.InvalidArgument, "", "filter"},
		{"unknown JSON field", "POST", "/v1/clouds/toast-demo/instances", `{"displayName":"x","flavour":"f"}`, 400, codes.InvalidArgument, "INVALID_ARGUMENT", ""},
		{"unknown query parameter", "GET", "/v1/clouds/nhn-demo/instances?pagesize=1", nil, 400, codes.InvalidArgument, "INVALID_ARGUMENT", ""},
		{"malformed JSON", "POST", "/v1/clouds/nhn-demo/instances", `{"displayName":`, 400, codes.InvalidArgument, "INVALID_ARGUMENT", ""},
		{"wildcard outside ListInstances", "GET", "/v1/clouds/-/flavors", nil, 400, codes.InvalidArgument, "INVALID_ARGUMENT", "parent"},
		{"no such route", "GET", "/v1/clouds/nhn-demo/servers", nil, 404, codes.NotFound, "NOT_FOUND", ""},
		{"unsupported (toast shelve)", "POST", "/v1/clouds/toast-demo/instances/" + toastfake.DemoInstanceID1 + ":shelve", map[string]any{}, 501, codes.Unimplemented, "UNSUPPORTED_BY_DIALECT", ""},
		{"unsupported (k5 floating IP)", "POST", "/v1/clouds/k5-demo/instances/" + k5fake.Instance1ID + ":addFloatingIp", map[string]any{"address": "203.0.113.5"}, 501, codes.Unimplemented, "UNSUPPORTED_BY_DIALECT", ""},
		{"state conflict (start running)", "POST", "/v1/clouds/nhn-demo/instances/" + nhnfake.InstanceWebServer + ":start", map[string]any{}, 400, codes.FailedPrecondition, "", ""},
		{"gcore state conflict (start running)", "POST", "/v1/clouds/gcore-demo/instances/" + gcorefake.InstanceWeb + ":start", map[string]any{}, 400, codes.FailedPrecondition, "STATE_CONFLICT", ""},
		{"gcore create without a boot volume size", "POST", "/v1/clouds/gcore-demo/instances", map[string]any{"displayName": "x",
			"flavor": gcorefake.FlavorSmall, "image": gcorefake.ImageUbuntu}, 400, codes.InvalidArgument, "INVALID_ARGUMENT", "instance.boot_volume.size_gb"},
		{"unsupported (gcore key pairs)", "GET", "/v1/clouds/gcore-demo/keyPairs", nil, 501, codes.Unimplemented, "UNSUPPORTED_BY_DIALECT", ""},
		{"unsupported (gcore volume attach)", "POST", "/v1/clouds/gcore-demo/instances/" + gcorefake.InstanceWeb + "/volumeAttachments", map[string]any{"volumeId": "v"}, 501, codes.Unimplemented, "UNSUPPORTED_BY_DIALECT", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st rpcStatus
			code := g.rest(t, c.method, c.path, c.body, &st)
			if code != c.http || codes.Code(st.Code) != c.grpcCode {
				t.Fatalf("HTTP %d code %d (%s), want HTTP %d code %v", code, st.Code, st.Message, c.http, c.grpcCode)
			}
			if st.Message == "" {
				t.Error("no message")
			}
			var reason, field string
			for _, d := range st.Details {
				if d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" {
					reason, _ = d["reason"].(string)
					if d["domain"] != "computegw" {
						t.Errorf("ErrorInfo domain %v", d["domain"])
					}
				}
				if d["@type"] == "type.googleapis.com/google.rpc.BadRequest" {
					if fv, ok := d["fieldViolations"].([]any); ok && len(fv) > 0 {
						field, _ = fv[0].(map[string]any)["field"].(string)
					}
				}
			}
			if c.reason != "" && reason != c.reason {
				t.Errorf("reason %q, want %q (%+v)", reason, c.reason, st.Details)
			}
			if c.field != "" && field != c.field {
				t.Errorf("field violation %q, want %q", field, c.field)
			}
		})
	}
	// The same contract over gRPC.
	_, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: "clouds/nope/instances/x"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("gRPC unknown cloud: %v", err)
	}
	_, err = g.client.RebuildInstance(ctx(t), &pb.RebuildInstanceRequest{Name: "clouds/nhn-demo/instances/" + nhnfake.InstanceWebServer, Image: nhnfake.ImageUbuntu})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("gRPC nhn rebuild: %v", err)
	}
	_, err = g.client.CreateInstance(ctx(t), &pb.CreateInstanceRequest{Parent: "clouds/k5-demo", Instance: &pb.Instance{DisplayName: "x", Flavor: "f"}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("gRPC bad field: %v", err)
	}
	if fields := rpcdetail.Fields(err); !slices.Contains(fields, "instance.image") {
		t.Errorf("gRPC field violations %v lack instance.image", fields)
	}
}

type restInstance struct {
	Name, DisplayName, State, VendorStatus string
	Addresses                              []struct{ Address, Type string }
}

func waitREST(t *testing.T, g *gateway, name, state string) restInstance {
	t.Helper()
	var in restInstance
	eventually.Nil(t, 45*time.Second, "waiting for "+name+" to be "+state, func() error {
		in = restInstance{}
		code := g.rest(t, "GET", "/v1/"+name, nil, &in)
		if code == 200 && in.State == state {
			return nil
		}
		if code != 200 || in.State == "ERROR" {
			t.Fatalf("waiting for %s to be %s: HTTP %d, state %s", name, state, code, in.State)
		}
		return eventually.NotYet("state %s", in.State)
	})
	return in
}

func roundTripREST(t *testing.T, g *gateway, cloud string) {
	body := map[string]any{"displayName": "e2e-rest"}
	for k, v := range demoCreate[cloud] {
		body[k] = v
	}
	var created restInstance
	if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances?request_id="+demoRequestID[cloud], body, &created); code != 200 {
		t.Fatalf("create: HTTP %d %+v", code, created)
	}
	// A retry with the same request_id answers the same instance.
	var again restInstance
	if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances?request_id="+demoRequestID[cloud], body, &again); code != 200 || again.Name != created.Name {
		t.Fatalf("idempotent retry: HTTP %d, %s vs %s", code, again.Name, created.Name)
	}
	name := created.Name
	// Watch over REST streams states until RUNNING.
	res, err := http.Get("http://" + g.httpAddr + "/v1/" + name + ":watch?targetStates=RUNNING")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var msg struct {
			Result restInstance
			Error  map[string]any
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("watch line %q: %v", sc.Text(), err)
		}
		if msg.Error != nil {
			t.Fatalf("watch error %v", msg.Error)
		}
		seen = append(seen, msg.Result.State)
	}
	res.Body.Close()
	if len(seen) == 0 || seen[len(seen)-1] != "RUNNING" {
		t.Fatalf("watch saw %v, want it to end at RUNNING", seen)
	}
	if code := g.rest(t, "POST", "/v1/"+name+":stop", map[string]any{}, nil); code != 200 {
		t.Fatalf("stop: HTTP %d", code)
	}
	waitREST(t, g, name, "STOPPED")
	if code := g.rest(t, "POST", "/v1/"+name+":start", map[string]any{}, nil); code != 200 {
		t.Fatalf("start: HTTP %d", code)
	}
	waitREST(t, g, name, "RUNNING")
	if cloud == "gcore-demo" {
		// Gcore's reboot_hard and changeflavor run as tasks: each answers at
		// once and the state shows the task until it finishes.
		if code := g.rest(t, "POST", "/v1/"+name+":reboot", map[string]any{"type": "HARD"}, nil); code != 200 {
			t.Fatalf("reboot HARD: HTTP %d", code)
		}
		var rebooting restInstance
		if code := g.rest(t, "GET", "/v1/"+name, nil, &rebooting); code != 200 || rebooting.State != "REBOOTING" || rebooting.VendorStatus != "HARD_REBOOT" {
			t.Errorf("right after reboot HARD: HTTP %d %+v", code, rebooting)
		}
		waitREST(t, g, name, "RUNNING")
		if code := g.rest(t, "POST", "/v1/"+name+":resize", map[string]any{"flavor": gcorefake.FlavorMedium}, nil); code != 200 {
			t.Fatalf("resize: HTTP %d", code)
		}
		var resized struct{ State, Flavor string }
		eventually.Nil(t, 45*time.Second, "resize", func() error {
			g.rest(t, "GET", "/v1/"+name, nil, &resized)
			if resized.State == "RUNNING" && resized.Flavor == gcorefake.FlavorMedium {
				return nil
			}
			if resized.State == "ERROR" {
				t.Fatalf("resize: %+v", resized)
			}
			return eventually.NotYet("%+v", resized)
		})
	}
	if cloud == "toast-demo" {
		ip := toastfake.FloatingIP
		if code := g.rest(t, "POST", "/v1/"+name+":addFloatingIp", map[string]any{"address": ip}, nil); code != 200 {
			t.Fatalf("addFloatingIp: HTTP %d", code)
		}
		in := waitREST(t, g, name, "RUNNING")
		if !slices.ContainsFunc(in.Addresses, func(a struct{ Address, Type string }) bool { return a.Address == ip && a.Type == "FLOATING" }) {
			t.Errorf("floating IP not in addresses: %+v", in.Addresses)
		}
		if code := g.rest(t, "POST", "/v1/"+name+":removeFloatingIp", map[string]any{"address": ip}, nil); code != 200 {
			t.Fatalf("removeFloatingIp: HTTP %d", code)
		}
	}
	if code := g.rest(t, "DELETE", "/v1/"+name, nil, nil); code != 200 {
		t.Fatalf("delete: HTTP %d", code)
	}
	eventually.Nil(t, 45*time.Second, name+" deleted", func() error {
		var in restInstance
		if code := g.rest(t, "GET", "/v1/"+name, nil, &in); code != 404 && in.State != "DELETED" {
			return eventually.NotYet("HTTP %d state %s", code, in.State)
		}
		return nil
	})
}

// lastOf reads a watch stream to its end: the last instance it sent (nil:
// none) and the error that ended it (io.EOF when the server closed it).
func lastOf(stream pb.ComputeService_WatchInstanceClient) (*pb.Instance, error) {
	var last *pb.Instance
	for {
		m, err := stream.Recv()
		if err != nil {
			return last, err
		}
		last = m
	}
}

func roundTripGRPC(t *testing.T, g *gateway, cloud string) {
	c := g.client
	in, err := c.CreateInstance(ctx(t), &pb.CreateInstanceRequest{Parent: "clouds/" + cloud, Instance: demoCreateProto(cloud, "e2e-grpc")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	wait := func(state pb.Instance_State) {
		t.Helper()
		stream, err := c.WatchInstance(ctx(t), &pb.WatchInstanceRequest{Name: in.GetName(), TargetStates: []pb.Instance_State{state}})
		if err != nil {
			t.Fatal(err)
		}
		if last, _ := lastOf(stream); last.GetState() != state {
			t.Fatalf("watch ended at %v, want %v", last.GetState(), state)
		}
	}
	wait(pb.Instance_RUNNING)
	if _, err := c.StopInstance(ctx(t), &pb.StopInstanceRequest{Name: in.GetName()}); err != nil {
		t.Fatal(err)
	}
	wait(pb.Instance_STOPPED)
	if _, err := c.StartInstance(ctx(t), &pb.StartInstanceRequest{Name: in.GetName()}); err != nil {
		t.Fatal(err)
	}
	wait(pb.Instance_RUNNING)
	if cloud == "gcore-demo" {
		if _, err := c.RebootInstance(ctx(t), &pb.RebootInstanceRequest{Name: in.GetName(), Type: pb.RebootInstanceRequest_HARD}); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: in.GetName()})
		if err != nil || got.GetState() != pb.Instance_REBOOTING || got.GetVendorTaskState() == "" {
			t.Errorf("right after reboot HARD: %v (task %q) %v", got.GetState(), got.GetVendorTaskState(), err)
		}
		wait(pb.Instance_RUNNING)
		if _, err := c.ResizeInstance(ctx(t), &pb.ResizeInstanceRequest{Name: in.GetName(), Flavor: gcorefake.FlavorLarge}); err != nil {
			t.Fatal(err)
		}
		got, err = c.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: in.GetName()})
		if err != nil || got.GetState() != pb.Instance_RESIZING {
			t.Errorf("right after resize: %v %v", got.GetState(), err)
		}
		wait(pb.Instance_RUNNING)
		if got, err := c.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: in.GetName()}); err != nil || got.GetFlavor() != gcorefake.FlavorLarge {
			t.Errorf("after resize: flavor %q %v", got.GetFlavor(), err)
		}
	}
	if cloud == "toast-demo" {
		// Move the demo's second floating IP from the seeded web-1 to the
		// new instance and back (REST uses the free one concurrently).
		web1 := "clouds/toast-demo/instances/" + toastfake.DemoInstanceID1
		ip := toastfake.FloatingIP2
		if _, err := c.RemoveFloatingIp(ctx(t), &pb.RemoveFloatingIpRequest{Name: web1, Address: ip}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddFloatingIp(ctx(t), &pb.AddFloatingIpRequest{Name: in.GetName(), Address: ip}); err != nil {
			t.Fatal(err)
		}
		got, err := c.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: in.GetName()})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got.GetAddresses(), func(a *pb.Address) bool { return a.GetAddress() == ip && a.GetType() == pb.Address_FLOATING }) {
			t.Errorf("floating IP %s not among %v", ip, got.GetAddresses())
		}
		if _, err := c.RemoveFloatingIp(ctx(t), &pb.RemoveFloatingIpRequest{Name: in.GetName(), Address: ip}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddFloatingIp(ctx(t), &pb.AddFloatingIpRequest{Name: web1, Address: ip}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteInstance(ctx(t), &pb.DeleteInstanceRequest{Name: in.GetName()}); err != nil {
		t.Fatal(err)
	}
	stream, err := c.WatchInstance(ctx(t), &pb.WatchInstanceRequest{Name: in.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	last, err := lastOf(stream)
	if status.Code(err) != codes.OK && err.Error() != "EOF" && last == nil {
		t.Fatalf("watch of deleted instance: %v", err)
	}
	if last.GetState() != pb.Instance_DELETED {
		t.Errorf("watch after delete ended at %v, want DELETED", last.GetState())
	}
}

// testRESTBodies checks the pinned REST request shapes that differ from a
// plain "body: *": PATCH with update_mask, key pairs with key_pair_id, volume
// attachments with {"volumeId"}, reboot type and resize flavor.
func testRESTBodies(t *testing.T, g *gateway) {
	web := "/v1/clouds/nhn-demo/instances/" + nhnfake.InstanceWebServer
	var in restInstance
	if code := g.rest(t, "PATCH", web+"?update_mask=displayName", map[string]any{"displayName": "Web-Renamed"}, &in); code != 200 || in.DisplayName != "Web-Renamed" {
		t.Errorf("rename: HTTP %d, %+v", code, in)
	}
	if code := g.rest(t, "PATCH", web, map[string]any{"displayName": "Web-Server"}, &in); code != 200 || in.DisplayName != "Web-Server" {
		t.Errorf("rename without update_mask: HTTP %d, %+v", code, in)
	}
	if code := g.rest(t, "PATCH", "/v1/clouds/toast-demo/instances/"+toastfake.DemoInstanceID1, map[string]any{"displayName": "x"}, nil); code != 501 {
		t.Errorf("toast rename: HTTP %d, want 501", code)
	}

	var kp struct{ Name, PublicKey, PrivateKey, Fingerprint string }
	if code := g.rest(t, "POST", "/v1/clouds/k5-demo/keyPairs?key_pair_id=e2e-gen", map[string]any{}, &kp); code != 200 || kp.PrivateKey == "" || kp.Name != "clouds/k5-demo/keyPairs/e2e-gen" {
		t.Errorf("generate key pair: HTTP %d %+v", code, kp)
	}
	var got struct{ PublicKey, PrivateKey string }
	if code := g.rest(t, "GET", "/v1/clouds/k5-demo/keyPairs/e2e-gen", nil, &got); code != 200 || got.PrivateKey != "" || got.PublicKey != kp.PublicKey {
		t.Errorf("get key pair: HTTP %d, private key returned again: %v", code, got.PrivateKey != "")
	}
	kp.PrivateKey, kp.Name = "", ""
	pub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl e2e"
	if code := g.rest(t, "POST", "/v1/clouds/toast-demo/keyPairs?key_pair_id=e2e-imp", map[string]any{"publicKey": pub}, &kp); code != 200 || kp.PrivateKey != "" {
		t.Errorf("import key pair: HTTP %d %+v", code, kp)
	}
	for _, p := range []string{"/v1/clouds/k5-demo/keyPairs/e2e-gen", "/v1/clouds/toast-demo/keyPairs/e2e-imp"} {
		if code := g.rest(t, "DELETE", p, nil, nil); code != 200 {
			t.Errorf("DELETE %s: HTTP %d", p, code)
		}
	}

	vol := nhnfake.VolumeD
	var att struct{ Name, VolumeId string }
	if code := g.rest(t, "POST", web+"/volumeAttachments", map[string]any{"volumeId": vol}, &att); code != 200 || att.VolumeId != vol {
		t.Fatalf("attach: HTTP %d %+v", code, att)
	}
	var list struct{ VolumeAttachments []struct{ VolumeId string } }
	g.rest(t, "GET", web+"/volumeAttachments", nil, &list)
	if !slices.ContainsFunc(list.VolumeAttachments, func(a struct{ VolumeId string }) bool { return a.VolumeId == vol }) {
		t.Errorf("attachment list %+v lacks %s", list, vol)
	}
	if code := g.rest(t, "DELETE", web+"/volumeAttachments/"+vol, nil, nil); code != 200 {
		t.Errorf("detach: HTTP %d", code)
	}
	var flavors struct {
		Flavors []struct {
			Name  string
			RamMb int
		}
	}
	if code := g.rest(t, "GET", "/v1/clouds/k5-demo/flavors?min_ram_mb=8192", nil, &flavors); code != 200 || len(flavors.Flavors) == 0 {
		t.Errorf("flavors: HTTP %d %+v", code, flavors)
	}
	for _, f := range flavors.Flavors {
		if f.RamMb < 8192 {
			t.Errorf("min_ram_mb=8192 returned %s with %d MB", f.Name, f.RamMb)
		}
	}
	if code := g.rest(t, "POST", web+":reboot", map[string]any{"type": "SOFTLY"}, nil); code != 400 {
		t.Errorf("reboot with a bad type: HTTP %d, want 400", code)
	}
}
