package auth

import (
	"context"
	"crypto/x509"
	"net/http"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Credentials are what a caller presented, as its transport saw them. They
// are not yet checked: Guard.Authenticate does that.
type Credentials struct {
	// Authorization is the raw "authorization" header or metadata value
	// ("Bearer JWT"); empty when none was sent.
	Authorization string
	// AuthorizationGiven is true when the header was present, even empty.
	AuthorizationGiven bool
	// CertCN is the subject common name of the client certificate the TLS
	// handshake verified against tls.client_ca_file; CertVerified says one
	// was verified at all (its CN may still be empty).
	CertCN       string
	CertVerified bool
}

type credentialsKey struct{}

// WithCredentials attaches the transport's credentials to ctx.
func WithCredentials(ctx context.Context, c Credentials) context.Context {
	return context.WithValue(ctx, credentialsKey{}, c)
}

// CredentialsFrom returns the credentials a transport attached with
// WithCredentials.
func CredentialsFrom(ctx context.Context) (Credentials, bool) {
	c, ok := ctx.Value(credentialsKey{}).(Credentials)
	return c, ok
}

// FromHTTP reads a REST request's credentials: the Authorization header and
// the verified client certificate of its TLS connection.
func FromHTTP(r *http.Request) Credentials {
	var c Credentials
	if v, ok := r.Header["Authorization"]; ok {
		c.AuthorizationGiven = true
		if len(v) == 1 {
			c.Authorization = v[0]
		} else {
			c.Authorization = "\x00several" // several headers: refused as malformed
		}
	}
	if r.TLS != nil {
		c.CertCN, c.CertVerified = verifiedCN(r.TLS.VerifiedChains)
	}
	return c
}

// FromGRPC reads a gRPC call's credentials from ctx: the "authorization"
// metadata and the verified client certificate of the peer's TLS state.
func FromGRPC(ctx context.Context) Credentials {
	var c Credentials
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			c.AuthorizationGiven = true
			if len(v) == 1 {
				c.Authorization = v[0]
			} else {
				c.Authorization = "\x00several"
			}
		}
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			c.CertCN, c.CertVerified = verifiedCN(ti.State.VerifiedChains)
		}
	}
	return c
}

func verifiedCN(chains [][]*x509.Certificate) (string, bool) {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return "", false
	}
	return chains[0][0].Subject.CommonName, true
}
