package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// TLSFiles are the tls section's files.
type TLSFiles struct {
	CertFile, KeyFile string
	ClientCAFile      string // "": no client certificates asked for
}

// reloadCheck is how often, at most, a handshake looks at the files' mtimes.
const reloadCheck = time.Second

// ServerTLS returns the listeners' TLS configuration. The certificate and
// the client CA bundle are re-read when their files change (cert-manager and
// kubelet rotate them in place): a handshake looks at the files at most once
// a second and picks up a new pair without a restart, while connections
// already open keep theirs. A file that fails to load after a change is
// logged and the previous one kept. With ClientCAFile, a client must present
// a certificate that CA signed, or the handshake fails.
func ServerTLS(f TLSFiles, log *slog.Logger) (*tls.Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &reloader{files: f, log: log}
	if err := r.loadCert(); err != nil {
		return nil, err
	}
	if f.ClientCAFile != "" {
		if err := r.loadCA(); err != nil {
			return nil, err
		}
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	cfg := base.Clone()
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		r.maybeReload()
		c := base.Clone()
		r.mu.Lock()
		cert, pool := r.cert, r.pool
		r.mu.Unlock()
		c.Certificates = []tls.Certificate{*cert}
		if pool != nil {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
		return c, nil
	}
	// For callers that look at the top-level config only.
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		r.maybeReload()
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.cert, nil
	}
	return cfg, nil
}

type stamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{fi.ModTime(), fi.Size()}, nil
}

type reloader struct {
	files TLSFiles
	log   *slog.Logger

	mu                  sync.Mutex
	cert                *tls.Certificate
	pool                *x509.CertPool
	certStamp, keyStamp stamp
	caStamp             stamp
	lastCheck           time.Time
}

func (r *reloader) loadCert() error {
	cs, err1 := stampOf(r.files.CertFile)
	ks, err2 := stampOf(r.files.KeyFile)
	cert, err := tls.LoadX509KeyPair(r.files.CertFile, r.files.KeyFile)
	if err != nil {
		if err1 != nil {
			return fmt.Errorf("tls.cert_file %s: %v", r.files.CertFile, unwrapPath(err1))
		}
		if err2 != nil {
			return fmt.Errorf("tls.key_file %s: %v", r.files.KeyFile, unwrapPath(err2))
		}
		return fmt.Errorf("tls.cert_file/key_file: %v", err)
	}
	r.mu.Lock()
	r.cert, r.certStamp, r.keyStamp = &cert, cs, ks
	r.mu.Unlock()
	return nil
}

func (r *reloader) loadCA() error {
	st, err := stampOf(r.files.ClientCAFile)
	if err != nil {
		return fmt.Errorf("tls.client_ca_file %s: %v", r.files.ClientCAFile, unwrapPath(err))
	}
	pem, err := os.ReadFile(r.files.ClientCAFile)
	if err != nil {
		return fmt.Errorf("tls.client_ca_file %s: %v", r.files.ClientCAFile, unwrapPath(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("tls.client_ca_file %s: no PEM certificate in the file", r.files.ClientCAFile)
	}
	r.mu.Lock()
	r.pool, r.caStamp = pool, st
	r.mu.Unlock()
	return nil
}

func (r *reloader) maybeReload() {
	r.mu.Lock()
	if time.Since(r.lastCheck) < reloadCheck {
		r.mu.Unlock()
		return
	}
	r.lastCheck = time.Now()
	certStamp, keyStamp, caStamp := r.certStamp, r.keyStamp, r.caStamp
	r.mu.Unlock()
	cs, err1 := stampOf(r.files.CertFile)
	ks, err2 := stampOf(r.files.KeyFile)
	if err1 == nil && err2 == nil && (cs != certStamp || ks != keyStamp) {
		if err := r.loadCert(); err != nil {
			r.log.Warn("TLS certificate changed on disk but does not load; keeping the previous one", "error", err.Error())
		} else {
			r.log.Info("TLS certificate reloaded", "cert_file", r.files.CertFile)
		}
	}
	if r.files.ClientCAFile != "" {
		if st, err := stampOf(r.files.ClientCAFile); err == nil && st != caStamp {
			if err := r.loadCA(); err != nil {
				r.log.Warn("client CA file changed on disk but does not load; keeping the previous one", "error", err.Error())
			} else {
				r.log.Info("client CA reloaded", "client_ca_file", r.files.ClientCAFile)
			}
		}
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
