// Package e2e builds the real gateway binary, starts it (demo mode and
// config mode) and calls it over gRPC and REST, as users do.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/syncbuf"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "computegw-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gateway")
	if err := buildGateway(binary, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "building gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildGateway builds cmd/gateway into out, with the race detector if
// race; the build's output goes to this process's stderr.
func buildGateway(out string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "../cmd/gateway")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// gatewayCmd is the binary with args, its environment this process's
// plus env.
func gatewayCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// runFor runs cmd to its exit and returns what it wrote to stdout and
// stderr together, and its exit code (-1 if a signal ended it). A command
// that does not start, or does not exit within timeout (it is then
// killed), fails the test.
func runFor(t *testing.T, cmd *exec.Cmd, timeout time.Duration) (string, int) {
	t.Helper()
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Fatalf("%s %s: %v\n%s", cmd.Path, strings.Join(cmd.Args[1:], " "), err, out.String())
		}
		return out.String(), cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s: no exit within %s\n%s", cmd.Path, strings.Join(cmd.Args[1:], " "), timeout, out.String())
		return "", 0
	}
}

// writeFile writes content to a new file name (mode 0600) in a fresh
// temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	return writeFileIn(t, t.TempDir(), name, content)
}

// writeFileIn writes content to dir/name (mode 0600), replacing what it
// held, and returns its path.
func writeFileIn(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// proc is one run of the gateway binary.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncbuf.Buffer // everything it has written to stderr
	done   chan struct{}   // closed once it has exited
	err    error           // cmd.Wait's answer, set before done is closed
}

// spawn starts the binary with args (env added to this process's, stdout
// to stdout, nil: discarded) and waits until it writes a line to stderr
// for which ready is true, failing the test if it exits first or takes
// more than 30s. When the test ends, a process still running gets SIGTERM
// (SIGKILL 30s later), and a failed test logs the tail of its stderr.
func spawn(t *testing.T, env []string, stdout io.Writer, ready func(line []byte) bool, args ...string) *proc {
	t.Helper()
	cmd := gatewayCmd(env, args...)
	p := &proc{cmd: cmd, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	// The buffer first: once the scanner below sees a line, everything up
	// to it is already in p.stderr (the other order lost the demo banner
	// when the banner and the "serving" line arrived in one read).
	cmd.Stdout, cmd.Stderr = stdout, io.MultiWriter(p.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("%s stderr (tail):\n%s", p, tail(p.stderr.String(), 40))
		}
	})
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if ready(sc.Bytes()) {
				close(seen)
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-seen:
	case <-p.done:
		t.Fatalf("%s exited before it was ready: %v\n%s", p, p.err, p.stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s did not start:\n%s", p, p.stderr.String())
	}
	return p
}

// String names the process by its arguments, as "gateway --demo-vendors".
func (p *proc) String() string {
	return strings.Join(append([]string{"gateway"}, p.cmd.Args[1:]...), " ")
}

// wait waits for the process to exit and returns cmd.Wait's answer; not
// exiting within timeout fails the test.
func (p *proc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s: no exit within %s", p, timeout)
		return nil
	}
}

// terminate sends the process SIGTERM and waits as wait does.
func (p *proc) terminate(t *testing.T, timeout time.Duration) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.wait(t, timeout)
}

// kill ends the process with SIGKILL and waits until it has exited.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 30*time.Second)
}

// gateway is one running gateway process, serving.
type gateway struct {
	*proc
	httpAddr string
	grpcAddr string
	conn     *grpc.ClientConn
	client   pb.ComputeServiceClient
}

// start runs the binary with args on ephemeral ports and waits until it
// logs that it is serving.
func start(t *testing.T, env []string, args ...string) *gateway {
	t.Helper()
	g := &gateway{}
	args = append([]string{"--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}, args...)
	g.proc = spawn(t, env, nil, func(line []byte) bool {
		var raw map[string]any
		if json.Unmarshal(line, &raw) != nil || raw["msg"] != "computegw serving" {
			return false
		}
		g.httpAddr, _ = raw["http_addr"].(string)
		g.grpcAddr, _ = raw["grpc_addr"].(string)
		return true
	}, args...)
	g.conn = dial(t, g.grpcAddr, insecure.NewCredentials())
	g.client = pb.NewComputeServiceClient(g.conn)
	return g
}

// dial is a gRPC client connection to addr with creds, closed when the
// test ends.
func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rest does one REST call and decodes the JSON answer into out (if any).
func (g *gateway) rest(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	code, data := g.do(t, method, path, body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, code, data, err)
		}
	}
	return code
}

// do does one REST call (body, if not nil, a JSON string or a value to
// encode) and returns the answer's status code and body.
func (g *gateway) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			rd = bytes.NewReader(j)
		}
	}
	req, _ := http.NewRequest(method, "http://"+g.httpAddr+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// tail keeps a failure report short enough that the assertion above it
// stays in view: the last n lines of a gateway's stderr, plus any earlier
// line that reports a data race or a panic.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return s
	}
	var keep []string
	for _, l := range lines[:len(lines)-n] {
		if strings.Contains(l, "DATA RACE") || strings.HasPrefix(l, "panic:") {
			keep = append(keep, l)
		}
	}
	keep = append(keep, fmt.Sprintf("... (%d earlier lines left out)", len(lines)-n-len(keep)))
	return strings.Join(append(keep, lines[len(lines)-n:]...), "\n")
}
