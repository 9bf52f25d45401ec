package nhnv2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v2/tokens"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/novajson"
	"github.com/computegw/computegw/internal/tokensource"
)

// session is what the adapter keeps from a login besides the token itself
// (tokensource.Token.Catalog).
type session struct {
	computeURL string // "…/v2/{tenant}/" from the service catalog; "" if absent
	// catalog is the whole service catalog: the image, network and
	// block-storage endpoints of the discovery calls (discovery.go).
	catalog []tokens.CatalogEntry
}

// tokenResponse is the part of the Keystone v2.0 answer the adapter reads.
type tokenResponse struct {
	Access struct {
		Token struct {
			ID      string `json:"id"`
			Expires string `json:"expires"`
		} `json:"token"`
		ServiceCatalog []tokens.CatalogEntry `json:"serviceCatalog"`
	} `json:"access"`
}

// fetchToken logs in: POST {identity}/v2.0/tokens with
// {"auth":{"tenantId":T,"passwordCredentials":{"username":U,"password":P}}},
// built by gophercloud's identity/v2/tokens. It is the tokensource.FetchFunc.
func (a *Adapter) fetchToken(ctx context.Context) (tokensource.Token, error) {
	pc := &gophercloud.ProviderClient{HTTPClient: *a.http}
	pc.UserAgent.Prepend("computegw-nhnv2")
	sc := &gophercloud.ServiceClient{ProviderClient: pc, Endpoint: a.identityURL}
	res := tokens.Create(ctx, sc, tokens.AuthOptions{
		TenantID: a.cfg.TenantID,
		Username: a.cfg.Username,
		Password: a.cfg.Password,
	})
	if res.Err != nil {
		return tokensource.Token{}, a.loginError(ctx, res.Err)
	}
	var body tokenResponse
	if err := res.ExtractInto(&body); err != nil || body.Access.Token.ID == "" {
		return tokensource.Token{}, &driver.Error{Code: driver.CodeUnavailable,
			Message: "NHN Cloud identity answered the login without a token", Err: err}
	}
	tok := tokensource.Token{Value: body.Access.Token.ID}
	if exp, ok := parseTime(body.Access.Token.Expires); ok {
		tok.Expires = exp
	} else {
		// Without an expiry the token is kept until the backend rejects it
		// (then tokensource re-authenticates once).
		a.log.WarnContext(ctx, "NHN Cloud token has no readable expiry; relying on 401 to refresh it",
			"expires", body.Access.Token.Expires)
	}
	sess := &session{computeURL: catalogCompute(body.Access.ServiceCatalog, a.cfg.Region, a.cfg.TenantID),
		catalog: body.Access.ServiceCatalog}
	if a.computeURL == "" && sess.computeURL == "" {
		return tokensource.Token{}, &driver.Error{Code: driver.CodeFailedPrecondition,
			Message: "NHN Cloud token's service catalog has no compute endpoint" + regionHint(a.cfg.Region) +
				"; set compute_endpoint for this cloud"}
	}
	tok.Catalog = sess
	a.log.DebugContext(ctx, "obtained NHN Cloud token", "expires", tok.Expires)
	return tok, nil
}

func regionHint(region string) string {
	if region == "" {
		return ""
	}
	return " for region " + region
}

// catalogCompute returns the resource base of the catalog's compute
// endpoint: the one in region when given, else the first.
func catalogCompute(entries []tokens.CatalogEntry, region, tenant string) string {
	for _, e := range entries {
		if e.Type != "compute" {
			continue
		}
		for _, ep := range e.Endpoints {
			if ep.PublicURL == "" || (region != "" && !strings.EqualFold(ep.Region, region)) {
				continue
			}
			u, err := baseURL(ep.PublicURL)
			if err != nil {
				continue
			}
			return computeBase(u, tenant)
		}
	}
	return ""
}

// loginError classifies a failed login. A refused password (401, or 403)
// is CodeCredentialsRejected, which tokensource turns into a back-off
// instead of a retry loop. Nothing here ever includes the password.
func (a *Adapter) loginError(ctx context.Context, err error) error {
	var rc gophercloud.ErrUnexpectedResponseCode
	if !errors.As(err, &rc) {
		if nova.IsTransport(ctx, err) {
			return backendhttp.TransportError(ctx, "NHN Cloud login", err)
		}
		return &driver.Error{Code: driver.CodeUnavailable, Message: "NHN Cloud login: unexpected answer from the identity endpoint", Err: err}
	}
	f := nova.ParseFault(rc.Body)
	e := &driver.Error{VendorHTTPStatus: rc.Actual, VendorCode: f.Name, VendorMessage: f.Message}
	switch {
	case rc.Actual == http.StatusUnauthorized || rc.Actual == http.StatusForbidden:
		e.Code = driver.CodeCredentialsRejected
		e.Reason = "BACKEND_CREDENTIALS_REJECTED"
		e.Message = "NHN Cloud identity rejected the configured credentials (tenant_id, username, password) of cloud " + a.cfg.Name
	case rc.Actual >= 300 && rc.Actual < 400:
		e.Code = backendhttp.CodeForStatus(rc.Actual)
		e.Message = fmt.Sprintf("NHN Cloud identity endpoint answered with a redirect (HTTP %d), which computegw does not follow; set identity_endpoint to where the API answers", rc.Actual)
	case rc.Actual >= 500:
		e.Code = backendhttp.CodeForStatus(rc.Actual)
		e.Message = "NHN Cloud identity endpoint failed"
		e.RetryAfter = backendhttp.RetryAfter(rc.ResponseHeader, a.cfg.Now())
	case rc.Actual == http.StatusTooManyRequests:
		e.Code = driver.CodeResourceExhausted
		e.Message = "NHN Cloud identity endpoint is rate limiting logins"
		e.RetryAfter = backendhttp.RetryAfter(rc.ResponseHeader, a.cfg.Now())
	default:
		e.Code = driver.CodeFailedPrecondition
		e.Message = "NHN Cloud identity endpoint refused the login request; check identity_endpoint and tenant_id"
	}
	return e
}

// parseTime reads Keystone/Nova timestamps: RFC 3339 with or without
// fractional seconds, or without a zone (UTC).
var parseTime = novajson.ParseTime
