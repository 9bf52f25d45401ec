package dialect

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/tokensource"
)

// Backend is the plumbing every adapter's New builds from its Config's
// client, logger and clock before any backend call, the same for every
// dialect: one client, one secret set, a logger that masks it, a clock.
type Backend struct {
	// Client makes the backend calls and never follows a redirect: Go
	// would re-send the credential headers to wherever a redirect points
	// on the same host, and no vendor call answers with one, so a redirect
	// is reported (UNAVAILABLE) instead.
	Client *http.Client
	// Secrets are the cloud's secrets, masked in every error and log
	// record (a token source made by Tokens adds its recent tokens).
	Secrets *redact.Set
	// Log masks Secrets in every record.
	Log *slog.Logger
	// Now is the clock.
	Now func() time.Time
}

// NewBackend returns the Backend of a client, a logger and a clock, any of
// them nil (a client from backendhttp.NewClient, a logger that discards,
// time.Now), with the cloud's secrets (those shorter than redact.MinLen are
// not masked).
func NewBackend(client *http.Client, log *slog.Logger, now func() time.Time, secrets ...string) Backend {
	if client == nil {
		client = backendhttp.NewClient()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	set := redact.New(secrets...)
	return Backend{
		Client:  backendhttp.WithoutRedirects(client),
		Secrets: set,
		Log:     slog.New(set.Handler(log.Handler())),
		Now:     now,
	}
}

// Tokens returns the token source of fetch (a login) on b's clock,
// registering every token it obtains with b's secrets; opt's Now and
// Secrets are replaced.
func (b Backend) Tokens(fetch tokensource.FetchFunc, opt tokensource.Options) *tokensource.Source {
	opt.Now, opt.Secrets = b.Now, b.Secrets
	return tokensource.New(fetch, opt)
}

// Amend returns a copy of err's *driver.Error with prefix (an operation,
// "stop instance ID: ") before its message; an unclassified error becomes
// CodeUnknown with the message prefix + "failed", err kept as its cause.
func Amend(prefix string, err error) *driver.Error {
	var de *driver.Error
	if !errors.As(err, &de) {
		return &driver.Error{Code: driver.CodeUnknown, Message: prefix + "failed", Err: err}
	}
	cp := *de
	cp.Message = prefix + de.Message
	return &cp
}
