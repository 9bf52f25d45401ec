package backendhttp

import (
	"context"
	"net/http/httptrace"
	"sync/atomic"
)

// TrackWrites returns a context whose HTTP requests report when one was
// written to a connection, and a function saying whether any was. A create
// that failed before its request was ever written (no connection, a
// refused dial, a failed TLS handshake) surely created nothing; see
// driver.CreateOutcome.
func TrackWrites(ctx context.Context) (context.Context, func() bool) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{
		// Called when writing ends, with or without an error: a request
		// partly written counts as possibly received.
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	}
	return httptrace.WithClientTrace(ctx, trace), wrote.Load
}
