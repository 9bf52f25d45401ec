// Package redistest starts a real redis-server (the Debian package
// redis-server, or $REDIS_SERVER) for a test, on a loopback port of its
// own, and stops it when the test ends.
//
// A test that needs Redis and cannot start it FAILS; it is never skipped,
// so a CI without redis-server is red, not silently green. (.ci/run
// installs the package when it is missing.)
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process.
type Server struct {
	// Addr is host:port on 127.0.0.1.
	Addr string
	// Password is the default user's password ("" for none).
	Password string

	t        testing.TB
	bin      string
	username string
	dir      string
	port     int

	mu  sync.Mutex
	cmd *exec.Cmd
	out *strings.Builder
}

// Options for Start.
type Options struct {
	// Password makes the server require it (requirepass).
	Password string
	// Username, with Password, adds an ACL user with that password and
	// every right (the default user keeps Password too).
	Username string
}

// Binary returns the redis-server to run: $REDIS_SERVER, else the one on
// PATH, else an error saying how to install it.
func Binary() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redis-server not found: install it (apt-get install redis-server) or set REDIS_SERVER; tests that need a real Redis fail without it")
	}
	return p, nil
}

// Start starts a redis-server on a free loopback port and registers its
// stop with t.Cleanup. The server saves its data on a clean stop (Stop)
// and reloads it on Restart, as a persistent production Redis does.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), Password: opt.Password, username: opt.Username}
	var last error
	for range 5 {
		s.port, err = freePort()
		if err != nil {
			t.Fatal(err)
		}
		if last = s.start(); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatalf("starting redis-server: %v", last)
	}
	t.Cleanup(s.Kill)
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--dbfilename", "dump.rdb", "--save", "3600 1", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "yes", "--logfile", ""}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
		if s.username != "" {
			args = append(args, "--user", s.username, "on", ">"+s.Password, "~*", "&*", "+@all")
		}
	}
	cmd := exec.Command(s.bin, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{b: out, mu: &s.mu}, &lockedWriter{b: out, mu: &s.mu}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.mu.Lock()
			defer s.mu.Unlock()
			return fmt.Errorf("redis-server exited at start: %s", out.String())
		default:
		}
		if ping(s.Addr, s.Password) == nil {
			s.mu.Lock()
			s.cmd, s.out = cmd, out
			s.mu.Unlock()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	return fmt.Errorf("redis-server did not answer on %s within 10s", s.Addr)
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// ping speaks just enough RESP to see the server answer.
func ping(addr, password string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password)
	}
	fmt.Fprint(c, "*1\r\n$4\r\nPING\r\n")
	rd := bufio.NewReader(c)
	if password != "" {
		if l, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
			return fmt.Errorf("AUTH: %q %v", l, err)
		}
	}
	l, err := rd.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+PONG") {
		return fmt.Errorf("PING answered %q", l)
	}
	return nil
}

// Stop shuts the server down cleanly (SIGTERM: it saves its data first)
// and waits until its port is closed.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill ends the server at once (SIGKILL: unsaved data is lost).
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(cmd.Process.Pid, 0); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err != nil {
			return
		} else {
			c.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Restart starts the server again on the same port, with the data it
// saved on Stop.
func (s *Server) Restart() {
	s.t.Helper()
	var err error
	for range 50 { // the port may take a moment to be free again
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("restarting redis-server on %s: %v", s.Addr, err)
}

// Log is what the server printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// DataDir is the server's working directory (its dump file).
func (s *Server) DataDir() string { return filepath.Clean(s.dir) }
