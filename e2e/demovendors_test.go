package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/sshkey"
)

// demoVendors is one running `gateway --demo-vendors` process.
type demoVendors struct {
	*proc
	config string // the file its stdout went to
}

// startDemoVendors runs `gateway --demo-vendors > FILE` and waits until it
// says the vendors are up; FILE then holds the whole config.
func startDemoVendors(t *testing.T) *demoVendors {
	t.Helper()
	d := &demoVendors{config: filepath.Join(t.TempDir(), "demo.yaml")}
	out, err := os.Create(d.config)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	d.proc = spawn(t, nil, out, func(line []byte) bool {
		return strings.Contains(string(line), "Ctrl-C stops the vendors")
	}, "--demo-vendors")
	return d
}

// TestDemoVendors: `gateway --demo-vendors` serves the fake vendors and
// prints a config; a second gateway started with --config on that output
// serves every demo cloud from them (create, get and delete over REST and
// gRPC; generated key pairs in the OpenSSH format), the config holds no
// credential, and SIGTERM stops the vendors
// (exit 0, credential files gone), after which the second gateway finds
// them unreachable.
func TestDemoVendors(t *testing.T) {
	if out, code := runFor(t, gatewayCmd(nil, "--demo-vendors", "--config", "x.yaml"), 20*time.Second); code != 2 || !strings.Contains(out, "--config") {
		t.Errorf("--demo-vendors with --config: exit %d %s, want exit 2 naming --config", code, out)
	}

	dv := startDemoVendors(t)
	data, err := os.ReadFile(dv.config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		HTTPAddr string `yaml:"http_addr"`
		Clouds   []map[string]any
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("printed config: %v\n%s", err, data)
	}
	var names, secretFiles []string
	for _, c := range cfg.Clouds {
		names = append(names, fmt.Sprint(c["name"]))
		for k, v := range c {
			if strings.HasSuffix(k, "_file") {
				secretFiles = append(secretFiles, fmt.Sprint(v))
			}
		}
	}
	if !slices.Equal(names, demoClouds) || len(secretFiles) != len(demoClouds) || cfg.HTTPAddr != "127.0.0.1:8080" {
		t.Fatalf("printed config: clouds %v, secret files %v, http_addr %q\n%s", names, secretFiles, cfg.HTTPAddr, data)
	}
	for _, secret := range []string{nhnfake.DemoPassword, toastfake.DemoPassword, k5fake.DemoPassword, gcorefake.DemoAPIKey} {
		if strings.Contains(string(data), secret) || strings.Contains(dv.stderr.String(), secret) {
			t.Errorf("a vendor credential is in the printed config or on stderr")
		}
	}

	g := start(t, nil, "--config", dv.config)
	if strings.Contains(g.stderr.String(), "DEMO MODE") || strings.Contains(g.stderr.String(), `"level":"WARN"`) {
		t.Errorf("config mode on the printed config: demo banner or warnings:\n%s", g.stderr.String())
	}
	t.Run("create requirements", func(t *testing.T) {
		// Every cloud (K5 and gcore included) states what a create needs,
		// and a create with only a display name is refused for all of it
		// in one answer.
		for _, cloud := range demoClouds {
			c, err := g.client.GetCloud(ctx(t), &pb.GetCloudRequest{Name: "clouds/" + cloud})
			req := c.GetCreateRequirements()
			if err != nil || len(req.GetRequiredFields()) < 4 || req.GetDisplayNameRule() == "" || req.GetBootVolumeRule() == "" {
				t.Fatalf("%s: create requirements %v, %v", cloud, req, err)
			}
			msg, got := refusedFields(t, g, cloud, map[string]any{"displayName": "req"})
			for _, f := range req.GetRequiredFields() {
				if f != "instance.display_name" && (!slices.Contains(got, f) || !strings.Contains(msg, f)) {
					t.Errorf("%s: required %s is not among the violations %v / message %q", cloud, f, got, msg)
				}
			}
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		for i, cloud := range demoClouds {
			t.Run(cloud, func(t *testing.T) {
				t.Parallel()
				demoVendorsREST(t, g, cloud, fmt.Sprintf("6a1d0c3e-2b4f-4e8a-9c7d-1000000000%02d", i))
				demoVendorsGRPC(t, g, cloud, fmt.Sprintf("6a1d0c3e-2b4f-4e8a-9c7d-2000000000%02d", i))
			})
		}
	})

	t.Run("generated keys are OpenSSH", func(t *testing.T) {
		// One private-key format on every dialect (issue 13): NHN and
		// TOAST send PKCS#8 PEM, K5 OpenSSH; the answer is OpenSSH.
		for _, cloud := range []string{"nhn-demo", "toast-demo", "k5-demo"} {
			var k struct{ Name, PublicKey, PrivateKey string }
			if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/keyPairs?key_pair_id=dv-gen", map[string]any{}, &k); code != 200 {
				t.Fatalf("%s: generate: HTTP %d %+v", cloud, code, k)
			}
			if err := sshkey.Check(k.PrivateKey, k.PublicKey); err != nil {
				t.Errorf("%s: generated private key: %v", cloud, err)
			}
			if strings.Contains(g.stderr.String(), strings.Split(k.PrivateKey, "\n")[2]) {
				t.Errorf("%s: the private key is in the gateway's log", cloud)
			}
			g.rest(t, "DELETE", "/v1/"+k.Name, nil, nil)
		}
	})

	t.Run("uncommented TLS block serves mTLS", func(t *testing.T) {
		demoVendorsMTLS(t, data, filepath.Dir(secretFiles[0]))
	})

	if err := dv.terminate(t, 15*time.Second); err != nil {
		t.Errorf("gateway --demo-vendors after SIGTERM: %v, want exit 0\n%s", err, dv.stderr.String())
	}
	for _, f := range secretFiles {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("credential file %s left behind: %v", f, err)
		}
	}
	res, err := g.client.ListInstances(ctx(t), &pb.ListInstancesRequest{Parent: "clouds/-"})
	if err != nil {
		t.Fatal(err)
	}
	if un := res.GetUnreachable(); len(un) != len(demoClouds) {
		t.Errorf("with the vendors stopped, unreachable %v, want every cloud", un)
	}
}

// demoVendorsREST creates, reads and deletes one instance over REST.
func demoVendorsREST(t *testing.T, g *gateway, cloud, requestID string) {
	body := map[string]any{"displayName": "dv-rest"}
	for k, v := range demoCreate[cloud] {
		body[k] = v
	}
	var created restInstance
	if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances?request_id="+requestID, body, &created); code != 200 || created.Name == "" {
		t.Fatalf("REST create: HTTP %d %+v", code, created)
	}
	in := waitREST(t, g, created.Name, "RUNNING")
	if in.DisplayName != "dv-rest" {
		t.Errorf("REST get: %+v", in)
	}
	var e restError
	if code := g.rest(t, "DELETE", "/v1/"+created.Name, nil, nil); code != 200 {
		t.Fatalf("REST delete %s: HTTP %d", created.Name, code)
	}
	eventually.Nil(t, 45*time.Second, "REST: "+created.Name+" gone after delete", func() error {
		if code := g.rest(t, "GET", "/v1/"+created.Name, nil, &e); code != 404 {
			return eventually.NotYet("HTTP %d %+v", code, e)
		}
		return nil
	})
}

// demoVendorsGRPC creates, reads and deletes one instance over gRPC.
func demoVendorsGRPC(t *testing.T, g *gateway, cloud, requestID string) {
	created, err := g.client.CreateInstance(ctx(t), &pb.CreateInstanceRequest{Parent: "clouds/" + cloud,
		Instance: demoCreateProto(cloud, "dv-grpc"), RequestId: requestID})
	if err != nil {
		t.Fatalf("gRPC create: %v", err)
	}
	eventually.Nil(t, 45*time.Second, "gRPC: "+created.GetName()+" RUNNING", func() error {
		in, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: created.GetName()})
		if err != nil {
			t.Fatalf("gRPC get: %v", err)
		}
		if in.GetState() == pb.Instance_RUNNING && in.GetDisplayName() == "dv-grpc" {
			return nil
		}
		if in.GetState() == pb.Instance_ERROR {
			t.Fatalf("gRPC: %s is %v, want RUNNING", in.GetName(), in.GetState())
		}
		return eventually.NotYet("%v", in.GetState())
	})
	if _, err := g.client.DeleteInstance(ctx(t), &pb.DeleteInstanceRequest{Name: created.GetName()}); err != nil {
		t.Fatalf("gRPC delete: %v", err)
	}
	eventually.Nil(t, 45*time.Second, "gRPC: "+created.GetName()+" gone after delete", func() error {
		_, err := g.client.GetInstance(ctx(t), &pb.GetInstanceRequest{Name: created.GetName()})
		if status.Code(err) != codes.NotFound {
			return eventually.NotYet("%v", err)
		}
		return nil
	})
}

// demoVendorsMTLS starts a gateway on the printed config with its tls and
// policy lines uncommented: with the client certificate written beside the
// config, REST and gRPC answer over TLS; without it, the handshake fails.
func demoVendorsMTLS(t *testing.T, config []byte, dir string) {
	on := regexp.MustCompile(`(?m)^# ((?:tls|policy):.*|  .*)$`).ReplaceAll(config, []byte("$1"))
	g := start(t, nil, "--config", writeFile(t, "demo-tls.yaml", string(on)))
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	withCert := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{client}}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: withCert}, Timeout: 30 * time.Second}
	res, err := hc.Get("https://" + g.httpAddr + "/v1/clouds")
	if err != nil {
		t.Fatalf("REST over mTLS: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.Count(string(body), `"clouds/`) != len(demoClouds) {
		t.Errorf("REST over mTLS: HTTP %d %s", res.StatusCode, body)
	}
	cl, err := pb.NewComputeServiceClient(dial(t, g.grpcAddr, credentials.NewTLS(withCert))).ListClouds(ctx(t), &pb.ListCloudsRequest{})
	if err != nil || len(cl.GetClouds()) != len(demoClouds) {
		t.Errorf("gRPC over mTLS as cert:demo-client: %v %v", cl, err)
	}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second}
	if res, err := noCert.Get("https://" + g.httpAddr + "/v1/clouds"); err == nil {
		res.Body.Close()
		t.Errorf("REST without the client certificate: HTTP %d, want a failed handshake", res.StatusCode)
	}
}

// refusedFields posts a create that must be refused (HTTP 400) and returns
// the error's message and the fields of its BadRequest violations.
func refusedFields(t *testing.T, g *gateway, cloud string, body map[string]any) (string, []string) {
	t.Helper()
	var answer struct {
		Message string
		Details []struct{ FieldViolations []struct{ Field string } }
	}
	if code := g.rest(t, "POST", "/v1/clouds/"+cloud+"/instances", body, &answer); code != 400 {
		t.Fatalf("%s: create %v: HTTP %d %s, want 400", cloud, body, code, answer.Message)
	}
	var fields []string
	for _, d := range answer.Details {
		for _, v := range d.FieldViolations {
			fields = append(fields, v.Field)
		}
	}
	return answer.Message, fields
}
