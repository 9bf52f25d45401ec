// Package toastv1 is computegw's adapter for the TOAST Compute Instance API
// v1.0 (the appkey API at https://api-compute.cloud.toast.com/compute). It is
// for the gateway's wiring code (cmd/gateway, internal/gateway), which
// builds one Adapter per configured toastv1 cloud, and for maintainers of
// this dialect.
//
// TOAST is not OpenStack-shaped: every answer is HTTP 200 with a
// {"header": {"isSuccessful", "resultCode", "resultMessage"}} envelope, and
// no client library covers it, so this package owns its HTTP client. It logs
// in lazily with the account's API password (internal/tokensource caches the
// token), turns every isSuccessful: false into a classified *driver.Error
// (errors.go), pages instance lists locally (the API has none), validates
// what TOAST constrains before sending, and maps TOAST statuses to the
// unified states. The fake TOAST server in the fake subpackage backs its
// tests, the conformance suite and the gateway's demo mode (internal/demo).
package toastv1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/tokensource"
)

// Config configures one TOAST cloud.
type Config struct {
	// Name is the cloud's name in the gateway. Messages and logs leave it
	// out: the portable layer and the caller's logger add it.
	Name string `dialect:"name"`
	// Endpoint is the API prefix, e.g.
	// https://api-compute.cloud.toast.com/compute; calls go to
	// {Endpoint}/v1.0/appkeys/{AppKey}/...
	Endpoint string `yaml:"endpoint" check:"required,url"`
	// AppKey is the Compute appkey from the TOAST console.
	AppKey string `yaml:"appkey" check:"required"`
	// Username is the TOAST ID (e-mail) and Password the API password set
	// under "Set API Endpoint" in the console.
	Username string `yaml:"username" check:"required"`
	Password string `dialect:"secret"`

	// WindowsImageIDs lists image IDs known to be Windows images, whose
	// instance names TOAST limits to 12 characters (20 otherwise). The API
	// guide has no image lookup, so the limit is applied only to these.
	WindowsImageIDs []string `yaml:"windows_image_ids" item:"an image ID"`

	// HTTPClient is the client for backend calls; nil uses
	// backendhttp.NewClient().
	HTTPClient *http.Client `dialect:"http_client"`
	// Logger receives debug records of backend calls (never secrets); nil
	// discards them.
	Logger *slog.Logger `dialect:"logger"`
	// LoginGate, when set, shares logins and the back-off after a rejected
	// password with the other gateway replicas (tokensource.Options.Gate).
	LoginGate state.LoginGate `dialect:"login_gate"`
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
}

// Adapter is a driver.Adapter for one TOAST cloud. It is safe for
// concurrent use.
type Adapter struct {
	base     string // {Endpoint}/v1.0/appkeys/{AppKey}
	username string
	password string
	windows  map[string]bool
	client   *http.Client
	log      *slog.Logger
	now      func() time.Time
	tokens   *tokensource.Source
	secrets  *redact.Set // the password, appkey and recent tokens, masked in every error and log
}

// Compile-time checks: the optional interfaces TOAST has, and only those.
var (
	_ driver.Adapter              = (*Adapter)(nil)
	_ driver.KeyPairManager       = (*Adapter)(nil)
	_ driver.VolumeAttacher       = (*Adapter)(nil)
	_ driver.ImageCreator         = (*Adapter)(nil)
	_ driver.SecurityGroupManager = (*Adapter)(nil)
	_ driver.FloatingIPManager    = (*Adapter)(nil)
)

// New validates cfg and returns an Adapter. It makes no network call: the
// first backend call logs in.
func New(cfg Config) (*Adapter, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"Endpoint", cfg.Endpoint}, {"AppKey", cfg.AppKey},
		{"Username", cfg.Username}, {"Password", cfg.Password},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("toastv1: config of cloud %q is missing %s", cfg.Name, strings.Join(missing, ", "))
	}
	u, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("toastv1: config of cloud %q: Endpoint %q is not an http(s) URL", cfg.Name, cfg.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("toastv1: config of cloud %q: Endpoint %q must not have a query or fragment", cfg.Name, cfg.Endpoint)
	}
	// TOAST answers every call itself (HTTP 200, or 401 for a dead token);
	// the client reports a redirect, never follows it (UNAVAILABLE, see
	// decodeResponse).
	b := dialect.NewBackend(cfg.HTTPClient, cfg.Logger, cfg.Now, cfg.Password, cfg.AppKey)
	a := &Adapter{
		base:     u.String() + "/v1.0/appkeys/" + url.PathEscape(cfg.AppKey),
		username: cfg.Username,
		password: cfg.Password,
		windows:  make(map[string]bool, len(cfg.WindowsImageIDs)),
		client:   b.Client,
		log:      b.Log,
		now:      b.Now,
		secrets:  b.Secrets,
	}
	for _, id := range cfg.WindowsImageIDs {
		a.windows[id] = true
	}
	a.tokens = b.Tokens(a.login, tokensource.Options{Gate: cfg.LoginGate})
	return a, nil
}

// Dialect reports Name.
func (a *Adapter) Dialect() driver.Dialect { return Name }

// Close releases the idle connections of the adapter's client, the one it
// made or the one it was given (the gateway gives each cloud its own).
func (a *Adapter) Close() error {
	a.client.CloseIdleConnections()
	return nil
}

// TokenFetches reports how many logins the adapter has started (metrics and
// tests).
func (a *Adapter) TokenFetches() int { return a.tokens.Fetches() }

// request is one backend call.
type request struct {
	op     string // for messages: "start instance 1234"
	method string
	path   string // under base, already escaped, e.g. "/instances/ID/action"
	query  url.Values
	body   any // JSON body; nil for none
	out    any // payload to decode a success into; nil for none
}

// call runs req with a token; a refused token is invalidated, the login
// redone (shared with concurrent callers) and req sent once more. Every
// TOAST call is safe to resend after a refusal: the backend checks the
// token before doing anything.
func (a *Adapter) call(ctx context.Context, req request) error {
	err := a.tokens.Do(ctx, isTokenRefused, func(ctx context.Context, tok tokensource.Token) error {
		return a.send(ctx, req, tok.Value)
	})
	if err == nil {
		return nil
	}
	return a.secrets.Error(a.classifyCall(req, err))
}

// classifyCall turns the error of a call into the one returned.
func (a *Adapter) classifyCall(req request, err error) error {
	var de *driver.Error
	if errors.As(err, &de) && de.Code == driver.CodeCredentialsRejected {
		return err // already says what happened, with no operation to add
	}
	if isTokenRefused(err) && de != nil && (de.VendorHTTPStatus == http.StatusUnauthorized || strings.HasSuffix(de.VendorCode, "401")) {
		// Do retried once with a freshly issued token and the backend
		// refused that one as unauthenticated too: the gateway's
		// credentials do not work for this API (as nhnv2 reads a second
		// 401). -3 stays PERMISSION_DENIED: it also means "not permitted".
		cp := *de
		cp.Code, cp.Reason = driver.CodeCredentialsRejected, "BACKEND_CREDENTIALS_REJECTED"
		cp.Message = "the backend refused a freshly issued token as well (" + de.Message +
			"); check the cloud's username, API password and appkey"
		return a.wrap(req.op, &cp)
	}
	return a.wrap(req.op, err)
}

// wrap prefixes a classified error's message with the cloud and operation.
func (a *Adapter) wrap(op string, err error) error { return amend(a.prefix(op), err) }

// amend puts an operation's prefix before an error's message
// (dialect.Amend).
var amend = dialect.Amend

// prefix starts an error message with the operation; the portable layer
// adds the cloud's name.
func (a *Adapter) prefix(op string) string { return op + ": " }

// send makes one HTTP exchange. token is empty for the login itself.
func (a *Adapter) send(ctx context.Context, req request, token string) error {
	u := a.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	h := http.Header{}
	if token != "" {
		h.Set("X-Auth-Token", token)
	}
	start := a.now()
	// The URL holds the appkey: Exchange keeps it out of the error, and only
	// the path under the appkey is logged.
	ans, de := backendhttp.Exchange(ctx, a.client, backendhttp.Request{Method: req.method, URL: u, Body: req.body,
		Header: h, ContentType: "application/json;charset=UTF-8"})
	if de != nil {
		if ans == nil && de.Code != driver.CodeInternal {
			a.log.DebugContext(ctx, "toastv1 call failed", "op", req.op, "method", req.method, "path", req.path, "error", de.Err)
		}
		return de
	}
	derr := decodeResponse(ans.Status, ans.Header, ans.Body, req.out, a.now())
	attrs := []any{"op", req.op, "method", req.method, "path", req.path,
		"status", ans.Status, "duration", a.now().Sub(start)}
	if derr != nil {
		derr.VendorMessage = a.secrets.String(derr.VendorMessage)
		attrs = append(attrs, "code", derr.Code.String(), "vendor_code", derr.VendorCode)
		a.log.DebugContext(ctx, "toastv1 call answered with a failure", attrs...)
		return derr
	}
	a.log.DebugContext(ctx, "toastv1 call", attrs...)
	return nil
}

// login issues a token: POST /tokens {"auth":{"username","password"}}.
func (a *Adapter) login(ctx context.Context) (tokensource.Token, error) {
	var out tokenResponse
	req := request{
		op:     "issue a token",
		method: http.MethodPost,
		path:   "/tokens",
		body:   tokenRequest{Auth: tokenAuth{Username: a.username, Password: a.password}},
		out:    &out,
	}
	err := a.send(ctx, req, "")
	if err != nil {
		var de *driver.Error
		if errors.As(err, &de) && loginRefused(de) {
			return tokensource.Token{}, &driver.Error{
				Code:             driver.CodeCredentialsRejected,
				Reason:           "BACKEND_CREDENTIALS_REJECTED",
				Message:          "log in: TOAST rejected the gateway's credentials (username, API password or appkey); check the cloud's configuration",
				VendorHTTPStatus: de.VendorHTTPStatus,
				VendorCode:       de.VendorCode,
				VendorMessage:    de.VendorMessage,
			}
		}
		// Transient: the calling operation's prefix is added by call.
		return tokensource.Token{}, amend("logging in: ", err)
	}
	id := strings.TrimSpace(string(out.Access.Token.ID))
	if id == "" {
		return tokensource.Token{}, &driver.Error{Code: driver.CodeUnavailable,
			Message: "logging in: the token answer has no access.token.id"}
	}
	now := a.now()
	exp := parseTime(out.Access.Token.Expires)
	// A missing expiry, or one so close that the token source would log in
	// again on every call (clock skew), is replaced by a short lifetime; a
	// token that dies earlier is caught by the refused-token retry.
	if minExp := now.Add(minTokenLife); exp.Before(minExp) {
		exp = minExp
	}
	return tokensource.Token{Value: id, Expires: exp}, nil
}

// minTokenLife is the shortest lifetime the adapter assumes for a token: the
// token source's default 2-minute skew plus one minute of use.
const minTokenLife = 3 * time.Minute

// loginRefused reports whether a failed token call means the credentials
// (or appkey) were refused rather than a transient failure.
func loginRefused(e *driver.Error) bool {
	if errors.Is(e, errTokenRefused) {
		return true
	}
	switch e.Code {
	case driver.CodePermissionDenied, driver.CodeInvalidArgument, driver.CodeNotFound, driver.CodeFailedPrecondition:
		return e.VendorCode != "" // the backend said so in an envelope
	}
	return false
}
