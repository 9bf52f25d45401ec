package tokensource

import (
	"context"
	"errors"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/state"
)

// GateRecheck is how long a back-off learnt from the fleet's login gate is
// trusted locally before the gate is asked again (a login elsewhere may
// have cleared it).
const GateRecheck = 2 * time.Second

// gated is the outcome of one login through the fleet's gate.
type gated struct {
	// retryAt, when set, is the fleet's next allowed attempt (after this
	// process's rejection, or another's).
	retryAt time.Time
	// attempted: a login was made (false when the gate's back-off
	// answered without one).
	attempted bool
}

// login logs in through Options.Gate when there is one: one login at a
// time across every process sharing the gate, none while the fleet is
// backed off after a rejected password, and a success clears that for all.
// A gate that cannot be reached (the shared store is down) does not stop
// logins: this process then backs off on its own, as without a gate.
func (s *Source) login(ctx context.Context) (Token, gated, error) {
	g := s.opt.Gate
	if g == nil {
		tok, err := s.fetch(ctx)
		return tok, gated{attempted: true}, err
	}
	turn, err := g.Begin(ctx)
	var b *state.BackedOff
	switch {
	case errors.As(err, &b):
		reason := b.Reason
		if reason == "" {
			reason = "BACKEND_CREDENTIALS_REJECTED"
		}
		return Token{}, gated{retryAt: b.RetryAt}, &driver.Error{Code: driver.CodeCredentialsRejected, Reason: reason,
			Message: b.Message + " (a login by this or another gateway replica sharing state.redis was rejected)"}
	case err != nil:
		if ctx.Err() != nil {
			return Token{}, gated{}, contextError(ctx)
		}
		tok, err := s.fetch(ctx)
		return tok, gated{attempted: true}, err
	}
	tok, err := s.fetch(ctx)
	out := gated{attempted: true}
	// Report on a context of its own: the login's may be what ran out.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var de *driver.Error
	switch {
	case err == nil:
		_ = turn.Succeeded(rctx)
	case errors.As(err, &de) && de.Code == driver.CodeCredentialsRejected:
		reason := de.Reason
		if reason == "" {
			reason = "BACKEND_CREDENTIALS_REJECTED"
		}
		if at, gerr := turn.Rejected(rctx, s.opt.RejectBackoff, s.opt.MaxRejectBackoff, reason, de.Message); gerr == nil {
			out.retryAt = at
		}
	default:
		_ = turn.Abandon(rctx)
	}
	return tok, out, err
}
