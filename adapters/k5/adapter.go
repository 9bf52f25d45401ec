// Package k5 is computegw's adapter for the Fujitsu Cloud Service K5 IaaS
// compute API (the "k5" dialect). It is for the gateway, which wires one
// Adapter per configured k5 cloud, and for the conformance suite.
//
// The adapter is built on gophercloud/v2 (Keystone v3 tokens, Nova servers,
// actions, key pairs, volume attachments, flavors, availability zones) and
// extends it where K5 differs from upstream OpenStack; see README.md. Tokens
// come from internal/tokensource, so logins are cached, single-flight,
// re-done once on a 401 and backed off after a rejected password (K5 locks
// an account after 5 failed password attempts in 15 minutes).
package k5

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/tokensource"
)

// K5 locks an account after 5 failed password attempts in 15 minutes. After
// a rejected password the adapter waits rejectBackoff before the next
// attempt, doubling up to maxRejectBackoff: attempts at 0, 5, 15, 30, 45 …
// minutes, so at most 3 fall into any 15-minute window and 2 are left for
// people (or another gateway replica) using the same account. tokensource's
// own defaults (1 minute doubling) would allow 5 (0, 1, 3, 7, 15).
const (
	rejectBackoff    = 5 * time.Minute
	maxRejectBackoff = 15 * time.Minute
)

// Config is one k5 cloud.
type Config struct {
	// Name is the cloud name, used in messages.
	Name string `dialect:"name"`
	// IdentityEndpoint is K5's identity service; Keystone v3 lives at
	// /v3/auth/tokens under it.
	IdentityEndpoint string `yaml:"identity_endpoint" check:"required,url"`
	// ComputeEndpoint is optional: the compute host, with /v2/{ProjectID}
	// under it. Empty: taken from the token's service catalog (type
	// "compute", interface "public").
	ComputeEndpoint string `yaml:"compute_endpoint" check:"url"`
	// AllowedEndpointHosts lists the hosts (host, host:port or *.domain)
	// besides the identity endpoint's that catalog endpoints may name: the
	// token is sent to no other host (see backendhttp.EndpointPolicy).
	AllowedEndpointHosts []string `yaml:"allowed_endpoint_hosts" item:"a host name"`
	// Region picks the catalog's public compute endpoint when the catalog
	// lists several regions (e.g. "uk-1"). Optional: empty takes the first.
	Region string `yaml:"region"`
	// DomainName is the K5 contract number (the user's domain).
	DomainName string `yaml:"domain_name" check:"required"`
	// ProjectID scopes the token; it is also the {tenant_id} of compute URLs.
	ProjectID string `yaml:"project_id" check:"required"`
	Username  string `yaml:"username" check:"required"`
	Password  string `dialect:"secret"`
	// Zones is the static zone list, answered by ListZones when K5 does not
	// list zones (404 on os-availability-zone).
	Zones []string `dialect:"zones"`

	// HTTPClient is the client for every backend call; nil uses
	// backendhttp.NewClient().
	HTTPClient *http.Client `dialect:"http_client"`
	// Logger receives debug and info logs; nil discards them.
	Logger *slog.Logger `dialect:"logger"`
	// LoginGate, when set, shares logins and the back-off after a rejected
	// password with the other gateway replicas (tokensource.Options.Gate);
	// a Gate set in TokenOptions takes precedence.
	LoginGate state.LoginGate `dialect:"login_gate"`
	// Now is the clock (token expiry); nil uses time.Now.
	Now func() time.Time

	// TokenOptions tune the token cache (skew, reject back-off). Zero values
	// pick internal/tokensource's defaults, except the reject back-off,
	// which defaults to K5's safe 5 minutes doubling to 15 (see
	// rejectBackoff), and the gate, which defaults to LoginGate; Now is
	// taken from Now above.
	TokenOptions tokensource.Options
}

// Adapter talks to one K5 cloud. It is safe for concurrent use.
type Adapter struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	client   *http.Client
	provider *gophercloud.ProviderClient // shared and token-less: tokens travel per call
	identity *gophercloud.ServiceClient
	tokens   *tokensource.Source
	secrets  *redact.Set // the password and recent tokens, masked in every error and log
	// endpoints says which catalog endpoints may receive the token.
	endpoints *backendhttp.EndpointPolicy
	// snaps keeps recent server lists for paging (listsnap.go).
	snaps *snapshots
}

// Compile-time checks of the interfaces the k5 dialect implements. K5 has
// no createImage, security-group or floating-IP actions in its guide, so
// ImageCreator, SecurityGroupManager and FloatingIPManager are absent on
// purpose (the portable layer answers UNIMPLEMENTED).
var (
	_ driver.Adapter         = (*Adapter)(nil)
	_ driver.KeyPairManager  = (*Adapter)(nil)
	_ driver.VolumeAttacher  = (*Adapter)(nil)
	_ driver.InstanceRenamer = (*Adapter)(nil)
	_ driver.ResizeConfirmer = (*Adapter)(nil)
	_ driver.Shelver         = (*Adapter)(nil)
	_ driver.Rebuilder       = (*Adapter)(nil)
)

// New validates cfg and returns an Adapter. It makes no network call: the
// first backend call logs in.
func New(cfg Config) (*Adapter, error) {
	missing := func(field string) error {
		return driver.Errorf(driver.CodeInvalidArgument, "k5 cloud %q: config field %s is required", cfg.Name, field)
	}
	switch {
	case cfg.IdentityEndpoint == "":
		return nil, missing("IdentityEndpoint (identity_endpoint)")
	case cfg.DomainName == "":
		return nil, missing("DomainName (domain_name, the K5 contract number)")
	case cfg.ProjectID == "":
		return nil, missing("ProjectID (project_id)")
	case cfg.Username == "":
		return nil, missing("Username (username)")
	case cfg.Password == "":
		return nil, missing("Password (password_env, password_file or password)")
	}
	for field, raw := range map[string]string{"IdentityEndpoint": cfg.IdentityEndpoint, "ComputeEndpoint": cfg.ComputeEndpoint} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, driver.Errorf(driver.CodeInvalidArgument, "k5 cloud %q: config field %s must be an http(s) URL, got %q", cfg.Name, field, raw)
		}
	}
	a := &Adapter{cfg: cfg, snaps: newSnapshots(cfg.Now)}
	var err error
	if a.endpoints, err = backendhttp.NewEndpointPolicy(cfg.Name, cfg.IdentityEndpoint, cfg.AllowedEndpointHosts); err != nil {
		return nil, driver.Errorf(driver.CodeInvalidArgument, "k5 cloud %q: %v", cfg.Name, err)
	}
	b := dialect.NewBackend(cfg.HTTPClient, cfg.Logger, cfg.Now, cfg.Password)
	a.log, a.secrets, a.now, a.client = b.Log, b.Secrets, b.Now, b.Client
	a.provider = &gophercloud.ProviderClient{HTTPClient: *a.client}
	a.provider.HTTPClient.Transport = nonAuthoritativeOK{base: a.client.Transport}
	a.provider.UserAgent.Prepend("computegw-k5")
	a.identity = &gophercloud.ServiceClient{
		ProviderClient: a.provider,
		Endpoint:       strings.TrimRight(cfg.IdentityEndpoint, "/") + "/v3/",
	}
	topt := cfg.TokenOptions
	if topt.Gate == nil {
		topt.Gate = cfg.LoginGate
	}
	if topt.RejectBackoff <= 0 {
		topt.RejectBackoff = rejectBackoff
	}
	if topt.MaxRejectBackoff <= 0 {
		topt.MaxRejectBackoff = maxRejectBackoff
	}
	a.tokens = b.Tokens(a.fetchToken, topt)
	return a, nil
}

// Dialect reports Name.
func (a *Adapter) Dialect() driver.Dialect { return Name }

// Close releases idle connections.
func (a *Adapter) Close() error {
	a.client.CloseIdleConnections()
	return nil
}

// TokenFetches reports how many logins the adapter has started (tests,
// metrics).
func (a *Adapter) TokenFetches() int { return a.tokens.Fetches() }

// nonAuthoritativeOK reports a 203 (Non-Authoritative Information) answer
// to a GET as 200. K5 documents 203 beside 200 as a normal answer to its
// server and image reads (guide 1.2.6.1, 1.2.6.3, 1.2.6.12), but
// gophercloud's pager accepts only 200, 204 and 300, so a 203 server list
// would fail. The body is the same either way.
type nonAuthoritativeOK struct {
	base http.RoundTripper // nil: http.DefaultTransport
}

func (t nonAuthoritativeOK) RoundTrip(r *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err == nil && r.Method == http.MethodGet && resp.StatusCode == http.StatusNonAuthoritativeInfo {
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	}
	return resp, err
}
