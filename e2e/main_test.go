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
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "../cmd/gateway")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gateway:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gateway is one running gateway process.
type gateway struct {
	cmd      *exec.Cmd
	httpAddr string
	grpcAddr string
	stderr   *syncbuf.Buffer
	conn     *grpc.ClientConn
	client   pb.ComputeServiceClient
	exited   chan error
}

// start runs the binary with args on ephemeral ports and waits until it
// logs that it is serving.
func start(t *testing.T, env []string, args ...string) *gateway {
	t.Helper()
	args = append([]string{"--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	g := &gateway{cmd: cmd, stderr: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	// The buffer first: once the scanner below sees a line, everything up
	// to it is already in g.stderr (the other order lost the demo banner
	// when the banner and the "serving" line arrived in one read).
	cmd.Stderr = io.MultiWriter(g.stderr, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.exited <- cmd.Wait(); pw.Close() }()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, HTTPAddr, GRPCAddr string }
			var raw map[string]any
			if json.Unmarshal(sc.Bytes(), &raw) == nil && raw["msg"] == "computegw serving" {
				line.HTTPAddr, _ = raw["http_addr"].(string)
				line.GRPCAddr, _ = raw["grpc_addr"].(string)
				g.httpAddr, g.grpcAddr = line.HTTPAddr, line.GRPCAddr
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-ready:
	case err := <-g.exited:
		t.Fatalf("gateway exited before serving: %v\n%s", err, g.stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("gateway did not start:\n%s", g.stderr.String())
	}
	conn, err := grpc.NewClient(g.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	g.conn, g.client = conn, pb.NewComputeServiceClient(conn)
	t.Cleanup(func() {
		conn.Close()
		if g.cmd.ProcessState == nil {
			g.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-g.exited:
			case <-time.After(30 * time.Second):
				g.cmd.Process.Kill()
			}
		}
		if t.Failed() {
			t.Logf("gateway stderr (tail):\n%s", tail(g.stderr.String(), 40))
		}
	})
	return g
}

// rest does one REST call and decodes the JSON answer into out (if any).
func (g *gateway) rest(t *testing.T, method, path string, body any, out any) int {
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
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
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
