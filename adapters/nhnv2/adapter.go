// Package nhnv2 is computegw's adapter for the NHN Cloud Instance API v2
// (Nova-derived, Keystone v2.0 tokens). It is for the gateway's wiring code
// (cmd/gateway, internal/gateway), which builds one Adapter per configured
// nhnv2 cloud, and for maintainers of the dialect.
//
// The adapter is built on gophercloud/v2 (identity v2 tokens, servers,
// keypairs, volumeattach, availabilityzones, flavors, secgroups) and extends
// it where NHN differs; see README.md. Tokens come from
// internal/tokensource: one per cloud, shared by concurrent callers,
// refreshed before expiry, and re-obtained once when the backend answers 401.
package nhnv2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/tokensource"
)

// Config configures one nhnv2 cloud.
type Config struct {
	// Name is the cloud's name, used in messages and logs.
	Name string `dialect:"name"`
	// IdentityEndpoint is the Keystone base URL; tokens are requested from
	// IdentityEndpoint + "/v2.0/tokens" (a trailing "/v2.0" is accepted).
	IdentityEndpoint string `yaml:"identity_endpoint" check:"required,url"`
	// ComputeEndpoint is the Instance API base URL; calls go to
	// ComputeEndpoint + "/v2/{TenantID}/...". Optional: when empty, the
	// token's service catalog entry of type "compute" is used.
	ComputeEndpoint string `yaml:"compute_endpoint" check:"url"`
	// Region picks the catalog's compute endpoint when the catalog lists
	// several (e.g. "KR1"). Optional: empty takes the first.
	Region string `yaml:"region"`
	// AllowedEndpointHosts lists the hosts (host, host:port or *.domain)
	// besides the identity endpoint's that catalog endpoints may name: the
	// token is sent to no other host (see backendhttp.EndpointPolicy).
	AllowedEndpointHosts []string `yaml:"allowed_endpoint_hosts" item:"a host name"`
	// TenantID, Username and Password are the Keystone v2.0 credentials.
	TenantID string `yaml:"tenant_id" check:"required"`
	Username string `yaml:"username" check:"required"`
	Password string `dialect:"secret"`

	// HTTPClient is the client for backend calls; nil uses
	// backendhttp.NewClient().
	HTTPClient *http.Client `dialect:"http_client"`
	// Logger receives debug and warning logs; nil discards them. The caller
	// adds the cloud and dialect attributes it wants.
	Logger *slog.Logger `dialect:"logger"`
	// LoginGate, when set, shares logins and the back-off after a rejected
	// password with the other gateway replicas (tokensource.Options.Gate).
	LoginGate state.LoginGate `dialect:"login_gate"`
	// Now is the clock (token expiry); nil uses time.Now.
	Now func() time.Time
}

// Adapter talks to one NHN Cloud tenant. It is safe for concurrent use.
type Adapter struct {
	cfg         Config
	http        *http.Client
	log         *slog.Logger
	identityURL string // ends with "/v2.0/"
	computeURL  string // from config, ends with "/v2/{tenant}/"; empty: catalog
	tokens      *tokensource.Source
	secrets     *redact.Set // the password and recent tokens, masked in every error and log
	endpoints   *backendhttp.EndpointPolicy
	compute     atomic.Pointer[computeClient] // the last token's compute client
	userAgent   []string                      // gophercloud's User-Agent header, as computeClient's sends it
}

// Compile-time checks of the optional interfaces nhnv2 supports. It does not
// implement driver.ResizeConfirmer (NHN confirms resizes itself),
// driver.Rebuilder or driver.FloatingIPManager (no such calls in the guide).
var (
	_ driver.Adapter              = (*Adapter)(nil)
	_ driver.KeyPairManager       = (*Adapter)(nil)
	_ driver.VolumeAttacher       = (*Adapter)(nil)
	_ driver.InstanceRenamer      = (*Adapter)(nil)
	_ driver.Shelver              = (*Adapter)(nil)
	_ driver.ImageCreator         = (*Adapter)(nil)
	_ driver.SecurityGroupManager = (*Adapter)(nil)
)

// New validates cfg and returns an Adapter. It makes no network call: the
// first backend call logs in.
func New(cfg Config) (*Adapter, error) {
	name := cfg.Name
	if name == "" {
		name = "(unnamed)"
	}
	missing := func(field string) error {
		return fmt.Errorf("nhnv2 cloud %s: config field %s is required", name, field)
	}
	switch {
	case strings.TrimSpace(cfg.IdentityEndpoint) == "":
		return nil, missing("IdentityEndpoint (identity_endpoint)")
	case strings.TrimSpace(cfg.TenantID) == "":
		return nil, missing("TenantID (tenant_id)")
	case cfg.Username == "":
		return nil, missing("Username (username)")
	case cfg.Password == "":
		return nil, missing("Password (password)")
	}
	idURL, err := baseURL(cfg.IdentityEndpoint)
	if err != nil {
		return nil, fmt.Errorf("nhnv2 cloud %s: config field IdentityEndpoint (identity_endpoint): %v", name, err)
	}
	a := &Adapter{cfg: cfg}
	if a.endpoints, err = backendhttp.NewEndpointPolicy(name, idURL, cfg.AllowedEndpointHosts); err != nil {
		return nil, fmt.Errorf("nhnv2 cloud %s: %v", name, err)
	}
	a.identityURL = withSuffix(idURL, "/v2.0") + "/"
	if cfg.ComputeEndpoint != "" {
		cu, err := baseURL(cfg.ComputeEndpoint)
		if err != nil {
			return nil, fmt.Errorf("nhnv2 cloud %s: config field ComputeEndpoint (compute_endpoint): %v", name, err)
		}
		a.computeURL = computeBase(cu, cfg.TenantID)
	}
	b := dialect.NewBackend(cfg.HTTPClient, cfg.Logger, cfg.Now, cfg.Password)
	a.http, a.log, a.secrets, a.cfg.Now = b.Client, b.Log, b.Secrets, b.Now
	a.userAgent = []string{a.provider(tokensource.Token{}).UserAgent.Join()}
	a.tokens = b.Tokens(a.fetchToken, tokensource.Options{Gate: cfg.LoginGate})
	return a, nil
}

// baseURL checks that raw is an absolute http(s) URL and returns it without
// a trailing slash, query or fragment.
func baseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("must be an absolute http or https URL")
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// withSuffix appends suffix unless base already ends with it.
func withSuffix(base, suffix string) string {
	if strings.HasSuffix(base, suffix) {
		return base
	}
	return base + suffix
}

// computeBase turns an Instance API URL (with or without "/v2" or
// "/v2/{tenant}") into the resource base "…/v2/{tenant}/".
func computeBase(u, tenant string) string {
	u = strings.TrimRight(u, "/")
	switch {
	case strings.HasSuffix(u, "/v2/"+tenant):
	case strings.HasSuffix(u, "/v2"):
		u += "/" + tenant
	default:
		u += "/v2/" + tenant
	}
	return u + "/"
}

// Dialect reports Name.
func (a *Adapter) Dialect() driver.Dialect { return Name }

// Close releases idle connections.
func (a *Adapter) Close() error {
	a.http.CloseIdleConnections()
	return nil
}

// TokenFetches reports how many logins the adapter has started (metrics and
// tests).
func (a *Adapter) TokenFetches() int { return a.tokens.Fetches() }

// call runs fn with a compute ServiceClient carrying the cloud's current
// token. gophercloud's own re-authentication is not used (no ReauthFunc):
// a 401 is handed back to tokensource.Do, which invalidates that token
// once for all callers, logs in again (single flight) and runs fn once more.
// The error is classified for op.
func (a *Adapter) call(ctx context.Context, op string, fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	return a.callWith(ctx, op, a.computeClient, fn)
}

// callWith is call with the service client client builds for a token (or
// refuses to: no such service in the catalog, an endpoint the policy
// forbids).
func (a *Adapter) callWith(ctx context.Context, op string, client func(tokensource.Token) (*gophercloud.ServiceClient, error),
	fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	err := a.tokens.Do(ctx, isUnauthorized, func(ctx context.Context, tok tokensource.Token) error {
		sc, err := client(tok)
		if err != nil {
			return err
		}
		return fn(ctx, sc)
	})
	return a.secrets.Error(a.classify(ctx, op, err))
}

// computeClient returns the compute ServiceClient for tok: built once per
// token and endpoint and shared by the calls that use them (it is read-only
// once built; the *http.Client and its connections are shared too).
func (a *Adapter) computeClient(tok tokensource.Token) (*gophercloud.ServiceClient, error) {
	endpoint, err := a.computeEndpoint(tok)
	if err != nil {
		return nil, err
	}
	if c := a.compute.Load(); c != nil && c.token == tok.Value && c.endpoint == endpoint {
		return c.sc, nil
	}
	sc := &gophercloud.ServiceClient{ProviderClient: a.provider(tok), Endpoint: endpoint}
	a.compute.Store(&computeClient{token: tok.Value, endpoint: endpoint, sc: sc})
	return sc, nil
}

// computeClient is the compute ServiceClient of one token and endpoint.
type computeClient struct {
	token, endpoint string
	sc              *gophercloud.ServiceClient
}

// computeEndpoint is the compute base URL ("…/v2/{tenant}/") calls with tok
// go to: the configured one, or the token's catalog entry once the endpoint
// policy trusts it.
func (a *Adapter) computeEndpoint(tok tokensource.Token) (string, error) {
	if a.computeURL != "" {
		return a.computeURL, nil
	}
	sess, _ := tok.Catalog.(*session)
	if sess == nil || sess.computeURL == "" {
		return "", &driver.Error{Code: driver.CodeFailedPrecondition,
			Message: "NHN Cloud token has no compute endpoint in its service catalog; set compute_endpoint"}
	}
	if err := a.endpoints.Check("compute", sess.computeURL); err != nil {
		return "", err
	}
	return sess.computeURL, nil
}

// provider is a ProviderClient carrying tok (no I/O; the *http.Client and
// its connections are shared).
func (a *Adapter) provider(tok tokensource.Token) *gophercloud.ProviderClient {
	pc := &gophercloud.ProviderClient{HTTPClient: *a.http, TokenID: tok.Value}
	pc.UserAgent.Prepend(userAgentPrefix)
	return pc
}

// userAgentPrefix is prepended to gophercloud's User-Agent.
const userAgentPrefix = "computegw-nhnv2"

// getJSON is a GET of the compute path (escaped by the caller) with tok,
// sent with the shared client as gophercloud's ServiceClient.Get sends it
// (Accept, User-Agent, X-Auth-Token; an unexpected status is a
// gophercloud.ErrUnexpectedResponseCode with the answer's body and
// headers, so classification and the 401 retry see what they always did)
// but without building a request through gophercloud's options, and
// decoded once into out.
func (a *Adapter) getJSON(ctx context.Context, tok tokensource.Token, path string, ok []int, out any) error {
	endpoint, err := a.computeEndpoint(tok)
	if err != nil {
		return err
	}
	url := endpoint + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = http.Header{"Accept": {"application/json"}, "User-Agent": a.userAgent}
	if tok.Value != "" {
		req.Header["X-Auth-Token"] = []string{tok.Value}
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !slices.Contains(ok, resp.StatusCode) {
		body, _ := io.ReadAll(resp.Body)
		return gophercloud.ErrUnexpectedResponseCode{URL: url, Method: http.MethodGet, Expected: ok,
			Actual: resp.StatusCode, Body: body, ResponseHeader: resp.Header}
	}
	raw, err := backendhttp.ReadBody(resp, backendhttp.MaxAnswer)
	if err != nil {
		return err
	}
	if json.Unmarshal(raw, out) == nil {
		return nil
	}
	// What gophercloud's decoder accepts or refuses (trailing data after
	// the value, its error for a malformed one), on the rare bad answer.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(out)
}

// esc escapes one path segment (IDs and key pair names come from callers).
func esc(s string) string { return driver.PathSegment(s) }
