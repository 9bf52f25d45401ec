package config

import (
	"fmt"
	"net/url"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/internal/auth"
)

// Caller security sections of the config file: tls,
// auth and policy. Parsed here, strictly, after the clouds (policy names
// them).

func init() { topKeys = append(topKeys, "tls", "auth", "policy") }

// Security is the caller-security part of File.
type Security struct {
	TLS    *TLS   // nil: plaintext listeners
	Auth   *Auth  // nil: no auth section
	Policy []Rule // per-cloud roles
}

// TLS is the tls section: both listeners serve TLS with it.
type TLS struct {
	CertFile, KeyFile string
	// ClientCAFile, when set, makes the listeners require and verify client
	// certificates (mTLS); a verified certificate is the principal cert:{CN}.
	ClientCAFile string
}

// Auth is the auth section.
type Auth struct {
	JWT *JWT // nil: no bearer tokens
	// AllowUnauthenticated: callers without credentials are "anonymous".
	AllowUnauthenticated bool
}

// JWT is auth.jwt.
type JWT struct {
	Issuer, Audience  string
	JWKSFile, JWKSURL string // at most one; neither: OIDC discovery at Issuer
	GroupsClaim       string // "" is "groups"
}

// Rule is one policy entry.
type Rule struct {
	Principals []string
	Clouds     []string // cloud names or "*"
	Role       auth.Role
	Line       int
}

// Guarded reports whether callers are authenticated at all: an auth section
// or mTLS.
func (s *Security) Guarded() bool {
	return s.Auth != nil || (s.TLS != nil && s.TLS.ClientCAFile != "")
}

// parseSecurity is the hook Parse calls once the clouds are known.
func parseSecurity(f *File, fields map[string]*yaml.Node) error {
	if n, ok := fields["tls"]; ok {
		t, err := parseTLS(n)
		if err != nil {
			return err
		}
		f.TLS = t
	}
	if n, ok := fields["auth"]; ok {
		a, err := parseAuth(n)
		if err != nil {
			return err
		}
		f.Auth = a
		if a.JWT == nil && !a.AllowUnauthenticated && (f.TLS == nil || f.TLS.ClientCAFile == "") {
			return &Error{Key: "auth", Line: n.Line, Msg: "no way to authenticate: give auth.jwt, tls.client_ca_file (client certificates), or auth.allow_unauthenticated: true"}
		}
	}
	n, ok := fields["policy"]
	if !ok {
		if f.Guarded() {
			f.Warnings = append(f.Warnings, "policy: none given, so every authenticated call is PERMISSION_DENIED; grant roles under policy")
		}
		return nil
	}
	if !f.Guarded() {
		return &Error{Key: "policy", Line: n.Line, Msg: "roles need authenticated callers: add an auth section (or tls.client_ca_file)"}
	}
	if n.Kind != yaml.SequenceNode {
		return &Error{Key: "policy", Line: n.Line, Msg: "must be a list of {principals, clouds, role}"}
	}
	names := make([]string, 0, len(f.Clouds))
	for _, c := range f.Clouds {
		names = append(names, c.Name)
	}
	for i, rn := range n.Content {
		path := fmt.Sprintf("policy[%d]", i)
		if rn.Kind != yaml.MappingNode {
			return &Error{Key: path, Line: rn.Line, Msg: "must be a mapping with principals, clouds and role"}
		}
		rf, err := mapping(rn, path, []string{"principals", "clouds", "role"})
		if err != nil {
			return err
		}
		r := Rule{Line: rn.Line}
		if r.Principals, err = stringList(rf, path, "principals", "a principal"); err != nil {
			return err
		}
		if len(r.Principals) == 0 {
			return &Error{Key: path + ".principals", Line: rn.Line, Msg: "required: at least one principal (user:SUBJECT, group:NAME, cert:COMMON_NAME or anonymous)"}
		}
		for j, p := range r.Principals {
			if err := auth.CheckPrincipal(p); err != nil {
				return &Error{Key: fmt.Sprintf("%s.principals[%d]", path, j), Line: rf["principals"].Content[j].Line, Msg: err.Error()}
			}
			if p == auth.Anonymous && (f.Auth == nil || !f.Auth.AllowUnauthenticated) {
				f.Warnings = append(f.Warnings, fmt.Sprintf("%s.principals[%d]: anonymous matches nobody unless auth.allow_unauthenticated is true", path, j))
			}
		}
		if r.Clouds, err = stringList(rf, path, "clouds", "a cloud name"); err != nil {
			return err
		}
		if len(r.Clouds) == 0 {
			return &Error{Key: path + ".clouds", Line: rn.Line, Msg: "required: the cloud names the role applies to, or \"*\" for every cloud"}
		}
		for j, c := range r.Clouds {
			if c != auth.AllClouds && !slices.Contains(names, c) {
				return &Error{Key: fmt.Sprintf("%s.clouds[%d]", path, j), Line: rf["clouds"].Content[j].Line, Msg: fmt.Sprintf("unknown cloud %q: use a name under clouds or \"*\"", c)}
			}
		}
		role, err := scalar(rf, path, "role")
		if err != nil {
			return err
		}
		if role == "" {
			return &Error{Key: path + ".role", Line: rn.Line, Msg: "required: viewer, operator or admin"}
		}
		var known bool
		if r.Role, known = auth.ParseRole(role); !known {
			return &Error{Key: path + ".role", Line: rf["role"].Line, Msg: fmt.Sprintf("unknown role %q: use viewer, operator or admin", role)}
		}
		f.Policy = append(f.Policy, r)
	}
	return nil
}

func parseTLS(n *yaml.Node) (*TLS, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Key: "tls", Line: n.Line, Msg: "must be a mapping with cert_file and key_file"}
	}
	fields, err := mapping(n, "tls", []string{"cert_file", "key_file", "client_ca_file"})
	if err != nil {
		return nil, err
	}
	t := &TLS{}
	if err := scalars(fields, "tls", stringKey{"cert_file", &t.CertFile}, stringKey{"key_file", &t.KeyFile}, stringKey{"client_ca_file", &t.ClientCAFile}); err != nil {
		return nil, err
	}
	if t.CertFile == "" || t.KeyFile == "" {
		missing := "tls.cert_file"
		if t.CertFile != "" {
			missing = "tls.key_file"
		}
		return nil, &Error{Key: missing, Line: n.Line, Msg: "required: tls needs both cert_file and key_file (PEM files)"}
	}
	return t, nil
}

func parseAuth(n *yaml.Node) (*Auth, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &Error{Key: "auth", Line: n.Line, Msg: "must be a mapping with jwt and/or allow_unauthenticated"}
	}
	fields, err := mapping(n, "auth", []string{"jwt", "allow_unauthenticated"})
	if err != nil {
		return nil, err
	}
	a := &Auth{}
	if v, ok := fields["allow_unauthenticated"]; ok {
		if v.Kind != yaml.ScalarNode || v.Decode(&a.AllowUnauthenticated) != nil {
			return nil, &Error{Key: "auth.allow_unauthenticated", Line: v.Line, Msg: "must be true or false"}
		}
	}
	jn, ok := fields["jwt"]
	if !ok {
		return a, nil
	}
	if jn.Kind != yaml.MappingNode {
		return nil, &Error{Key: "auth.jwt", Line: jn.Line, Msg: "must be a mapping with issuer and audience"}
	}
	jf, err := mapping(jn, "auth.jwt", []string{"issuer", "audience", "jwks_file", "jwks_url", "groups_claim"})
	if err != nil {
		return nil, err
	}
	j := &JWT{}
	if err := scalars(jf, "auth.jwt", stringKey{"issuer", &j.Issuer}, stringKey{"audience", &j.Audience}, stringKey{"jwks_file", &j.JWKSFile},
		stringKey{"jwks_url", &j.JWKSURL}, stringKey{"groups_claim", &j.GroupsClaim}); err != nil {
		return nil, err
	}
	for _, k := range []string{"issuer", "audience"} {
		if v, _ := scalar(jf, "auth.jwt", k); v == "" {
			return nil, &Error{Key: "auth.jwt." + k, Line: jn.Line, Msg: "required: the token's " + map[string]string{"issuer": "iss", "audience": "aud"}[k] + " must match it"}
		}
	}
	if j.JWKSFile != "" && j.JWKSURL != "" {
		return nil, &Error{Key: "auth.jwt.jwks_url", Line: jf["jwks_url"].Line, Msg: "give only one of jwks_file, jwks_url (or neither, for OIDC discovery at the issuer)"}
	}
	for _, k := range []string{"jwks_url", "issuer"} {
		v, _ := scalar(jf, "auth.jwt", k)
		if v == "" || (k == "issuer" && (j.JWKSFile != "" || j.JWKSURL != "")) {
			continue // an issuer is any string unless discovery needs its URL
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &Error{Key: "auth.jwt." + k, Line: jf[k].Line, Msg: fmt.Sprintf("%q is not an http(s) URL", v)}
		}
	}
	a.JWT = j
	return a, nil
}
