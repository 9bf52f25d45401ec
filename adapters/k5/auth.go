package k5

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/tokensource"
)

// session is what a login yields besides the token: the compute endpoint
// every call of that token goes to (base URL ending in "/").
type session struct {
	compute string
	// catalogCompute: compute came from the catalog, not the config, so
	// it must pass the endpoint policy before it gets the token.
	catalogCompute bool
	// blockStorage is the catalog's public "blockstoragev2" endpoint (guide
	// Part 2 section 2.1.1), ending in "/"; "" when the catalog has none.
	blockStorage string
}

// fetchToken logs in with Keystone v3 password authentication scoped to the
// project: POST {identity}/v3/auth/tokens. The token is the X-Subject-Token
// response header, its expiry the body's token.expires_at, and (unless
// configured) the compute endpoint the catalog's public "compute" endpoint.
// tokensource calls it single-flight and backs off after a rejection.
func (a *Adapter) fetchToken(ctx context.Context) (tokensource.Token, error) {
	a.log.DebugContext(ctx, "k5: requesting a token", "user", a.cfg.Username, "project", a.cfg.ProjectID)
	res := tokens.Create(ctx, a.identity, &tokens.AuthOptions{
		Username:   a.cfg.Username,
		Password:   a.cfg.Password,
		DomainName: a.cfg.DomainName,
		Scope:      tokens.Scope{ProjectID: a.cfg.ProjectID},
	})
	if res.Err != nil {
		return tokensource.Token{}, a.identityError(ctx, res.Err)
	}
	value, err := res.ExtractTokenID()
	if err != nil || value == "" {
		return tokensource.Token{}, &driver.Error{Code: driver.CodeUnavailable,
			Message: fmt.Sprintf("k5 cloud %q: K5 identity answered without an X-Subject-Token header", a.cfg.Name)}
	}
	tok, err := res.ExtractToken()
	if err != nil {
		return tokensource.Token{}, &driver.Error{Code: driver.CodeUnavailable,
			Message: fmt.Sprintf("k5 cloud %q: K5 identity answered with a malformed token body", a.cfg.Name), Err: err}
	}
	compute, err := a.computeEndpoint(res)
	if err != nil {
		return tokensource.Token{}, err
	}
	a.log.InfoContext(ctx, "k5: logged in", "expires", tok.ExpiresAt, "compute_endpoint", compute)
	return tokensource.Token{Value: value, Expires: tok.ExpiresAt,
		Catalog: session{compute: compute, catalogCompute: a.cfg.ComputeEndpoint == "",
			blockStorage: a.catalogURL(res, "blockstoragev2")}}, nil
}

// computeEndpoint is the configured ComputeEndpoint (a host with
// /v2/{project_id} under it, or already ending in it), else the token
// catalog's public compute endpoint.
func (a *Adapter) computeEndpoint(res tokens.CreateResult) (string, error) {
	if ep := strings.TrimRight(a.cfg.ComputeEndpoint, "/"); ep != "" {
		suffix := "/v2/" + a.cfg.ProjectID
		if !strings.HasSuffix(ep, suffix) {
			ep += suffix
		}
		return ep + "/", nil
	}
	catalog, err := res.ExtractServiceCatalog()
	if err == nil {
		var url string
		// Version 0: no version discovery, so no request is made.
		url, err = openstack.V3Endpoint(context.Background(), nil, catalog, gophercloud.EndpointOpts{
			Type: "compute", Availability: gophercloud.AvailabilityPublic, Region: a.cfg.Region,
		})
		if err == nil {
			return url, nil // NormalizeURL: ends in "/"
		}
	}
	return "", &driver.Error{
		Code: driver.CodeFailedPrecondition,
		Message: fmt.Sprintf("k5 cloud %q: the K5 token's service catalog has no public compute endpoint%s; "+
			"set compute_endpoint in the cloud's config", a.cfg.Name, regionHint(a.cfg.Region)),
		Err: err,
	}
}

// identityError classifies a failed login. A 401 (or 403) is a rejected
// password: CodeCredentialsRejected, which tokensource backs off from; the
// message says so because K5 locks the account after 5 failures in 15
// minutes. It never includes the password or any token.
func (a *Adapter) identityError(ctx context.Context, err error) *driver.Error {
	ue, ok := errorsAsUnexpected(err)
	if !ok {
		return a.classify(ctx, "K5 login", err)
	}
	f := nova.ParseFault(ue.Body)
	if ue.Actual == http.StatusUnauthorized || ue.Actual == http.StatusForbidden {
		return &driver.Error{
			Code:   driver.CodeCredentialsRejected,
			Reason: "BACKEND_CREDENTIALS_REJECTED",
			Message: fmt.Sprintf("k5 cloud %q: K5 identity rejected the credentials of user %q in domain (contract) %q for project %q; "+
				"the gateway backs off and will not try this password again for a while, because K5 locks an account "+
				"after 5 failed password attempts in 15 minutes; fix the cloud's password",
				a.cfg.Name, a.cfg.Username, a.cfg.DomainName, a.cfg.ProjectID),
			VendorHTTPStatus: ue.Actual,
			VendorCode:       f.Name,
			VendorMessage:    f.Message,
		}
	}
	e := a.statusError("K5 login", ue)
	return e
}

// catalogURL is the catalog's public endpoint of type typ in the
// configured region, ending in "/"; "" when there is none.
func (a *Adapter) catalogURL(res tokens.CreateResult, typ string) string {
	catalog, err := res.ExtractServiceCatalog()
	if err != nil {
		return ""
	}
	// Version 0: no version discovery, so no request is made.
	u, err := openstack.V3Endpoint(context.Background(), nil, catalog, gophercloud.EndpointOpts{
		Type: typ, Availability: gophercloud.AvailabilityPublic, Region: a.cfg.Region,
	})
	if err != nil {
		return ""
	}
	return u
}

func regionHint(region string) string {
	if region == "" {
		return ""
	}
	return fmt.Sprintf(" in region %q", region)
}
