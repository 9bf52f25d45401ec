// Package gcore is computegw's adapter for the Gcore Cloud instances API
// (https://api.gcore.com/cloud; the wire format is in wire.go and the
// fake in adapters/gcore/fake). It is
// for the gateway's wiring code, which builds one Adapter per configured
// gcore cloud, and for maintainers of this dialect.
//
// Gcore differs from the Nova-shaped dialects in two ways the portable layer
// never sees: authentication is a static API key ("Authorization: APIKey
// …" on every call, no token call, a 401 is final), and every write except
// rename and security groups is an asynchronous task. Writes return once
// Gcore accepted them, as on the other dialects, and the instance's status
// then moves as Gcore reports it; CreateInstance alone waits, polling the
// create task with back-off until it names the new instance (tasks.go).
// List paging maps the portable marker onto Gcore's limit/offset
// (instances.go). The package owns a small net/http + encoding/json client
// on internal/backendhttp rather than Gcore's generated SDK, which retries
// failed calls by default and hides the raw answers the error mapping needs
// (README). The fake Gcore server in the fake subpackage backs its tests,
// the conformance suite and the gateway's demo mode (internal/demo).
package gcore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/dialect"
	"github.com/computegw/computegw/internal/redact"
)

// DefaultEndpoint is Gcore's public API, used when a cloud names no
// endpoint.
const DefaultEndpoint = "https://api.gcore.com/cloud"

// DefaultTimeout is the per-call timeout a gcore cloud gets when its config
// sets none. It bounds CreateInstance's wait for the create task too, so it
// covers Gcore's usual 15–30 s builds several times over; the other
// dialects' 30 s default would cut a slow build short.
const DefaultTimeout = 2 * time.Minute

// Default create-task polling: the first poll after DefaultPollInterval,
// each next wait half as long again, at most DefaultMaxPollInterval ("poll
// every few seconds", gcore.md).
const (
	DefaultPollInterval    = time.Second
	DefaultMaxPollInterval = 5 * time.Second
)

// Config configures one Gcore cloud. Its yaml-tagged fields are the
// dialect's config keys (see Dialect); the others are set by the wiring.
type Config struct {
	// Name is the cloud's name in the gateway (for the config errors of New
	// only; the portable layer adds it to call errors).
	Name string `dialect:"name"`
	// Endpoint is the API base; empty takes DefaultEndpoint. Calls go to
	// {Endpoint}/v1/instances/{project_id}/{region_id}/... and so on.
	Endpoint string `yaml:"endpoint" check:"url"`
	// ProjectID and RegionID are the integers in every path.
	ProjectID int `yaml:"project_id" check:"required"`
	RegionID  int `yaml:"region_id" check:"required"`
	// APIKey is the permanent API token from the Gcore console, sent as
	// "Authorization: APIKey {APIKey}" (config api_key_env, api_key_file or,
	// discouraged, api_key). It never appears in errors or logs.
	APIKey string `dialect:"secret"`
	// Zones is the configured static zone list, answered by ListZones (the
	// API has no zone call). With exactly one zone, instances report it.
	Zones []string `dialect:"zones"`

	// PollInterval and MaxPollInterval shape the create-task polling; zero
	// takes the defaults.
	PollInterval    time.Duration `yaml:"-"`
	MaxPollInterval time.Duration `yaml:"-"`

	// HTTPClient is the client for backend calls; nil uses
	// backendhttp.NewClient(). Redirects are never followed.
	HTTPClient *http.Client `dialect:"http_client"`
	// Logger receives debug records of backend calls (never the key); nil
	// discards them.
	Logger *slog.Logger `dialect:"logger"`
	// Now is the clock; nil uses time.Now.
	Now func() time.Time `yaml:"-"`
}

// Adapter is a driver.Adapter for one Gcore project and region. It is safe
// for concurrent use.
type Adapter struct {
	base        string      // {Endpoint}
	scope       string      // /{project_id}/{region_id}
	auth        string      // "APIKey …"
	secrets     *redact.Set // the API key, masked in every error and log
	zones       []string
	poll, max   time.Duration
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
	offsetHints *hints
}

// Compile-time checks: the optional interfaces Gcore has (rename and
// security groups), and only those.
var (
	_ driver.Adapter              = (*Adapter)(nil)
	_ driver.InstanceRenamer      = (*Adapter)(nil)
	_ driver.SecurityGroupManager = (*Adapter)(nil)
)

// New validates cfg and returns an Adapter. It makes no network call.
func New(cfg Config) (*Adapter, error) {
	fail := func(format string, args ...any) (*Adapter, error) {
		return nil, fmt.Errorf("gcore: config of cloud %q: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	if cfg.ProjectID <= 0 {
		return fail("project_id must be a positive integer (the project ID in Gcore's paths)")
	}
	if cfg.RegionID <= 0 {
		return fail("region_id must be a positive integer (the region ID in Gcore's paths)")
	}
	key := cfg.APIKey
	if strings.TrimSpace(key) == "" {
		return fail("the API key (api_key_env or api_key_file) is missing")
	}
	// The key goes into a header: refuse what would break it (never echo
	// the key itself).
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return fail("the API key (api_key_env or api_key_file) contains whitespace or non-printable characters; check the secret for a stray space or line break")
		}
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail("endpoint %q is not an http(s) URL", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fail("endpoint %q must not have a query, fragment or user info", endpoint)
	}
	// The client never follows a redirect: no Gcore call answers with one,
	// so it is reported (UNAVAILABLE).
	b := dialect.NewBackend(cfg.HTTPClient, cfg.Logger, cfg.Now, key)
	a := &Adapter{
		base:        u.String(),
		scope:       "/" + strconv.Itoa(cfg.ProjectID) + "/" + strconv.Itoa(cfg.RegionID),
		auth:        "APIKey " + key,
		secrets:     b.Secrets,
		zones:       append([]string(nil), cfg.Zones...),
		poll:        cfg.PollInterval,
		max:         cfg.MaxPollInterval,
		client:      b.Client,
		log:         b.Log,
		now:         b.Now,
		offsetHints: newHints(maxHints),
	}
	if a.poll <= 0 {
		a.poll = DefaultPollInterval
	}
	if a.max <= 0 {
		a.max = DefaultMaxPollInterval
	}
	if a.max < a.poll {
		a.max = a.poll
	}
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

// request is one backend call.
type request struct {
	op     string // for messages: "stop instance ID"
	method string
	path   string // under the endpoint, already escaped
	query  url.Values
	body   any // JSON body; nil for none
	out    any // decoded from a 2xx answer; nil to ignore the body
}

// call makes one HTTP exchange and classifies a failure, with the API key
// masked in every text of the error. It never retries: a 401 is final
// (there is no token to renew), and a write may have reached Gcore.
func (a *Adapter) call(ctx context.Context, req request) error {
	return a.secrets.Error(a.send(ctx, req))
}

func (a *Adapter) send(ctx context.Context, req request) error {
	u := a.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	start := a.now()
	ans, de := backendhttp.Exchange(ctx, a.client, backendhttp.Request{Method: req.method, URL: u, Body: req.body,
		Header: http.Header{"Authorization": {a.auth}}})
	if ans == nil && de != nil {
		if de.Code != driver.CodeInternal {
			a.log.DebugContext(ctx, "gcore call failed", "op", req.op, "method", req.method, "path", req.path, "error", de.Err)
		}
		return amend(req.op+": ", de)
	}
	raw := ans.Body
	attrs := []any{"op", req.op, "method", req.method, "path", req.path,
		"status", ans.Status, "duration", a.now().Sub(start)}
	if de != nil {
		a.log.DebugContext(ctx, "gcore answer too large", attrs...)
		return amend(req.op+": ", de)
	}
	if ans.Status < 200 || ans.Status > 299 {
		// Masked before classify cuts a long page short, which could
		// otherwise leave part of an echoed key in the message.
		de := classify(req.method, ans.Status, ans.Header, []byte(a.secrets.String(string(raw))), a.now())
		de.Message = req.op + ": " + de.Message
		attrs = append(attrs, "code", de.Code.String(), "vendor_code", de.VendorCode)
		a.log.DebugContext(ctx, "gcore call answered with an error", attrs...)
		return de
	}
	a.log.DebugContext(ctx, "gcore call", attrs...)
	if req.out == nil || ans.Status == http.StatusNoContent {
		return nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return &driver.Error{Code: driver.CodeUnavailable, VendorHTTPStatus: ans.Status,
			Message: req.op + ": the backend answered with an empty body"}
	}
	if err := json.Unmarshal(raw, req.out); err != nil {
		return &driver.Error{Code: driver.CodeUnavailable, VendorHTTPStatus: ans.Status,
			Message: req.op + ": the backend's answer is not the JSON Gcore's API documents", Err: err}
	}
	return nil
}

// amend puts an operation's prefix before an error's message
// (dialect.Amend).
var amend = dialect.Amend
