package k5

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/nova"
	"github.com/computegw/computegw/internal/tokensource"
)

// maintenanceRetry is how long K5 asks callers to wait before listing again
// when a list came back partial (guide sections 1.1.5, 1.2.5: "at least one
// minute").
const maintenanceRetry = time.Minute

// errMalformed marks a K5 answer that lacks the object the guide promises.
var errMalformed = errors.New("k5: answer lacks the expected object")

// call runs fn against the compute endpoint with a cached token. A 401 on
// the cached token invalidates it, logs in again (shared with concurrent
// callers) and runs fn again; tokensource never reuses a refused token, and
// when three tokens in a row are refused before any is accepted (compute
// rejects this user outright) it spaces further logins out (1s doubling to
// 1m), so that a stream of calls does not hammer K5's identity service.
// Any failure comes back classified as a *driver.Error.
func (a *Adapter) call(ctx context.Context, op string, fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	return a.serviceCall(ctx, op, "compute", func(tok tokensource.Token) (*gophercloud.ServiceClient, error) {
		s, _ := tok.Catalog.(session)
		if s.catalogCompute {
			if err := a.endpoints.Check("compute", s.compute); err != nil {
				return nil, err
			}
		}
		return a.computeClient(tok), nil
	}, fn)
}

// serviceCall is call for any service of the token: client builds the
// service's client for a token (or refuses, when the catalog lacks the
// service or the endpoint policy forbids it), and svc names the service
// in the log line of a refused token.
func (a *Adapter) serviceCall(ctx context.Context, op, svc string, client func(tokensource.Token) (*gophercloud.ServiceClient, error),
	fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	isUnauthorized := func(err error) bool {
		if gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
			a.log.Info("k5: token rejected by "+svc, "op", op)
			return true
		}
		return false
	}
	err := a.tokens.Do(ctx, isUnauthorized, func(ctx context.Context, tok tokensource.Token) error {
		sc, err := client(tok)
		if err != nil {
			return err
		}
		return fn(ctx, sc)
	})
	if err == nil {
		return nil
	}
	return a.secrets.Error(a.classify(ctx, op, err))
}

// callOne is call for an answer that must carry one object: fn decodes it
// into *obj, and an answer without it (still nil) is errMalformed.
func callOne[T any](a *Adapter, ctx context.Context, op string, obj **T, fn func(ctx context.Context, sc *gophercloud.ServiceClient) error) error {
	return a.call(ctx, op, func(ctx context.Context, sc *gophercloud.ServiceClient) error {
		if err := fn(ctx, sc); err != nil {
			return err
		}
		if *obj == nil {
			return errMalformed
		}
		return nil
	})
}

// computeClient is a per-call ServiceClient carrying the token as
// X-Auth-Token. The shared ProviderClient never holds a token and has no
// ReauthFunc, so gophercloud's own re-authentication never runs: the token
// rules live in tokensource alone.
func (a *Adapter) computeClient(tok tokensource.Token) *gophercloud.ServiceClient {
	s, _ := tok.Catalog.(session)
	return &gophercloud.ServiceClient{
		ProviderClient: a.provider,
		Endpoint:       s.compute,
		MoreHeaders:    map[string]string{"X-Auth-Token": tok.Value},
	}
}

func errorsAsUnexpected(err error) (gophercloud.ErrUnexpectedResponseCode, bool) {
	return errors.AsType[gophercloud.ErrUnexpectedResponseCode](err)
}

// classify turns any failure of op into a *driver.Error (the order and the
// shared cases are nova.Classifier's; K5's own are statusError's, and a
// body that does not decode is K5's malformed answer).
func (a *Adapter) classify(ctx context.Context, op string, err error) *driver.Error {
	return nova.Classifier{
		What:       a.what,
		HTTP:       a.statusError,
		Other:      a.malformed,
		Unexpected: "unexpected failure talking to K5",
	}.Classify(ctx, op, err)
}

// malformed classifies a K5 answer that did not decode, or lacks the object
// the guide promises; nil for anything else.
func (a *Adapter) malformed(op string, err error) *driver.Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, errMalformed) {
		return &driver.Error{Code: driver.CodeUnavailable, Message: a.what(op) + ": K5 answered with a malformed body", Err: err}
	}
	return nil
}

func (a *Adapter) what(op string) string {
	return fmt.Sprintf("%s on k5 cloud %q", op, a.cfg.Name)
}

// statusError classifies a K5 error answer (guide section 1.2.4 codes):
// nova.HTTPError plus K5's own readings of 401, resizeNotAllowed and
// buildInProgress, and a message saying why in K5's terms.
func (a *Adapter) statusError(op string, ue gophercloud.ErrUnexpectedResponseCode) *driver.Error {
	e, f := nova.HTTPError(ue, a.now())
	var why string
	switch {
	case ue.Actual == http.StatusUnauthorized:
		// Reached only when a freshly issued token was refused as well.
		e.Code, e.Reason = driver.CodeCredentialsRejected, "BACKEND_CREDENTIALS_REJECTED"
		why = "K5 refused a freshly issued token; the gateway's K5 user may not use this project's compute service"
	case ue.Actual == http.StatusForbidden && f.Name == "resizeNotAllowed":
		e.Code = driver.CodeFailedPrecondition
		why = "K5 does not allow this resize"
	case ue.Actual == http.StatusForbidden:
		why = "K5 forbids this operation for the gateway's K5 user"
	case ue.Actual == http.StatusNotFound:
		why = "K5 says it does not exist"
	case ue.Actual == http.StatusConflict && f.Name == "buildInProgress":
		e.Code = driver.CodeFailedPrecondition
		why = "the instance is still being built"
	case ue.Actual == http.StatusConflict:
		why = "the instance's current state does not allow it"
	case ue.Actual == http.StatusRequestEntityTooLarge || ue.Actual == http.StatusTooManyRequests:
		why = "K5 quota or rate limit exceeded"
	case ue.Actual == http.StatusNotImplemented:
		why = "K5 does not implement it"
	case ue.Actual >= 500:
		why = "K5 failed"
	default:
		why = "K5 refused the request"
	}
	e.Message = fmt.Sprintf("%s: %s (HTTP %d)", a.what(op), why, ue.Actual)
	return e
}
