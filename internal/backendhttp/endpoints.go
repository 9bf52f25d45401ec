package backendhttp

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/computegw/computegw/driver"
)

// EndpointPolicy decides which endpoints named by a login's service catalog
// may receive the cloud's token. A catalog is data from the network: a
// wrong or hostile one must not send X-Auth-Token to whatever host it
// names. An endpoint is trusted when it is https (plain http only when the
// configured identity endpoint is itself http, as in tests and labs) and
// its host is the identity endpoint's host or matches allowed_endpoint_hosts.
type EndpointPolicy struct {
	cloud        string
	identityHost string // host[:port] of the identity endpoint, lower case
	allowHTTP    bool
	allowed      []allowedHost

	// trusted remembers endpoints that passed Check (the policy never
	// changes, and a catalog names a handful), so that the check every
	// backend call makes is one lookup instead of a URL parse; at most
	// maxTrusted of them.
	trusted  sync.Map // string -> struct{}
	nTrusted atomic.Int32
}

const maxTrusted = 64

// allowedHost is one allowed_endpoint_hosts entry: a host with an optional
// port, or a domain suffix (".example.com" for "*.example.com").
type allowedHost struct{ host, port, suffix string }

// NewEndpointPolicy checks the allowed_endpoint_hosts entries: each is a
// host name or IP, optionally with ":port", or "*.domain" for any host under
// domain.
func NewEndpointPolicy(cloud, identityEndpoint string, allowed []string) (*EndpointPolicy, error) {
	u, err := url.Parse(identityEndpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("identity_endpoint %q is not an absolute URL", identityEndpoint)
	}
	p := &EndpointPolicy{cloud: cloud, identityHost: hostPort(u), allowHTTP: u.Scheme == "http"}
	for i, h := range allowed {
		h = strings.ToLower(strings.TrimSpace(h))
		var a allowedHost
		if d, ok := strings.CutPrefix(h, "*."); ok {
			a.suffix, h = "."+d, d
		} else if hh, port, err := net.SplitHostPort(h); err == nil {
			a.host, a.port, h = hh, port, hh
		} else {
			a.host = strings.Trim(h, "[]")
			h = a.host
		}
		if h == "" || strings.ContainsAny(h, "/?#@*[] ") {
			return nil, fmt.Errorf("allowed_endpoint_hosts[%d]: %q is not a host name, host:port or *.domain", i, allowed[i])
		}
		p.allowed = append(p.allowed, a)
	}
	return p, nil
}

// hostPort is u's host and port (the scheme's default port when none),
// lower case.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

// Check returns nil when raw (an endpoint of service from the catalog) may
// receive the token, else a FAILED_PRECONDITION error naming the host and
// the config key that allows it.
func (p *EndpointPolicy) Check(service, raw string) error {
	if _, ok := p.trusted.Load(raw); ok {
		return nil
	}
	err := p.check(service, raw)
	if err == nil && p.nTrusted.Load() < maxTrusted {
		if _, had := p.trusted.LoadOrStore(raw, struct{}{}); !had {
			p.nTrusted.Add(1)
		}
	}
	return err
}

func (p *EndpointPolicy) check(service, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return p.refuse(service, raw, "is not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.allowHTTP:
	default:
		return p.refuse(service, u.Host, "is not https (the token only travels over https unless identity_endpoint is http)")
	}
	hp := hostPort(u)
	if hp == p.identityHost {
		return nil
	}
	name := strings.ToLower(u.Hostname())
	_, port, _ := net.SplitHostPort(hp)
	for _, a := range p.allowed {
		switch {
		case a.suffix != "":
			if strings.HasSuffix(name, a.suffix) {
				return nil
			}
		case name == a.host && (a.port == "" || a.port == port):
			return nil
		}
	}
	return p.refuse(service, u.Host, fmt.Sprintf("is neither the identity endpoint's host (%s) nor listed in allowed_endpoint_hosts", p.identityHost))
}

func (p *EndpointPolicy) refuse(service, host, why string) error {
	return &driver.Error{
		Code:   driver.CodeFailedPrecondition,
		Reason: "BACKEND_ENDPOINT_NOT_ALLOWED",
		Message: fmt.Sprintf("cloud %s: the service catalog's %s endpoint host %s %s; the token is not sent there. "+
			"Add the host to the cloud's allowed_endpoint_hosts (or set the endpoint in the config) if it is the vendor's",
			p.cloud, service, host, why),
	}
}
