package deploy_test

// The Helm chart (deploy/helm/computegw) is rendered and linted here with
// Helm's own Go packages (the same engine and linter as `helm template` and
// `helm lint`: building the helm CLI from source took 9.5 minutes on this
// machine, too slow for CI), for the default values and three other value
// sets. Every rendered object is decoded strictly into its Kubernetes API
// type (k8s.io/api), and the rendered config starts the real binary with
// the files the Deployment mounts.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/internal/state/redistest"
)

const chartDir = "helm/computegw"

// chartValueSets: the default values and three others.
var chartValueSets = map[string]map[string]any{
	"default": {},
	"fleet": {
		"replicaCount": 3,
		"redis":        map[string]any{"enabled": true, "address": "redis.example.svc:6379", "username": "computegw", "existingSecret": "computegw-redis", "keyPrefix": "gw:"},
		"autoscaling":  map[string]any{"enabled": true, "minReplicas": 3, "maxReplicas": 9},
		"admin":        map[string]any{"serviceMonitor": map[string]any{"enabled": true}},
	},
	"tls": {
		"tls":   map[string]any{"enabled": true, "clientCAKey": "ca.crt"},
		"admin": map[string]any{"enabled": false},
	},
	"minimal": {
		"podDisruptionBudget": map[string]any{"enabled": false},
		"pageTokenKey":        map[string]any{"existingSecret": "my-page-key", "key": "k"},
	},
}

func renderChart(t *testing.T, values map[string]any) map[string]string {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, values, chartutil.ReleaseOptions{Name: "computegw", Namespace: "platform", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return out
}

// objects splits the rendered manifests into documents keyed by kind.
func objects(t *testing.T, rendered map[string]string) map[string][]string {
	out := map[string][]string{}
	for name, text := range rendered {
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasSuffix(name, ".tpl") {
			continue
		}
		for _, doc := range strings.Split(text, "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head struct{ APIVersion, Kind string }
			if err := sigsyaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			out[head.APIVersion+" "+head.Kind] = append(out[head.APIVersion+" "+head.Kind], doc)
		}
	}
	return out
}

func strict[T any](t *testing.T, doc string) *T {
	t.Helper()
	var v T
	if err := sigsyaml.UnmarshalStrict([]byte(doc), &v); err != nil {
		t.Fatalf("%T: %v\n%s", v, err, doc)
	}
	return &v
}

// decodes is strict for a kind whose decoded object the test does not
// look into further.
func decodes[T any](t *testing.T, doc string) { strict[T](t, doc) }

// strictKinds are the other kinds the chart may render, each decoded
// strictly into its API type.
var strictKinds = map[string]func(*testing.T, string){
	"v1 Secret":                               decodes[corev1.Secret],
	"v1 Service":                              decodes[corev1.Service],
	"policy/v1 PodDisruptionBudget":           decodes[policyv1.PodDisruptionBudget],
	"autoscaling/v2 HorizontalPodAutoscaler":  decodes[autoscalingv2.HorizontalPodAutoscaler],
	"monitoring.coreos.com/v1 ServiceMonitor": decodes[serviceMonitor],
}

func TestHelmChart(t *testing.T) {
	for name, values := range chartValueSets {
		t.Run(name, func(t *testing.T) {
			linter := lint.AllWithKubeVersion(chartDir, values, "platform", nil)
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
			objs := objects(t, renderChart(t, values))
			known := map[string]bool{}
			var dep *appsv1.Deployment
			var cm *corev1.ConfigMap
			for kind, docs := range objs {
				known[kind] = true
				for _, d := range docs {
					var meta struct {
						Metadata struct{ Labels map[string]string }
					}
					_ = sigsyaml.Unmarshal([]byte(d), &meta)
					for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by"} {
						if meta.Metadata.Labels[l] == "" {
							t.Errorf("%s has no label %s", kind, l)
						}
					}
					switch decode, ok := strictKinds[kind]; {
					case kind == "v1 ConfigMap":
						cm = strict[corev1.ConfigMap](t, d)
					case kind == "apps/v1 Deployment":
						dep = strict[appsv1.Deployment](t, d)
					case ok:
						decode(t, d)
					default:
						t.Errorf("unexpected object %s", kind)
					}
				}
			}
			if dep == nil || cm == nil {
				t.Fatalf("no Deployment or ConfigMap: %v", known)
			}
			checkChartDeployment(t, name, values, dep, known)
			checkChartShutdownAndMemory(t, dep, cm)
			startChartConfig(t, name, values, cm, dep)
		})
	}
}

// writeJWKS writes a key set with one fresh ES256 public key.
func writeJWKS(t *testing.T, dir string) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks := fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"chart-test","x":%q,"y":%q}]}`,
		b64(pub[1:33]), b64(pub[33:]))
	p := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(p, []byte(jwks), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type serviceMonitor struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

func checkChartDeployment(t *testing.T, name string, values map[string]any, dep *appsv1.Deployment, known map[string]bool) {
	hpa := known["autoscaling/v2 HorizontalPodAutoscaler"]
	if !hpa && (dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2) {
		t.Errorf("replicas %v, want >= 2", dep.Spec.Replicas)
	}
	_, pdbOff := values["podDisruptionBudget"]
	if known["policy/v1 PodDisruptionBudget"] == pdbOff {
		t.Errorf("PodDisruptionBudget rendered: %v", known["policy/v1 PodDisruptionBudget"])
	}
	pod := dep.Spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("pod security context %+v: want non-root", pod.SecurityContext)
	}
	c := pod.Containers[0]
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container security context %+v: want read-only root, no privilege escalation", c.SecurityContext)
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("probes %+v %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	for k, v := range dep.Spec.Selector.MatchLabels {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels", k, v)
		}
	}
}

// startChartConfig starts the binary with the rendered config, its clouds
// pointed at a fake vendor, the Deployment's mounted secrets as files, and
// (for the fleet set) a real Redis; it checks /readyz and that the config
// loads with a page-token key and, where set, state.redis.
func startChartConfig(t *testing.T, name string, values map[string]any, cm *corev1.ConfigMap, dep *appsv1.Deployment) {
	if name == "tls" {
		return // TLS files would need certificates; deploy_test's Kubernetes test covers the TLS start
	}
	cfg := cm.Data["computegw.yaml"]
	if !strings.Contains(cfg, "page_token_key_file: /run/secrets/computegw-page-token/key") {
		t.Errorf("the chart sets no page-token key:\n%s", cfg)
	}
	root := t.TempDir()
	nhn := nhnfake.NewServer(nhnfake.Options{SeedInstances: true})
	t.Cleanup(nhn.Close)
	// The secrets the Deployment mounts, as kubelet would write them.
	files := map[string]string{
		"computegw-page-token/key": "0123456789abcdef0123456789abcdef",
		"computegw/nhn":            nhnfake.DemoPassword,
	}
	var rs *redistest.Server
	if strings.Contains(cfg, "redis:") {
		rs = redistest.Start(t, redistest.Options{Password: "chart-redis-pw", Username: "computegw"})
		files["computegw-redis/redis-password"] = "chart-redis-pw"
		cfg = strings.Replace(cfg, "redis.example.svc:6379", rs.Addr, 1)
	}
	for p, v := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg = strings.ReplaceAll(cfg, "/run/secrets/", root+"/")
	// The issuer is an example: verify tokens against a local key set
	// instead of its OIDC discovery.
	var lines []string
	for _, l := range strings.Split(cfg, "\n") {
		lines = append(lines, l)
		if strings.TrimSpace(l) == "issuer: https://idp.example.com/realms/platform" {
			lines = append(lines, strings.Repeat(" ", len(l)-len(strings.TrimLeft(l, " ")))+"jwks_file: "+writeJWKS(t, root))
		}
	}
	cfg = strings.Join(lines, "\n")
	cfg = strings.Replace(cfg, "clouds: []", fmt.Sprintf(`clouds:
- name: nhn-kr1
  dialect: nhnv2
  identity_endpoint: %s
  tenant_id: %s
  username: %s
  password_file: %s/computegw/nhn`, nhn.URL, nhnfake.DemoTenantID, nhnfake.DemoUsername, root), 1)
	path := filepath.Join(root, "computegw.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{}, dep.Spec.Template.Spec.Containers[0].Args...)
	for i := range args {
		if args[i] == "/etc/computegw/computegw.yaml" {
			args[i] = path
		}
	}
	args = append(args, "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0")
	if strings.Contains(cfg, "admin_addr:") {
		args = append(args, "--admin-addr", "127.0.0.1:0")
	}
	g := startGateway(t, "helm "+name, args, map[string]string{})
	defer g.stop(20 * time.Second)
	res, err := http.Get("http://" + g.httpAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 512)
	n, _ := res.Body.Read(body)
	res.Body.Close()
	want := "state: memory ok"
	if rs != nil {
		want = "state: redis ok"
	}
	if res.StatusCode != 200 || !strings.Contains(string(body[:n]), want) {
		t.Errorf("/readyz: %d %q, want 200 with %q\n%s", res.StatusCode, body[:n], want, g.stderr.String())
	}
	if strings.Contains(g.stderr.String(), "chart-redis-pw") {
		t.Error("the Redis password is in the log")
	}
	if strings.Contains(g.stderr.String(), "page_token_key") && strings.Contains(g.stderr.String(), "no page_token_key") {
		t.Error("the page-token warning fired although the chart sets a key")
	}
}

// checkChartShutdownAndMemory: the pod waits in preStop (a sleep action:
// the image has no shell) while endpoints drop it, the config has a
// shutdown_delay, the grace period covers preStop + shutdown_delay +
// shutdown_timeout, and GOMEMLIMIT is the container's memory limit by the
// downward API.
func checkChartShutdownAndMemory(t *testing.T, dep *appsv1.Deployment, cm *corev1.ConfigMap) {
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	var cfg struct {
		ShutdownTimeout string `json:"shutdown_timeout"`
		ShutdownDelay   string `json:"shutdown_delay"`
	}
	if err := sigsyaml.Unmarshal([]byte(cm.Data["computegw.yaml"]), &cfg); err != nil {
		t.Fatal(err)
	}
	parse := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Errorf("%s: %v", key, err)
		}
		return d
	}
	shutdown, delay := parse("shutdown_timeout", cfg.ShutdownTimeout, defaultShutdown), parse("shutdown_delay", cfg.ShutdownDelay, 0)
	if delay <= 0 {
		t.Errorf("the chart's config sets no shutdown_delay")
	}
	var preStop time.Duration
	if l := c.Lifecycle; l == nil || l.PreStop == nil || l.PreStop.Sleep == nil || l.PreStop.Sleep.Seconds <= 0 {
		t.Errorf("container %s: no preStop sleep action: %+v", c.Name, c.Lifecycle)
	} else {
		preStop = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	grace := int64(30)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	if time.Duration(grace)*time.Second <= preStop+delay+shutdown {
		t.Errorf("terminationGracePeriodSeconds %d does not exceed preStop %v + shutdown_delay %v + shutdown_timeout %v", grace, preStop, delay, shutdown)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("container %s has no memory limit", c.Name)
	}
	found := false
	for _, e := range c.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		found = true
		if r := e.ValueFrom; r == nil || r.ResourceFieldRef == nil || r.ResourceFieldRef.Resource != "limits.memory" ||
			(r.ResourceFieldRef.ContainerName != "" && r.ResourceFieldRef.ContainerName != c.Name) ||
			(!r.ResourceFieldRef.Divisor.IsZero() && r.ResourceFieldRef.Divisor.Value() != 1) {
			t.Errorf("GOMEMLIMIT %+v: want a resourceFieldRef to this container's limits.memory in bytes", e)
		}
	}
	if !found {
		t.Errorf("container %s sets no GOMEMLIMIT", c.Name)
	}
}
