package auth_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/auth/authtest"
	"github.com/computegw/computegw/internal/eventually"
)

// serveTLS accepts connections with cfg and completes their handshakes.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	lis, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = c.Write([]byte("x"))
			}()
		}
	}()
	return lis.Addr().String()
}

// dial completes a handshake and a read (TLS 1.3 reports a refused client
// certificate on the first read), returning the server's leaf serial.
func dial(addr string, cfg *tls.Config) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return "", err
	}
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// ServerTLS reloads the certificate and the client CA when their files
// change, keeps the old ones when the new files do not load, and refuses
// a client certificate the current CA did not sign.
func TestServerTLSReload(t *testing.T) {
	dir := t.TempDir()
	ca1, ca2 := authtest.NewCA("ca one"), authtest.NewCA("ca two")
	certF, keyF, caF := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.crt")
	c, k := ca1.Server("localhost")
	write(t, certF, c)
	write(t, keyF, k)
	write(t, caF, ca1.PEM)
	cfg, err := auth.ServerTLS(auth.TLSFiles{CertFile: certF, KeyFile: keyF, ClientCAFile: caF}, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, cfg)
	pool := ca1.Pool()
	pool.AddCert(ca2.Cert)
	client := func(ca *authtest.CA, cn string) *tls.Config {
		return &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{ca.ClientTLS(cn)}}
	}
	first, err := dial(addr, client(ca1, "bot"))
	if err != nil {
		t.Fatalf("client of ca one: %v", err)
	}
	if _, err := dial(addr, client(ca2, "bot")); err == nil {
		t.Fatal("client of ca two accepted before the CA file changed")
	}
	if _, err := dial(addr, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err == nil {
		t.Fatal("client without a certificate accepted")
	}

	// Rotate: a new server certificate, and the client CA becomes ca two.
	c, k = ca2.Server("localhost")
	write(t, keyF, k)
	write(t, certF, c)
	write(t, caF, ca2.PEM)
	eventually.Nil(t, 10*time.Second, "rotation picked up", func() error {
		serial, err := dial(addr, client(ca2, "bot"))
		if err == nil && serial == first {
			return eventually.NotYet("still serial %s", first)
		}
		return err
	})
	if _, err := dial(addr, client(ca1, "bot")); err == nil {
		t.Error("client of the retired CA still accepted")
	}

	// A broken rewrite keeps the working pair.
	write(t, certF, []byte("not a certificate"))
	time.Sleep(1100 * time.Millisecond)
	if _, err := dial(addr, client(ca2, "bot")); err != nil {
		t.Errorf("after a broken certificate file: %v, want the previous pair kept", err)
	}
}

func TestServerTLSErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	ca := authtest.NewCA("ca")
	c, k := ca.Server("localhost")
	certF, keyF := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write(t, certF, c)
	write(t, keyF, k)
	bad := filepath.Join(dir, "bad.pem")
	write(t, bad, []byte("junk"))
	for _, f := range []struct {
		files auth.TLSFiles
		key   string
	}{
		{auth.TLSFiles{CertFile: filepath.Join(dir, "missing.crt"), KeyFile: keyF}, "tls.cert_file"},
		{auth.TLSFiles{CertFile: certF, KeyFile: filepath.Join(dir, "missing.key")}, "tls.key_file"},
		{auth.TLSFiles{CertFile: certF, KeyFile: bad}, "tls.cert_file/key_file"},
		{auth.TLSFiles{CertFile: certF, KeyFile: keyF, ClientCAFile: bad}, "tls.client_ca_file"},
		{auth.TLSFiles{CertFile: certF, KeyFile: keyF, ClientCAFile: filepath.Join(dir, "nope")}, "tls.client_ca_file"},
	} {
		_, err := auth.ServerTLS(f.files, nil)
		if err == nil || !strings.HasPrefix(err.Error(), f.key) {
			t.Errorf("%+v: %v, want an error naming %s", f.files, err, f.key)
		}
	}
}
