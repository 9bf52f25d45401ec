package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/computegw/computegw/internal/auth"
	"github.com/computegw/computegw/internal/config"
	"github.com/computegw/computegw/server"
)

// security builds the caller security of a config:
// the guard (nil: every caller is served, as in demo mode) and the TLS
// configuration of both listeners (nil: plaintext). It refuses a config
// that would serve a non-loopback address to unauthenticated callers
// without saying so (auth.allow_unauthenticated: true).
func security(ctx context.Context, file *config.File, httpAddr, grpcAddr string, log *slog.Logger) (*auth.Guard, *tls.Config, error) {
	if file == nil {
		return nil, nil, nil
	}
	var tlsCfg *tls.Config
	if t := file.TLS; t != nil {
		var err error
		if tlsCfg, err = auth.ServerTLS(auth.TLSFiles{CertFile: t.CertFile, KeyFile: t.KeyFile, ClientCAFile: t.ClientCAFile}, log); err != nil {
			return nil, nil, err
		}
	}
	if !file.Guarded() {
		for _, a := range []struct{ key, addr string }{{"http_addr", httpAddr}, {"grpc_addr", grpcAddr}} {
			if !loopback(a.addr) {
				return nil, nil, fmt.Errorf("auth: %s %s is not a loopback address and the config has no auth section, so anyone who can reach it could change every cloud: "+
					"add auth (auth.jwt, or tls.client_ca_file for client certificates), or auth.allow_unauthenticated: true to serve it open on purpose", a.key, a.addr)
			}
		}
		return nil, tlsCfg, nil
	}
	g := &auth.Guard{Certs: file.TLS != nil && file.TLS.ClientCAFile != ""}
	if a := file.Auth; a != nil {
		g.AllowAnonymous = a.AllowUnauthenticated
		if j := a.JWT; j != nil {
			v, err := auth.NewVerifier(auth.JWTConfig{Issuer: j.Issuer, Audience: j.Audience, JWKSFile: j.JWKSFile, JWKSURL: j.JWKSURL,
				GroupsClaim: j.GroupsClaim, Logger: log})
			if err != nil {
				return nil, nil, err
			}
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := v.Prime(pctx); err != nil {
				log.Warn("the JWT key set could not be loaded at start; tokens are refused until it loads", "error", err.Error())
			}
			cancel()
			g.JWT = v
		}
	}
	for _, r := range file.Policy {
		g.Policy.Rules = append(g.Policy.Rules, auth.Rule{Principals: r.Principals, Clouds: r.Clouds, Role: r.Role})
	}
	return g, tlsCfg, nil
}

// loopback reports whether a listen address binds only loopback.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// grpcOptions serves gRPC over TLS when tlsCfg is set.
func grpcOptions(tlsCfg *tls.Config) []grpc.ServerOption {
	if tlsCfg == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(tlsCfg))}
}

// serveHTTP serves the REST listener, over TLS (HTTP/2 and HTTP/1.1) when
// tlsCfg is set.
func serveHTTP(hsrv *http.Server, lis net.Listener, tlsCfg *tls.Config) error {
	if tlsCfg == nil {
		return hsrv.Serve(lis)
	}
	cfg := tlsCfg.Clone()
	if get := cfg.GetConfigForClient; get != nil {
		// The per-handshake config replaces the one ServeTLS prepares, so
		// it must offer HTTP/2 itself.
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(hello)
			if c != nil {
				c = c.Clone()
				c.NextProtos = []string{"h2", "http/1.1"}
			}
			return c, err
		}
	}
	hsrv.TLSConfig = cfg
	return hsrv.ServeTLS(lis, "", "")
}

// openPaths are served without credentials: health checks, and the API
// description, which is public.
var openPaths = map[string]bool{"/healthz": true, "/readyz": true, "/openapi.json": true, "/openapi.v3.json": true}

// callerCredentials puts a REST request's credentials (Authorization header,
// verified client certificate) into its context for the server's one
// authentication step, and takes that step before anything else reads the
// request, so an unauthenticated caller learns nothing (not even whether a
// route or cloud exists) and sends no body for the gateway to parse.
func callerCredentials(srv *server.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithCredentials(r.Context(), auth.FromHTTP(r))
		if !(openPaths[r.URL.Path] && (r.Method == http.MethodGet || r.Method == http.MethodHead)) {
			var err error
			if ctx, err = srv.Authenticate(server.WithTransport(ctx, "rest")); err != nil {
				if rpc := rpcOf(r); rpc != "" {
					srv.Refused(ctx, rpc) // the call log line and metrics
				}
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeStatus(w, server.Status(err))
				return
			}
		}
		next.ServeHTTP(&bearerChallenge{ResponseWriter: w}, r.WithContext(ctx))
	})
}

// bearerChallenge adds WWW-Authenticate: Bearer to every 401 answer.
type bearerChallenge struct{ http.ResponseWriter }

func (b *bearerChallenge) WriteHeader(code int) {
	if code == http.StatusUnauthorized && b.Header().Get("WWW-Authenticate") == "" {
		b.Header().Set("WWW-Authenticate", "Bearer")
	}
	b.ResponseWriter.WriteHeader(code)
}

func (b *bearerChallenge) Flush() {
	if f, ok := b.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (b *bearerChallenge) Unwrap() http.ResponseWriter { return b.ResponseWriter }
