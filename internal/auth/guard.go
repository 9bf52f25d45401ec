package auth

import (
	"context"
	"strings"
)

// Anonymous is the principal of a caller without credentials where
// auth.allow_unauthenticated is true.
const Anonymous = "anonymous"

// Identity is an authenticated caller.
type Identity struct {
	// Principal is the caller as audit lines name it: user:{sub},
	// cert:{CN} or anonymous.
	Principal string
	// Principals are what policy rules match: Principal, and for a JWT
	// group:{g} for each group.
	Principals []string
}

// Guard turns credentials into an Identity and answers what role it has on
// a cloud.
type Guard struct {
	// JWT verifies bearer tokens; nil: this gateway accepts none.
	JWT *Verifier
	// Certs: a client certificate verified by the TLS handshake
	// (tls.client_ca_file) is a credential, cert:{CN}.
	Certs bool
	// AllowAnonymous: a caller without credentials is "anonymous".
	AllowAnonymous bool
	Policy         Policy
}

// Authenticate checks the credentials. A request carrying both a
// certificate and a JWT is the JWT's principal; a bearer token that does not
// verify is refused even when a certificate or anonymous access would do.
func (g *Guard) Authenticate(ctx context.Context, c Credentials) (*Identity, error) {
	if c.AuthorizationGiven {
		scheme, token, ok := strings.Cut(strings.TrimSpace(c.Authorization), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, unauthenticated("the authorization header must be \"Bearer\" and a JWT")
		}
		if g.JWT == nil {
			return nil, unauthenticated("this gateway accepts no bearer tokens (no auth.jwt configured)")
		}
		claims, err := g.JWT.Verify(ctx, token)
		if err != nil {
			return nil, err
		}
		id := &Identity{Principal: "user:" + claims.Subject}
		id.Principals = append(id.Principals, id.Principal)
		for _, gr := range claims.Groups {
			id.Principals = append(id.Principals, "group:"+gr)
		}
		return id, nil
	}
	if c.CertVerified && g.Certs {
		if c.CertCN == "" {
			return nil, unauthenticated("the client certificate has no subject common name (CN) to name its principal")
		}
		p := "cert:" + c.CertCN
		return &Identity{Principal: p, Principals: []string{p}}, nil
	}
	if g.AllowAnonymous {
		return &Identity{Principal: Anonymous, Principals: []string{Anonymous}}, nil
	}
	return nil, unauthenticated("no credentials: %s", g.wanted())
}

func (g *Guard) wanted() string {
	switch {
	case g.JWT != nil && g.Certs:
		return "send \"authorization: Bearer JWT\" or a client certificate"
	case g.JWT != nil:
		return "send \"authorization: Bearer JWT\""
	}
	return "present a client certificate"
}

// Role is the caller's role on cloud.
func (g *Guard) Role(id *Identity, cloud string) Role {
	if id == nil {
		return NoRole
	}
	return g.Policy.Role(id.Principals, cloud)
}
