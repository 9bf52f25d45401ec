package tokensource

import (
	"context"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/telemetry"
)

// observeLogin starts the telemetry of one login (counted for the cloud
// the triggering call's ctx names, see telemetry.WithCloud) and returns the
// function that records its outcome.
func observeLogin(ctx context.Context) (context.Context, func(tok Token, err error, retryAt time.Time)) {
	ctx, l := telemetry.StartLogin(ctx)
	return ctx, func(tok Token, err error, retryAt time.Time) {
		switch {
		case err == nil:
			l.End(telemetry.LoginOK, tok.Expires, time.Time{})
		case driver.CodeOf(err) == driver.CodeCredentialsRejected:
			l.End(telemetry.LoginRejected, time.Time{}, retryAt)
		default:
			l.End(telemetry.LoginError, time.Time{}, time.Time{})
		}
	}
}
