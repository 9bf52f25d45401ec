package deploy_test

// The real gateway binary: the package the Dockerfile builds, built once per
// test run, asked for its flags, and run with the artefacts' command lines.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/syncbuf"
)

// repoRoot is the module root, the Docker build context.
const repoRoot = ".."

var built struct {
	once  sync.Once
	dir   string
	bin   string
	flags map[string]bool // flag name -> is a bool flag
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// gatewayBinary returns the gateway built from the package the Dockerfile
// builds, and the flags it defines.
func gatewayBinary(t *testing.T) (bin string, flags map[string]bool) {
	t.Helper()
	built.once.Do(func() { built.bin, built.flags, built.err = buildGateway() })
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin, built.flags
}

func buildGateway() (string, map[string]bool, error) {
	d, err := readDockerfile()
	if err != nil {
		return "", nil, err
	}
	gb, _, err := dockerGoBuild(d)
	if err != nil {
		return "", nil, err
	}
	if len(gb.packages) != 1 {
		return "", nil, fmt.Errorf("%s: go build %q: want exactly one package", dockerfilePath, gb.args)
	}
	built.dir, err = os.MkdirTemp("", "computegw-deploy-test")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(built.dir, "gateway")
	// The Dockerfile's package, built plainly so that the build cache of
	// other builds (go vet, e2e) serves it; TestDockerfile dry-runs the
	// Dockerfile's exact command.
	cmd := exec.Command("go", "build", "-o", bin, gb.packages[0])
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("go build -o %s %s: %v\n%s", bin, gb.packages[0], err, out)
	}
	flags, err := binaryFlags(bin)
	return bin, flags, err
}

// dockerBuildArgs is the Dockerfile's go build command with -o replaced.
func dockerBuildArgs(gb *goBuild, output string) []string {
	args := []string{"build", "-o", output}
	for i := 0; i < len(gb.args); i++ {
		a := gb.args[i]
		switch {
		case a == "-o" || a == "--o":
			i++
		case strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--o="):
		default:
			args = append(args, a)
		}
	}
	return args
}

// flagLine matches a flag in Go's flag.PrintDefaults output: "  -name" or
// "  -name type", then a tab or the end of the line.
var flagLine = regexp.MustCompile(`^  -([^\s=]+)(?: (\S+))?(?:\t|$)`)

// binaryFlags runs `gateway -h` and reads the flags it prints. It fails
// rather than return an empty or implausible set, so a change in the usage
// format cannot make every flag look unknown or every flag look fine.
func binaryFlags(bin string) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-h")
	cmd.Env = []string{}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 2) {
		return nil, fmt.Errorf("gateway -h: %v\n%s", err, out.String())
	}
	flags := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			flags[m[1]] = m[2] == ""
		}
	}
	if isBool, ok := flags["config"]; !ok || isBool {
		return nil, fmt.Errorf("gateway -h lists no string flag -config; the usage format changed? Output:\n%s", out.String())
	}
	return flags, nil
}

// recValue records every value a flag is given.
type recValue struct {
	vals   *[]string
	isBool bool
}

func (r recValue) String() string {
	if r.vals == nil || len(*r.vals) == 0 {
		return ""
	}
	return (*r.vals)[len(*r.vals)-1]
}
func (r recValue) Set(s string) error { *r.vals = append(*r.vals, s); return nil }
func (r recValue) IsBoolFlag() bool   { return r.isBool }

// parseGatewayArgs parses args (argv without argv[0]) as cmd/gateway does
// (Go's flag package) against the flags the binary defines, and returns
// each flag's effective (last) value. Unknown flags, missing values,
// positional arguments (the gateway ignores them) and a flag given twice
// with different values are errors.
func parseGatewayArgs(t *testing.T, what string, flags map[string]bool, args []string) map[string]string {
	t.Helper()
	fs := flag.NewFlagSet(what, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]*[]string{}
	for name, isBool := range flags {
		vals[name] = new([]string)
		fs.Var(recValue{vals: vals[name], isBool: isBool}, name, "")
	}
	if err := fs.Parse(args); err != nil {
		t.Errorf("%s: gateway arguments %q: %v (the gateway's flags: %s)", what, args, err, strings.Join(slices.Sorted(maps.Keys(flags)), ", "))
		return nil
	}
	if fs.NArg() > 0 {
		t.Errorf("%s: gateway arguments %q: the gateway ignores positional arguments %q", what, args, fs.Args())
	}
	out := map[string]string{}
	for name, v := range vals {
		if len(*v) == 0 {
			continue
		}
		for _, x := range *v {
			if x != (*v)[0] {
				t.Errorf("%s: -%s is given twice with different values %q; the last one wins silently", what, name, *v)
			}
		}
		out[name] = (*v)[len(*v)-1]
	}
	return out
}

// rewriteConfigArg returns args with the value of -config / --config
// passed through f.
func rewriteConfigArg(args []string, f func(string) string) []string {
	out := slices.Clone(args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		if hasVal {
			out[i] = a[:len(a)-len(val)] + f(val)
		} else if i+1 < len(out) {
			out[i+1] = f(out[i+1])
			i++
		}
	}
	return out
}

// envList turns a map into KEY=VALUE lines, sorted.
func envList(env map[string]string) []string {
	out := []string{}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// checkArgsReachConfig runs the real binary with args and env, the config
// path moved under an empty directory, and expects it to get past flag
// parsing and fail on the missing config file: exit status 1 and "cannot
// read config file". A flag error exits 2; demo mode would start serving.
func checkArgsReachConfig(t *testing.T, what string, args []string, env map[string]string) {
	t.Helper()
	bin, _ := gatewayBinary(t)
	empty := t.TempDir()
	configs := 0
	moved := func(p string) string { configs++; return filepath.Join(empty, p) }
	args = rewriteConfigArg(args, moved)
	env = maps.Clone(env)
	if p, ok := env["COMPUTEGW_CONFIG"]; ok && p != "" {
		env["COMPUTEGW_CONFIG"] = moved(p)
	}
	if configs == 0 {
		t.Errorf("%s: gateway %q: no --config or COMPUTEGW_CONFIG, so it would start demo mode", what, args)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = envList(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out.String(), "cannot read config file") || !strings.Contains(out.String(), empty) {
		t.Errorf("%s: gateway %q did not reach the config loader (want exit status 1 and \"cannot read config file\"): %v\n%s", what, args, err, out.String())
	}
}

// runningGateway is a started gateway process.
type runningGateway struct {
	cmd                *exec.Cmd
	httpAddr, grpcAddr string
	stderr             *syncbuf.Buffer
	done               chan struct{} // closed once the process exited
	waitErr            error         // cmd.Wait's result, once done is closed
}

var textServing = regexp.MustCompile(`msg="computegw serving".* http_addr=(\S+) grpc_addr=(\S+)`)

// servingAddrs reads the bound addresses from the "computegw serving" log
// line, in the JSON or the text log format.
func servingAddrs(line string) (httpAddr, grpcAddr string, ok bool) {
	var raw map[string]any
	if json.Unmarshal([]byte(line), &raw) == nil && raw["msg"] == "computegw serving" {
		h, _ := raw["http_addr"].(string)
		g, _ := raw["grpc_addr"].(string)
		return h, g, h != "" && g != ""
	}
	if m := textServing.FindStringSubmatch(line); m != nil {
		return m[1], m[2], true
	}
	return "", "", false
}

// startGateway runs the binary and waits until it logs that it serves.
func startGateway(t *testing.T, what string, args []string, env map[string]string) *runningGateway {
	t.Helper()
	bin, _ := gatewayBinary(t)
	cmd := exec.Command(bin, args...)
	cmd.Env = envList(env)
	g := &runningGateway{cmd: cmd, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout = g.stderr
	cmd.Stderr = io.MultiWriter(g.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.waitErr = cmd.Wait(); close(g.done); pw.Close() }()
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if h, gr, ok := servingAddrs(sc.Text()); ok {
				ready <- [2]string{h, gr}
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		select {
		case <-g.done:
		default:
			cmd.Process.Kill()
			<-g.done
		}
	})
	select {
	case a := <-ready:
		g.httpAddr, g.grpcAddr = a[0], a[1]
	case <-g.done:
		t.Fatalf("%s: gateway %q exited before serving: %v\n%s", what, args, g.waitErr, g.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: gateway %q did not log \"computegw serving\" within 20s:\n%s", what, args, g.stderr.String())
	}
	return g
}

// stop sends SIGTERM, as kubelet and systemd do, and returns the exit error.
func (g *runningGateway) stop(within time.Duration) error {
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-g.done:
		return g.waitErr
	case <-time.After(within):
		g.cmd.Process.Kill()
		<-g.done
		return fmt.Errorf("still running %v after SIGTERM", within)
	}
}
