package deploy_test

import (
	"crypto/tls"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/internal/auth/authtest"
	"github.com/computegw/computegw/internal/config"
)

// Caller security in the deployments: what the manifests' TLS and auth
// sections need to be tried for real.

var (
	tlsOnce     sync.Once
	tlsCA       *authtest.CA
	tlsPairs    = map[string][2]string{}
	tlsPairsMu  sync.Mutex
	deployIdPMu sync.Mutex
)

// realisticSecret is a Secret value the gateway parses, where a stand-in
// string would not load: a certificate and its key (tls.crt, tls.key, from
// one generated pair per Secret) and a CA bundle (ca.crt).
func realisticSecret(secret, key string) (string, bool) {
	tlsOnce.Do(func() { tlsCA = authtest.NewCA("deploy test CA") })
	switch key {
	case "tls.crt", "tls.key":
		tlsPairsMu.Lock()
		defer tlsPairsMu.Unlock()
		p, ok := tlsPairs[secret]
		if !ok {
			c, k := tlsCA.Server("localhost")
			p = [2]string{string(c), string(k)}
			tlsPairs[secret] = p
		}
		if key == "tls.crt" {
			return p[0], true
		}
		return p[1], true
	case "ca.crt":
		return string(tlsCA.PEM), true
	}
	return "", false
}

// localIssuer points the config copy's auth.jwt.issuer (whose keys come
// from OIDC discovery) at an identity provider served by the test, the way
// the copy's files point under root: the container's config then starts
// with its key set loaded, and the test can mint tokens it accepts.
func localIssuer(t *testing.T, doc *yaml.Node, lines []string) *authtest.Provider {
	t.Helper()
	var issuer *yaml.Node
	walkMappings(doc, "", func(path string, _, v *yaml.Node) {
		if path == ".auth.jwt.issuer" {
			issuer = v
		}
	})
	if issuer == nil {
		return nil
	}
	deployIdPMu.Lock()
	defer deployIdPMu.Unlock()
	p := authtest.NewProvider("", "")
	srv := p.Serve()
	t.Cleanup(srv.Close)
	lines[issuer.Line-1] = strings.Replace(lines[issuer.Line-1], issuer.Value, p.Issuer, 1)
	return p
}

// probeClient is how kubelet probes: HTTPS without verifying the
// certificate when the gateway serves TLS.
func probeClient(file *config.File) (*http.Client, string) {
	if file.TLS == nil {
		return &http.Client{Timeout: 5 * time.Second}, "http"
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, "https"
}

// checkCallerSecurity: a deployment reachable from outside its host must
// authenticate callers, and its policy must let somebody in. A call
// without credentials is refused 401; a token of the policy's first
// user or group principal, minted by the test's identity provider, lists
// the clouds.
func checkCallerSecurity(t *testing.T, file *config.File, idp *authtest.Provider, httpAddr string) {
	t.Helper()
	if !file.Guarded() {
		t.Errorf("the config has no auth section (nor client certificates): anyone who reaches the Service could change every cloud")
		return
	}
	client, scheme := probeClient(file)
	url := scheme + "://" + httpAddr + "/v1/clouds"
	res, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET /v1/clouds: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v1/clouds without credentials: %s, want 401", res.Status)
	}
	if idp == nil || file.Auth == nil || file.Auth.JWT == nil {
		return
	}
	idp.Audience = file.Auth.JWT.Audience
	var sub string
	var groups []string
	for _, r := range file.Policy {
		for _, p := range r.Principals {
			if g, ok := strings.CutPrefix(p, "group:"); ok && sub == "" {
				sub, groups = "deploy-test", []string{g}
			} else if u, ok := strings.CutPrefix(p, "user:"); ok && sub == "" {
				sub = u
			}
		}
	}
	if sub == "" {
		t.Errorf("the policy grants no user: or group: principal a role")
		return
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+idp.Token(sub, groups...))
	res, err = client.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/clouds with a token: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/clouds with a token for %s %v: %s, want 200", sub, groups, res.Status)
	}
}
