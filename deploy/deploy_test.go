package deploy_test

// These tests keep deploy/ in step with the program. CI has no container
// engine, cluster or systemd, so instead each artefact is read here and
// checked against the real thing: the gateway binary (the package the
// Dockerfile builds), its flags (from `gateway -h`), its defaults
// (internal/gateway), its config loader (internal/config), and, for
// Kubernetes, a run of the binary with the ConfigMap's config, the
// Deployment's arguments and environment and the files its volumes mount,
// probed as kubelet would probe it.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/internal/dialects"
	"github.com/computegw/computegw/internal/gateway"
)

const (
	dockerfilePath = "Dockerfile"
	k8sPath        = "kubernetes/computegw.yaml"
	systemdPath    = "systemd/computegw.service"
	examplePath    = "computegw.example.yaml"
	// defaultShutdown is gateway.Run's drain bound when the config sets no
	// shutdown_timeout.
	defaultShutdown = 20 * time.Second
)

func readDockerfile() (*dockerfile, error) {
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		return nil, err
	}
	d, err := parseDockerfile(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dockerfilePath, err)
	}
	return d, nil
}

// dockerGoBuild follows the binary back from the final stage's ENTRYPOINT:
// the COPY --from that puts it there, and the `go build -o` that makes it.
// mustGoBuild is the Dockerfile and its go build step, or the test fails.
func mustGoBuild(t *testing.T) (*dockerfile, *goBuild, *dockerStage) {
	t.Helper()
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	gb, stage, err := dockerGoBuild(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, gb, stage
}

func dockerGoBuild(d *dockerfile) (*goBuild, *dockerStage, error) {
	final := d.final()
	if len(final.entrypoint) == 0 {
		return nil, nil, fmt.Errorf("%s: the final stage has no ENTRYPOINT", dockerfilePath)
	}
	bin := final.entrypoint[0]
	for _, c := range final.copies {
		if c.from == "" || len(c.srcs) != 1 {
			continue
		}
		dst := c.dst
		if strings.HasSuffix(dst, "/") {
			dst = path.Join(dst, path.Base(c.srcs[0]))
		}
		if dst != bin {
			continue
		}
		st := d.stage(c.from)
		if st == nil {
			return nil, nil, fmt.Errorf("%s: COPY --from=%s: no stage %s", dockerfilePath, c.from, c.from)
		}
		for _, run := range st.runs {
			gb, err := findGoBuild(run)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: RUN %s: %v", dockerfilePath, run, err)
			}
			if gb != nil && gb.output == c.srcs[0] {
				for k, v := range st.env {
					if _, ok := gb.env[k]; !ok {
						gb.env[k] = v
					}
				}
				return gb, st, nil
			}
		}
		return nil, nil, fmt.Errorf("%s: no `go build -o %s` in stage %s, where COPY --from takes the ENTRYPOINT %s from", dockerfilePath, c.srcs[0], c.from, bin)
	}
	return nil, nil, fmt.Errorf("%s: no COPY --from puts the ENTRYPOINT %s into the final stage", dockerfilePath, bin)
}

// dockerBuildCommand is the `docker build` line of the Dockerfile's header:
// its -f, -t and context.
func dockerBuildCommand(d *dockerfile) (file, tag, context string, err error) {
	for _, c := range d.comments {
		i := strings.Index(c, "docker build ")
		if i < 0 {
			continue
		}
		words, err := shellFields(c[i:])
		if err != nil {
			return "", "", "", err
		}
		for j := 2; j < len(words); j++ {
			switch words[j] {
			case "-f", "--file":
				j++
				file = words[j]
			case "-t", "--tag":
				j++
				tag = words[j]
			default:
				context = words[j]
			}
		}
		return file, tag, context, nil
	}
	return "", "", "", fmt.Errorf("%s: no `docker build` command in the header comment", dockerfilePath)
}

func portOf(t *testing.T, what, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s %q: %v", what, addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s %q: port is not a number", what, addr)
	}
	return n
}

func defaultPorts(t *testing.T) (httpPort, grpcPort int) {
	return portOf(t, "gateway.DefaultHTTPAddr", gateway.DefaultHTTPAddr), portOf(t, "gateway.DefaultGRPCAddr", gateway.DefaultGRPCAddr)
}

// numericUser parses USER uid[:gid]; nil where not numeric.
func numericUser(user string) (uid, gid *int64) {
	u, g, _ := strings.Cut(user, ":")
	if n, err := strconv.ParseInt(u, 10, 64); err == nil {
		uid = &n
	}
	if n, err := strconv.ParseInt(g, 10, 64); err == nil {
		gid = &n
	}
	return uid, gid
}

// goVersionAtLeast reports whether version a (1.26, 1.26.8) is at least b.
func goVersionAtLeast(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pb); i++ {
		if i >= len(pa) {
			return true // 1.26 is a moving tag: the newest 1.26.x
		}
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x > y
		}
	}
	return true
}

func TestDockerfile(t *testing.T) {
	d, gb, buildStage := mustGoBuild(t)
	final := d.final()

	t.Run("BuildCommand", func(t *testing.T) {
		file, _, ctx, err := dockerBuildCommand(d)
		if err != nil {
			t.Fatal(err)
		}
		// The commands in deploy/ and the README run from the repository root.
		if filepath.Clean(file) != filepath.Join("deploy", dockerfilePath) || filepath.Clean(ctx) != "." {
			t.Errorf("header says docker build -f %s ... %s; want -f deploy/%s with the repository root as context", file, ctx, dockerfilePath)
		}
	})

	t.Run("BuildTargetIsTheGateway", func(t *testing.T) {
		if len(gb.packages) != 1 {
			t.Fatalf("go build %q: want exactly one package", gb.args)
		}
		list := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", gb.packages[0])
		list.Dir = repoRoot
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("the Dockerfile builds %s: go list: %v\n%s", gb.packages[0], err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "main github.com/computegw/computegw/cmd/gateway" {
			t.Errorf("the Dockerfile builds %s, which is %q; want package main github.com/computegw/computegw/cmd/gateway", gb.packages[0], got)
		}
		// The Dockerfile's go build command, flags and environment included,
		// is one go accepts: dry-run it (-n).
		args := dockerBuildArgs(gb, filepath.Join(t.TempDir(), "gateway"))
		args = append(args[:1], append([]string{"-n"}, args[1:]...)...)
		cmd := exec.Command("go", args...)
		cmd.Dir = repoRoot
		cmd.Env = os.Environ()
		for _, k := range slices.Sorted(maps.Keys(gb.env)) {
			cmd.Env = append(cmd.Env, k+"="+gb.env[k])
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("the Dockerfile's build fails: go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})

	t.Run("GoVersion", func(t *testing.T) {
		mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^go (\d+\.\d+(?:\.\d+)?)\s*$`).FindSubmatch(mod)
		if m == nil {
			t.Fatal("go.mod has no go directive")
		}
		img, tag, _ := strings.Cut(buildStage.image, ":")
		v := regexp.MustCompile(`^\d+\.\d+(?:\.\d+)?`).FindString(tag)
		if path.Base(img) != "golang" || v == "" {
			t.Fatalf("build stage FROM %s: want golang:<version>", buildStage.image)
		}
		if !goVersionAtLeast(v, string(m[1])) {
			t.Errorf("build stage FROM %s is older than go.mod's go %s", buildStage.image, m[1])
		}
		// The image sets GOTOOLCHAIN=local: a toolchain line is not
		// fetched, so the image itself must be that release (the one
		// without the standard library's known vulnerabilities).
		if tc := regexp.MustCompile(`(?m)^toolchain go(\d+\.\d+\.\d+)\s*$`).FindSubmatch(mod); tc != nil && !goVersionAtLeast(v, string(tc[1])) {
			t.Errorf("build stage FROM %s is older than go.mod's toolchain go%s: the binary would be built without its fixes", buildStage.image, tc[1])
		}
	})

	t.Run("StaticBinaryForStaticImage", func(t *testing.T) {
		base := final.image
		if (strings.Contains(base, "distroless/static") || base == "scratch") && gb.env["CGO_ENABLED"] != "0" {
			t.Errorf("final image %s has no libc, but the go build does not set CGO_ENABLED=0", base)
		}
	})

	t.Run("CopiedSourcesExist", func(t *testing.T) {
		for _, st := range d.stages {
			for _, c := range st.copies {
				if c.from != "" {
					continue
				}
				for _, src := range c.srcs {
					if m, _ := filepath.Glob(filepath.Join(repoRoot, src)); len(m) == 0 {
						t.Errorf("COPY %s: not in the build context (the repository root)", src)
					}
				}
			}
		}
	})

	t.Run("ExposeMatchesDefaults", func(t *testing.T) {
		h, g := defaultPorts(t)
		var got []int
		for _, e := range final.expose {
			p, proto, _ := strings.Cut(e, "/")
			n, err := strconv.Atoi(p)
			if err != nil || (proto != "" && proto != "tcp") {
				t.Errorf("EXPOSE %s: want a TCP port", e)
			}
			got = append(got, n)
		}
		slices.Sort(got)
		if want := []int{min(h, g), max(h, g)}; !slices.Equal(got, want) {
			t.Errorf("EXPOSE %v; the gateway's default ports are %v (REST %s, gRPC %s)", got, want, gateway.DefaultHTTPAddr, gateway.DefaultGRPCAddr)
		}
	})

	t.Run("NumericNonRootUser", func(t *testing.T) {
		uid, _ := numericUser(final.user)
		switch {
		case final.user == "":
			t.Errorf("no USER: the image runs as root")
		case uid == nil:
			t.Errorf("USER %s: not numeric, so kubelet cannot verify runAsNonRoot (\"image has non-numeric user\")", final.user)
		case *uid == 0:
			t.Errorf("USER %s: root", final.user)
		}
	})

	t.Run("StopSignal", func(t *testing.T) {
		switch final.stopSignal {
		case "", "SIGTERM", "SIGINT", "15", "2":
		default:
			t.Errorf("STOPSIGNAL %s: the gateway drains on SIGTERM or SIGINT only", final.stopSignal)
		}
	})

	t.Run("EntrypointFlags", func(t *testing.T) {
		_, flags := gatewayBinary(t)
		args := append(slices.Clone(final.entrypoint[1:]), final.cmd...)
		parseGatewayArgs(t, "ENTRYPOINT+CMD", flags, args)
		checkArgsReachConfig(t, "ENTRYPOINT+CMD", args, final.env)
	})
}

// ---- Kubernetes ----

// k8sManifest is the parsed manifest file.
type k8sManifest struct {
	objects    []*k8sObject
	secretKeys map[string][]string // secret name -> keys, from Secret objects and the kubectl create secret comment
}

func (m *k8sManifest) find(kind, name string) *k8sObject {
	for _, o := range m.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	return nil
}

var k8sKinds = []string{"ConfigMap", "Secret", "Deployment", "StatefulSet", "DaemonSet", "Service"}

func readK8s(t *testing.T) *k8sManifest {
	t.Helper()
	data, err := os.ReadFile(k8sPath)
	if err != nil {
		t.Fatal(err)
	}
	m := &k8sManifest{secretKeys: map[string][]string{}}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for i := 0; ; i++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: document %d: %v", k8sPath, i, err)
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		o := &k8sObject{}
		if err := n.Decode(o); err != nil {
			t.Fatalf("%s: document %d (line %d): %v", k8sPath, i, n.Line, err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Fatalf("%s: document %d (line %d): no apiVersion, kind or metadata.name", k8sPath, i, n.Line)
		}
		if !slices.Contains(k8sKinds, o.Kind) {
			t.Errorf("%s: %s %s: deploy_test.go has no checks for this kind; extend it", k8sPath, o.Kind, o.Metadata.Name)
		}
		m.objects = append(m.objects, o)
		if o.Kind == "Secret" {
			m.secretKeys[o.Metadata.Name] = slices.Sorted(maps.Keys(o.Data))
			m.secretKeys[o.Metadata.Name] = append(m.secretKeys[o.Metadata.Name], slices.Sorted(maps.Keys(o.StringData))...)
		}
	}
	// Secrets created by the kubectl command in the header comment.
	var comments []string
	for _, l := range strings.Split(string(data), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "#"); ok {
			comments = append(comments, s)
		}
	}
	joined := strings.ReplaceAll(strings.Join(comments, "\n"), "\\\n", " ")
	for _, l := range strings.Split(joined, "\n") {
		i := strings.Index(l, "kubectl create secret generic ")
		if i < 0 {
			continue
		}
		words, err := shellFields(l[i:])
		if err != nil || len(words) < 5 {
			t.Fatalf("%s: header comment %q: %v", k8sPath, l, err)
		}
		name := words[4]
		for _, w := range words[5:] {
			switch {
			case strings.HasPrefix(w, "--from-file="):
				src := strings.TrimPrefix(w, "--from-file=")
				key, _, ok := strings.Cut(src, "=")
				if !ok {
					key = path.Base(src)
				}
				m.secretKeys[name] = append(m.secretKeys[name], key)
			case strings.HasPrefix(w, "--from-literal="):
				key, _, _ := strings.Cut(strings.TrimPrefix(w, "--from-literal="), "=")
				m.secretKeys[name] = append(m.secretKeys[name], key)
			case strings.HasPrefix(w, "--from-env-file"):
				t.Fatalf("%s: kubectl create secret --from-env-file: deploy_test.go cannot tell the keys; extend it", k8sPath)
			}
		}
	}
	return m
}

// fileMeta is a file a volume puts into the container.
type fileMeta struct {
	kind     string // configMap | secret
	object   string // the ConfigMap's or Secret's name
	key      string // its key
	source   string // e.g. secret computegw-secrets key nhn
	content  string
	mode     int32
	uid, gid int64
}

// canRead models the permission check for a process with uid and groups.
func canRead(f fileMeta, uid int64, uidKnown bool, groups []int64) bool {
	switch {
	case f.mode&0o004 != 0:
		return true
	case !uidKnown:
		return false
	case uid == 0:
		return true
	case f.uid == uid && f.mode&0o400 != 0:
		return true
	case slices.Contains(groups, f.gid) && f.mode&0o040 != 0:
		return true
	}
	return false
}

// secretValue is the stand-in for a Secret's value: long enough for the
// page token key.
func secretValue(secret, key string) string {
	if v, ok := realisticSecret(secret, key); ok {
		return v
	}
	return "test-value-of-" + secret + "-" + key + "-0123456789abcdef"
}

// walkMappings calls f for every key and value of every mapping in a YAML
// tree, with the key's dotted path (".auth.jwt.issuer"; a sequence's
// items keep the sequence's path), before walking into the value.
func walkMappings(n *yaml.Node, path string, f func(path string, k, v *yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			walkMappings(c, path, f)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := path + "." + k.Value
			f(p, k, v)
			walkMappings(v, p, f)
		}
	}
}

// walkConfigRefs calls f for every key ending in _env or _file in a config
// document, with the value node.
func walkConfigRefs(n *yaml.Node, f func(key string, v *yaml.Node)) {
	walkMappings(n, "", func(_ string, k, v *yaml.Node) {
		if strings.HasSuffix(k.Value, "_env") || strings.HasSuffix(k.Value, "_file") {
			f(k.Value, v)
		}
	})
}

// isGatewayConfig reports whether a ConfigMap value is a computegw config
// (a YAML mapping with a clouds key).
func isGatewayConfig(s string) bool {
	var top map[string]any
	if yaml.Unmarshal([]byte(s), &top) != nil {
		return false
	}
	_, ok := top["clouds"]
	return ok
}

func TestKubernetes(t *testing.T) {
	m := readK8s(t)
	d, err := readDockerfile()
	if err != nil {
		t.Fatal(err)
	}
	_, imageTag, _, err := dockerBuildCommand(d)
	if err != nil {
		t.Fatal(err)
	}
	imageName, _, _ := strings.Cut(imageTag, ":")
	loaded := map[string]bool{} // configmap/key
	gateways := 0
	for _, o := range m.objects {
		switch o.Kind {
		case "Deployment", "StatefulSet", "DaemonSet":
		default:
			continue
		}
		var w k8sWorkload
		if err := o.Spec.Decode(&w); err != nil {
			t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
		}
		for k, v := range w.Selector.MatchLabels {
			if w.Template.Metadata.Labels[k] != v {
				t.Errorf("%s %s: selector %s=%s does not match the pod template's labels %v", o.Kind, o.Metadata.Name, k, v, w.Template.Metadata.Labels)
			}
		}
		for _, c := range w.Template.Spec.Containers {
			repo, _, _ := strings.Cut(c.Image, ":")
			if path.Base(repo) != imageName {
				continue
			}
			gateways++
			t.Run(o.Metadata.Name+"/"+c.Name, func(t *testing.T) {
				checkGatewayContainer(t, m, d, &w, c, loaded)
			})
		}
	}
	if gateways == 0 {
		t.Errorf("%s: no container runs image %s (the Dockerfile's docker build -t)", k8sPath, imageName)
	}
	for _, o := range m.objects {
		if o.Kind != "ConfigMap" {
			continue
		}
		for k, v := range o.Data {
			if isGatewayConfig(v) && !loaded[o.Metadata.Name+"/"+k] {
				t.Errorf("ConfigMap %s key %s holds a computegw config that no gateway container loads with --config", o.Metadata.Name, k)
			}
		}
	}
}

func checkGatewayContainer(t *testing.T, m *k8sManifest, d *dockerfile, w *k8sWorkload, c k8sContainer, loaded map[string]bool) {
	pod := &w.Template.Spec
	final := d.final()
	_, flags := gatewayBinary(t)

	// The command line: command replaces the image's ENTRYPOINT (and drops
	// its CMD), args replace CMD.
	argv := slices.Clone(final.entrypoint)
	if c.Command != nil {
		argv = slices.Clone(c.Command)
	}
	switch {
	case c.Args != nil:
		argv = append(argv, c.Args...)
	case c.Command == nil:
		argv = append(argv, final.cmd...)
	}
	if len(argv) == 0 || argv[0] != final.entrypoint[0] {
		t.Fatalf("container runs %q; the image's binary is %s", argv, final.entrypoint[0])
	}
	args := argv[1:]
	vals := parseGatewayArgs(t, "container args", flags, args)

	// The environment, with stand-ins for Secret values.
	env := maps.Clone(final.env)
	fromSecret := map[string]bool{}
	secretHas := func(name, key string) bool { return slices.Contains(m.secretKeys[name], key) }
	for _, e := range c.Env {
		switch {
		case e.Value != nil:
			env[e.Name] = *e.Value
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			if !secretHas(r.Name, r.Key) {
				t.Errorf("env %s: secretKeyRef %s/%s: the manifest creates no such Secret key (known: %v)", e.Name, r.Name, r.Key, m.secretKeys)
				continue
			}
			env[e.Name] = secretValue(r.Name, r.Key)
			fromSecret[e.Name] = true
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			cm := m.find("ConfigMap", r.Name)
			if cm == nil {
				t.Errorf("env %s: configMapKeyRef: no ConfigMap %s", e.Name, r.Name)
				continue
			}
			v, ok := cm.Data[r.Key]
			if !ok {
				t.Errorf("env %s: configMapKeyRef: ConfigMap %s has no key %s", e.Name, r.Name, r.Key)
			}
			env[e.Name] = v
		case e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil:
			r := e.ValueFrom.ResourceFieldRef
			v, err := resourceFieldValue(c, r.ContainerName, r.Resource, r.Divisor)
			if err != nil {
				t.Errorf("env %s: resourceFieldRef: %v", e.Name, err)
				continue
			}
			env[e.Name] = v
		default:
			t.Errorf("env %s: deploy_test.go understands value, secretKeyRef, configMapKeyRef and resourceFieldRef only; extend it", e.Name)
		}
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.SecretRef != nil:
			keys, ok := m.secretKeys[ef.SecretRef.Name]
			if !ok {
				t.Errorf("envFrom: no Secret %s", ef.SecretRef.Name)
			}
			for _, k := range keys {
				env[ef.Prefix+k] = secretValue(ef.SecretRef.Name, k)
				fromSecret[ef.Prefix+k] = true
			}
		case ef.ConfigMapRef != nil:
			cm := m.find("ConfigMap", ef.ConfigMapRef.Name)
			if cm == nil {
				t.Errorf("envFrom: no ConfigMap %s", ef.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				env[ef.Prefix+k] = v
			}
		}
	}

	// Who the process runs as.
	uid, uidKnown := int64(0), false
	imgUID, imgGID := numericUser(final.user)
	if final.user == "" {
		imgUID = new(int64) // root
	}
	for _, p := range []*int64{c.SecurityContext.RunAsUser, pod.SecurityContext.RunAsUser, imgUID} {
		if p != nil {
			uid, uidKnown = *p, true
			break
		}
	}
	var groups []int64
	for _, p := range []*int64{c.SecurityContext.RunAsGroup, pod.SecurityContext.RunAsGroup, imgGID} {
		if p != nil {
			groups = append(groups, *p)
			break
		}
	}
	if pod.SecurityContext.FSGroup != nil {
		groups = append(groups, *pod.SecurityContext.FSGroup)
	}
	groups = append(groups, pod.SecurityContext.SupplementalGroups...)
	nonRoot := pod.SecurityContext.RunAsNonRoot
	if c.SecurityContext.RunAsNonRoot != nil {
		nonRoot = c.SecurityContext.RunAsNonRoot
	}
	if nonRoot != nil && *nonRoot {
		switch {
		case !uidKnown:
			t.Errorf("runAsNonRoot, but neither runAsUser nor the image's USER (%q) is numeric: kubelet refuses to start the container (\"image has non-numeric user\")", final.user)
		case uid == 0:
			t.Errorf("runAsNonRoot, but the container runs as uid 0")
		}
	}

	// The files the volumes put into the container, and a copy of them
	// under root.
	root := t.TempDir()
	files := map[string]fileMeta{}
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(v k8sVolume) bool { return v.Name == vm.Name })
		if i < 0 {
			t.Errorf("volumeMount %s: no such volume", vm.Name)
			continue
		}
		v := pod.Volumes[i]
		var (
			kind, name  string
			items       []k8sKeyToPath
			defaultMode *int32
			keys        []string
			value       func(key string) string
		)
		switch {
		case v.ConfigMap != nil:
			kind, name, items, defaultMode = "configMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.DefaultMode
			cm := m.find("ConfigMap", name)
			if cm == nil {
				t.Errorf("volume %s: no ConfigMap %s", v.Name, name)
				continue
			}
			keys = slices.Sorted(maps.Keys(cm.Data))
			value = func(k string) string { return cm.Data[k] }
		case v.Secret != nil:
			kind, name, items, defaultMode = "secret", v.Secret.SecretName, v.Secret.Items, v.Secret.DefaultMode
			var ok bool
			if keys, ok = m.secretKeys[name]; !ok {
				t.Errorf("volume %s: the manifest creates no Secret %s", v.Name, name)
				continue
			}
			value = func(k string) string { return secretValue(name, k) }
		case v.EmptyDir != nil:
			continue
		default:
			t.Errorf("volume %s: deploy_test.go understands configMap, secret and emptyDir volumes only; extend it", v.Name)
			continue
		}
		mode := int32(0o644)
		if defaultMode != nil {
			mode = *defaultMode
		}
		if items == nil {
			for _, k := range keys {
				items = append(items, k8sKeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			if !slices.Contains(keys, it.Key) {
				t.Errorf("volume %s: %s %s has no key %s", v.Name, kind, name, it.Key)
				continue
			}
			f := fileMeta{kind: kind, object: name, key: it.Key, source: fmt.Sprintf("%s %s key %s", kind, name, it.Key), content: value(it.Key), mode: mode}
			if it.Mode != nil {
				f.mode = *it.Mode
			}
			// kubelet gives the files to fsGroup and makes them group-readable.
			if pod.SecurityContext.FSGroup != nil {
				f.gid = *pod.SecurityContext.FSGroup
				f.mode |= 0o440
			}
			p := path.Join(vm.MountPath, it.Path)
			if vm.SubPath != "" {
				if it.Path != vm.SubPath {
					continue
				}
				p = vm.MountPath
			}
			files[p] = f
			if err := os.MkdirAll(filepath.Join(root, path.Dir(p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, p), []byte(f.content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	mounted := slices.Sorted(maps.Keys(files))
	readable := func(what, p string, f fileMeta) {
		if !canRead(f, uid, uidKnown, groups) {
			who := "an unknown uid"
			if uidKnown {
				who = fmt.Sprintf("uid %d", uid)
			}
			t.Errorf("%s %s (%s, mode %#o, owner %d:%d) is not readable by the gateway (%s, groups %v): set fsGroup or the file mode", what, p, f.source, f.mode, f.uid, f.gid, who, groups)
		}
	}

	// The config: found where --config points, loaded by the real loader
	// with the files and environment the container has.
	configPath := vals["config"]
	if configPath == "" {
		configPath = env["COMPUTEGW_CONFIG"]
	}
	if configPath == "" {
		t.Fatalf("container args %q and env give no --config: the gateway would start demo mode", args)
	}
	cf, ok := files[configPath]
	if !ok || cf.kind != "configMap" {
		t.Fatalf("--config %s is not a file a ConfigMap volume mounts (mounted: %v)", configPath, mounted)
	}
	readable("--config", configPath, cf)
	cmName, cmKey := cf.object, cf.key
	loaded[cmName+"/"+cmKey] = true
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(cf.content), &doc); err != nil {
		t.Fatalf("ConfigMap %s key %s: %v", cmName, cmKey, err)
	}
	lines := strings.Split(cf.content, "\n")
	walkConfigRefs(&doc, func(key string, v *yaml.Node) {
		if strings.HasSuffix(key, "_env") {
			if _, ok := env[v.Value]; !ok {
				t.Errorf("ConfigMap %s: %s: %s is not in the container's environment", cmName, key, v.Value)
			} else if !fromSecret[v.Value] {
				t.Errorf("ConfigMap %s: %s: %s comes from the manifest in plain text, not from a Secret", cmName, key, v.Value)
			}
			return
		}
		f, ok := files[v.Value]
		switch {
		case !ok:
			t.Errorf("ConfigMap %s: %s: %s is not a file a volume mounts (mounted: %v)", cmName, key, v.Value, mounted)
		case f.kind != "secret":
			t.Errorf("ConfigMap %s: %s: %s comes from a %s, not a Secret", cmName, key, v.Value, f.source)
		default:
			readable(key, v.Value, f)
		}
		// Point the copy under root at root's files, keeping line numbers.
		if path.IsAbs(v.Value) {
			lines[v.Line-1] = strings.Replace(lines[v.Line-1], v.Value, filepath.Join(root, v.Value), 1)
		}
	})
	idp := localIssuer(t, &doc, lines)
	rootedConfig := filepath.Join(root, configPath)
	if err := os.WriteFile(rootedConfig, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	file, err := config.Load(rootedConfig, lookup, dialects.All)
	if err != nil {
		t.Fatalf("ConfigMap %s key %s does not load in the container: %v", cmName, cmKey, err)
	}
	for _, w := range file.Warnings {
		t.Errorf("ConfigMap %s key %s: config warning: %s", cmName, cmKey, w)
	}

	// Ports: what the gateway listens on, what the container declares, what
	// the image exposes.
	httpAddr, grpcAddr := gateway.DefaultHTTPAddr, gateway.DefaultGRPCAddr
	if file.HTTPAddr != "" {
		httpAddr = file.HTTPAddr
	}
	if file.GRPCAddr != "" {
		grpcAddr = file.GRPCAddr
	}
	if v := vals["http-addr"]; v != "" {
		httpAddr = v
	}
	if v := vals["grpc-addr"]; v != "" {
		grpcAddr = v
	}
	for what, a := range map[string]string{"REST": httpAddr, "gRPC": grpcAddr} {
		host, _, _ := net.SplitHostPort(a)
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			t.Errorf("the %s listener is %s, loopback only: kubelet's probes and the Service cannot reach it", what, a)
		}
	}
	httpPort, grpcPort := portOf(t, "REST address", httpAddr), portOf(t, "gRPC address", grpcAddr)
	want := []int{min(httpPort, grpcPort), max(httpPort, grpcPort)}
	public := slices.Clone(want)
	adminAddr := cmp.Or(vals["admin-addr"], file.AdminAddr)
	adminPort := checkAdminListener(t, adminAddr, w.Template.Metadata.Annotations)
	if adminPort > 0 {
		want = append(want, adminPort)
		slices.Sort(want)
	}
	var declared []int
	named := map[string]int{}
	for _, p := range c.Ports {
		declared = append(declared, p.ContainerPort)
		if p.Name != "" {
			named[p.Name] = p.ContainerPort
		}
		if p.Protocol != "" && p.Protocol != "TCP" {
			t.Errorf("port %s: protocol %s; the gateway serves TCP", p.Name, p.Protocol)
		}
	}
	slices.Sort(declared)
	if !slices.Equal(declared, want) {
		t.Errorf("containerPorts %v; the gateway listens on %v (REST %s, gRPC %s)", declared, want, httpAddr, grpcAddr)
	}
	var exposed []int
	for _, e := range final.expose {
		n, _ := strconv.Atoi(strings.TrimSuffix(e, "/tcp"))
		exposed = append(exposed, n)
	}
	slices.Sort(exposed)
	if !slices.Equal(exposed, public) {
		t.Errorf("the Dockerfile EXPOSEs %v; in Kubernetes the gateway listens on %v", exposed, want)
	}
	resolvePort := func(what, p string) int {
		if n, err := strconv.Atoi(p); err == nil {
			return n
		}
		if n, ok := named[p]; ok {
			return n
		}
		t.Errorf("%s: port %q is neither a number nor a container port name (%v)", what, p, named)
		return -1
	}

	// Probes, statically: each goes to the listener that serves it.
	type probe struct {
		name string
		p    *k8sProbe
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Errorf("the container needs a readinessProbe and a livenessProbe")
	}
	var probes []probe // those the container has, checked here and run below
	for _, pr := range []probe{{"readinessProbe", c.ReadinessProbe}, {"livenessProbe", c.LivenessProbe}, {"startupProbe", c.StartupProbe}} {
		if pr.p != nil {
			probes = append(probes, pr)
		}
	}
	for _, pr := range probes {
		p := pr.p
		switch {
		case p.HTTPGet != nil:
			if port := resolvePort(pr.name, p.HTTPGet.Port); port != httpPort {
				t.Errorf("%s: httpGet on port %s (%d); REST is served on %d", pr.name, p.HTTPGet.Port, port, httpPort)
			}
			if s, want := cmp.Or(p.HTTPGet.Scheme, "HTTP"), map[bool]string{false: "HTTP", true: "HTTPS"}[file.TLS != nil]; s != want {
				t.Errorf("%s: scheme %s; the gateway serves %s", pr.name, s, want)
			}
		case p.GRPC != nil:
			if p.GRPC.Port != grpcPort {
				t.Errorf("%s: grpc on port %d; gRPC is served on %d", pr.name, p.GRPC.Port, grpcPort)
			}
			if file.TLS != nil {
				t.Errorf("%s: kubelet's grpc probe cannot speak TLS, which the gateway serves: use httpGet with scheme HTTPS", pr.name)
			}
		case p.TCPSocket != nil:
			if port := resolvePort(pr.name, p.TCPSocket.Port); port != httpPort && port != grpcPort {
				t.Errorf("%s: tcpSocket on port %d; the gateway listens on %v", pr.name, port, want)
			}
		default:
			t.Errorf("%s: use httpGet, grpc or tcpSocket (the distroless image has no shell for exec)", pr.name)
		}
	}

	// Services that select this pod send each port to the right listener.
	for _, s := range m.objects {
		if s.Kind != "Service" {
			continue
		}
		var svc k8sService
		if err := s.Spec.Decode(&svc); err != nil {
			t.Fatalf("Service %s: %v", s.Metadata.Name, err)
		}
		selects := len(svc.Selector) > 0
		for k, v := range svc.Selector {
			if w.Template.Metadata.Labels[k] != v {
				selects = false
			}
		}
		if !selects {
			continue
		}
		for _, sp := range svc.Ports {
			target := sp.TargetPort
			if target == "" {
				target = strconv.Itoa(sp.Port)
			}
			what := fmt.Sprintf("Service %s port %s", s.Metadata.Name, sp.Name)
			port := resolvePort(what, target)
			kind := strings.ToLower(sp.AppProtocol + " " + sp.Name)
			switch {
			case strings.Contains(kind, "grpc") && port != grpcPort:
				t.Errorf("%s: targetPort %s (%d) is not the gRPC port %d", what, target, port, grpcPort)
			case !strings.Contains(kind, "grpc") && strings.Contains(kind, "http") && port != httpPort:
				t.Errorf("%s: targetPort %s (%d) is not the REST port %d", what, target, port, httpPort)
			case port != httpPort && port != grpcPort:
				t.Errorf("%s: targetPort %s (%d): the gateway listens on %v", what, target, port, want)
			}
		}
	}
	for _, s := range m.objects {
		if s.Kind == "Service" {
			var svc k8sService
			if s.Spec.Decode(&svc) == nil && len(svc.Selector) > 0 {
				continue
			}
			t.Errorf("Service %s has no selector", s.Metadata.Name)
		}
	}

	// Shutdown: a preStop wait while endpoints drop the pod, then on
	// SIGTERM the gateway's NOT_SERVING delay and its drain; kubelet's
	// grace period must cover all three.
	shutdown := defaultShutdown
	if file.ShutdownTimeout > 0 {
		shutdown = file.ShutdownTimeout
	}
	var preStop time.Duration
	switch {
	case c.Lifecycle == nil || c.Lifecycle.PreStop == nil:
		t.Errorf("container %s has no lifecycle.preStop: SIGTERM arrives while endpoints still send to the pod", c.Name)
	case c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0:
		t.Errorf("container %s: preStop is not a sleep of some seconds (the image is distroless: there is no shell or sleep binary for exec)", c.Name)
	default:
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if file.ShutdownDelay <= 0 {
		t.Errorf("the config sets no shutdown_delay: on SIGTERM the gateway would stop accepting as it reports NOT_SERVING")
	}
	grace := int64(30) // Kubernetes' default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	if need := preStop + file.ShutdownDelay + shutdown; time.Duration(grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d does not exceed preStop %v + shutdown_delay %v + shutdown_timeout %v: kubelet kills the gateway mid-drain",
			grace, preStop, file.ShutdownDelay, shutdown)
	}
	// Memory: GOMEMLIMIT is the container's memory limit.
	if c.Resources.Limits["memory"] == "" {
		t.Errorf("container %s has no resources.limits.memory", c.Name)
	} else if want, _ := resourceFieldValue(c, c.Name, "limits.memory", ""); env["GOMEMLIMIT"] != want {
		t.Errorf("GOMEMLIMIT %q, want the container's memory limit %s in bytes (%s), from a resourceFieldRef", env["GOMEMLIMIT"], c.Resources.Limits["memory"], want)
	}

	// Run it: the real binary with this container's arguments, environment
	// and files (moved under root), on loopback ephemeral ports, probed as
	// kubelet probes it, then stopped with SIGTERM.
	runArgs := rewriteConfigArg(args, func(p string) string { return filepath.Join(root, p) })
	runArgs = append(runArgs, "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0")
	if adminPort > 0 {
		runArgs = append(runArgs, "--admin-addr", "127.0.0.1:0")
	}
	runEnv := maps.Clone(env)
	if p, ok := runEnv["COMPUTEGW_CONFIG"]; ok && p != "" {
		runEnv["COMPUTEGW_CONFIG"] = filepath.Join(root, p)
	}
	g := startGateway(t, "container", runArgs, runEnv)
	client, scheme := probeClient(file)
	conn, err := grpc.NewClient(g.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, pr := range probes {
		p := pr.p
		switch {
		case p.HTTPGet != nil:
			res, err := client.Get(scheme + "://" + g.httpAddr + p.HTTPGet.Path)
			if err != nil {
				t.Errorf("%s: GET %s: %v", pr.name, p.HTTPGet.Path, err)
				continue
			}
			res.Body.Close()
			if res.StatusCode < 200 || res.StatusCode >= 400 {
				t.Errorf("%s: GET %s: %s; kubelet wants 200-399", pr.name, p.HTTPGet.Path, res.Status)
			}
		case p.GRPC != nil:
			svc := ""
			if p.GRPC.Service != nil {
				svc = *p.GRPC.Service
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
			cancel()
			if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("%s: grpc.health.v1.Health/Check service %q: %v %v; want SERVING", pr.name, svc, res.GetStatus(), err)
			}
		case p.TCPSocket != nil:
			addr := g.httpAddr
			if resolvePort(pr.name, p.TCPSocket.Port) == grpcPort {
				addr = g.grpcAddr
			}
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Errorf("%s: %v", pr.name, err)
				continue
			}
			nc.Close()
		}
	}
	checkCallerSecurity(t, file, idp, g.httpAddr)
	if adminPort > 0 {
		scrapeAdmin(t, g.stderr.String())
	}
	if err := g.stop(shutdown + 5*time.Second); err != nil {
		t.Errorf("SIGTERM: the gateway did not drain and exit 0: %v", err)
	}
	for _, l := range strings.Split(g.stderr.String(), "\n") {
		if strings.Contains(l, `"level":"WARN"`) || strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Errorf("gateway logged: %s", l)
		}
	}
	if t.Failed() {
		t.Logf("gateway stderr:\n%s", g.stderr.String())
	}
}

// ---- systemd ----

// systemdSpan parses a systemd time span such as 30, 30s, 1min 30s.
func systemdSpan(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "sec": time.Second, "m": time.Minute, "min": time.Minute, "h": time.Hour, "hr": time.Hour}
	var total time.Duration
	re := regexp.MustCompile(`(\d+)\s*([a-z]+)`)
	rest := re.ReplaceAllStringFunc(s, func(part string) string {
		m := re.FindStringSubmatch(part)
		n, _ := strconv.Atoi(m[1])
		if u, ok := units[m[2]]; ok {
			total += time.Duration(n) * u
			return ""
		}
		return part
	})
	if strings.TrimSpace(rest) != "" {
		return 0, fmt.Errorf("time span %q: deploy_test.go does not understand %q", s, rest)
	}
	return total, nil
}

func TestSystemd(t *testing.T) {
	data, err := os.ReadFile(systemdPath)
	if err != nil {
		t.Fatal(err)
	}
	u, err := parseUnit(string(data))
	if err != nil {
		t.Fatalf("%s: %v", systemdPath, err)
	}
	unitName := filepath.Base(systemdPath)
	header := strings.Join(u.comments, "\n")
	_, flags := gatewayBinary(t)

	execs := u.get("Service", "ExecStart")
	if len(execs) != 1 {
		t.Fatalf("%s: %d ExecStart lines; want one", systemdPath, len(execs))
	}
	line := strings.TrimLeft(execs[0], "-@:+!|")
	if strings.ContainsAny(line, "$%") {
		t.Fatalf("ExecStart %s: variables and specifiers are not understood by deploy_test.go; extend it", execs[0])
	}
	argv, err := shellFields(line)
	if err != nil || len(argv) == 0 {
		t.Fatalf("ExecStart %s: %v", execs[0], err)
	}
	if len(u.get("Service", "EnvironmentFile")) > 0 {
		t.Fatalf("EnvironmentFile: deploy_test.go cannot see its variables; extend it")
	}
	env := map[string]string{}
	for _, e := range u.get("Service", "Environment") {
		words, err := shellFields(e)
		if err != nil {
			t.Fatalf("Environment=%s: %v", e, err)
		}
		for _, kv := range words {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	vals := parseGatewayArgs(t, "ExecStart", flags, argv[1:])
	configPath := vals["config"]
	if configPath == "" {
		configPath = env["COMPUTEGW_CONFIG"]
	}
	checkArgsReachConfig(t, "ExecStart", argv[1:], env)

	// The header's install notes agree with ExecStart and LoadCredential.
	note := func(what string) string {
		m := regexp.MustCompile(what + `\s+at\s+(\S+?)[,.]?(\s|$)`).FindStringSubmatch(header)
		if m == nil {
			t.Errorf("%s: the header does not say where the %s is (\"%s at PATH\")", systemdPath, what, what)
			return ""
		}
		return m[1]
	}
	if b := note("binary"); b != "" && b != argv[0] {
		t.Errorf("the header installs the binary at %s; ExecStart runs %s", b, argv[0])
	}
	if c := note("config"); c != "" && c != configPath {
		t.Errorf("the header puts the config at %s; ExecStart uses --config %s", c, configPath)
	}

	// The README's build command makes the binary ExecStart runs, from the
	// package the Dockerfile builds.
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile("go build -o (\\S+) (\\S+?)`").FindSubmatch(readme); m == nil {
		t.Errorf("README.md has no `go build -o NAME PACKAGE` command")
	} else {
		_, gb, _ := mustGoBuild(t)
		if string(m[1]) != path.Base(argv[0]) {
			t.Errorf("README.md builds %s; ExecStart runs %s", m[1], argv[0])
		}
		if len(gb.packages) != 1 || path.Clean(string(m[2])) != path.Clean(gb.packages[0]) {
			t.Errorf("README.md builds %s; the Dockerfile builds %v", m[2], gb.packages)
		}
	}

	// Credentials: under the secrets directory the header names, one per
	// secret file of the example config, at the path the header gives.
	secretsDir := ""
	if m := regexp.MustCompile(`secrets\s+in\s+(\S+)`).FindStringSubmatch(header); m != nil {
		secretsDir = m[1]
	} else {
		t.Errorf("%s: the header does not say where the secrets are (\"secrets in DIR\")", systemdPath)
	}
	creds := map[string]bool{}
	for _, lc := range u.get("Service", "LoadCredential") {
		id, src, ok := strings.Cut(lc, ":")
		if !ok {
			t.Errorf("LoadCredential=%s: want ID:PATH", lc)
			continue
		}
		creds[id] = true
		if secretsDir != "" && !strings.HasPrefix(src, strings.TrimSuffix(secretsDir, "/")+"/") {
			t.Errorf("LoadCredential=%s: not under %s, where the header keeps the secrets", lc, secretsDir)
		}
	}
	for _, m := range regexp.MustCompile(`/run/credentials/([^/\s]+)/`).FindAllStringSubmatch(string(data), -1) {
		if m[1] != unitName {
			t.Errorf("%s mentions /run/credentials/%s/; the unit is %s, so its credentials are in /run/credentials/%s/", systemdPath, m[1], unitName, unitName)
		}
	}
	example, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var exDoc yaml.Node
	if err := yaml.Unmarshal(example, &exDoc); err != nil {
		t.Fatalf("%s: %v", examplePath, err)
	}
	walkConfigRefs(&exDoc, func(key string, v *yaml.Node) {
		if strings.HasSuffix(key, "_file") && !creds[path.Base(v.Value)] {
			t.Errorf("%s: %s: %s; the unit loads no credential %s (LoadCredential: %v)", examplePath, key, v.Value, path.Base(v.Value), slices.Sorted(maps.Keys(creds)))
		}
	})

	// Stopping: the signal the gateway drains on, and time to drain.
	switch s := u.last("Service", "KillSignal"); s {
	case "", "SIGTERM", "SIGINT", "TERM", "INT":
	default:
		t.Errorf("KillSignal=%s: the gateway drains on SIGTERM or SIGINT only", s)
	}
	var ex struct {
		ShutdownTimeout string `yaml:"shutdown_timeout"`
		ShutdownDelay   string `yaml:"shutdown_delay"`
	}
	if err := yaml.Unmarshal(example, &ex); err != nil {
		t.Fatal(err)
	}
	shutdown := defaultShutdown
	if ex.ShutdownTimeout != "" {
		if shutdown, err = time.ParseDuration(ex.ShutdownTimeout); err != nil {
			t.Fatalf("%s: shutdown_timeout: %v", examplePath, err)
		}
	}
	if ex.ShutdownDelay != "" { // NOT_SERVING for this long before the drain starts
		delay, err := time.ParseDuration(ex.ShutdownDelay)
		if err != nil {
			t.Fatalf("%s: shutdown_delay: %v", examplePath, err)
		}
		shutdown += delay
	}
	stop := 90 * time.Second // systemd's DefaultTimeoutStopSec
	if s := u.last("Service", "TimeoutStopSec"); s != "" && s != "infinity" {
		if stop, err = systemdSpan(s); err != nil {
			t.Fatal(err)
		}
	}
	if s := u.last("Service", "TimeoutStopSec"); s != "infinity" && stop <= shutdown {
		t.Errorf("TimeoutStopSec=%v does not exceed the example's shutdown_delay + shutdown_timeout (%v): systemd kills the gateway mid-drain", stop, shutdown)
	}
}

// resourceFieldValue is what the downward API puts in an env var for a
// resourceFieldRef to container c's own resource (limits.memory, ...):
// the quantity divided by divisor (default 1), rounded up.
func resourceFieldValue(c k8sContainer, container, res, divisor string) (string, error) {
	if container != "" && container != c.Name {
		return "", fmt.Errorf("containerName %s is not this container (%s)", container, c.Name)
	}
	kind, name, ok := strings.Cut(res, ".")
	var q string
	switch {
	case ok && kind == "limits":
		q = c.Resources.Limits[name]
	case ok && kind == "requests":
		q = c.Resources.Requests[name]
	default:
		return "", fmt.Errorf("resource %q is not limits.* or requests.*", res)
	}
	if q == "" {
		return "", fmt.Errorf("the container sets no %s", res)
	}
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return "", err
	}
	d := resource.MustParse("1")
	if divisor != "" {
		if d, err = resource.ParseQuantity(divisor); err != nil {
			return "", err
		}
	}
	n := (v.Value() + d.Value() - 1) / d.Value()
	return strconv.FormatInt(n, 10), nil
}
