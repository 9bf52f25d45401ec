// Package state is the state that gateway replicas share: the CreateInstance request_id records and the login back-off after a
// rejected password. Two implementations: NewMemory (the default: state is
// per process, as with one gateway) and NewRedis (state.redis in the config:
// every replica using the same Redis and key prefix shares it).
//
// The store knows nothing of the API: a request record's result is opaque
// bytes (the server stores a marshalled computegw.v1.Instance), keys are
// whatever the caller makes them ("{cloud}/{request_id}", a cloud name).
//
// Errors: every method of a store that cannot reach its backend returns an
// error wrapping ErrUnavailable; callers must then not act as if they held
// the state (the server answers UNAVAILABLE STATE_UNAVAILABLE for a create
// with request_id, never risking a second create).
package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable is wrapped by every error that means the store could not
// be reached (or answered garbage): the state is unknown, not absent.
var ErrUnavailable = errors.New("state store unavailable")

// Store is the shared state of a fleet of gateways.
type Store interface {
	Requests
	// Logins returns the login gate of key (a cloud name): the back-off
	// after a rejected password and the one-login-at-a-time turn, shared by
	// every process on the store.
	Logins(key string) LoginGate
	// Check reports whether the store is reachable now (nil: it is). The
	// in-process store always is.
	Check(ctx context.Context) error
	// Kind is "memory" or "redis", for logs and /readyz.
	Kind() string
	Close() error
}

// --- request_id records ------------------------------------------------------

// Status is a request record's state.
type Status string

// Request record states. A record is Pending while its owner makes the
// create, then Succeeded (Result holds the answer) or Unknown (the create
// failed without a definite answer, or its owner vanished: creating again
// could make a second instance). A create that surely made nothing is not
// kept at all (Lease.Release), so the caller may fix it and retry.
const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Unknown   Status = "unknown"
)

// Record is one request_id record.
type Record struct {
	Status Status
	// Fingerprint identifies the request the ID was first used for; the
	// same ID with another fingerprint is the caller's mistake.
	Fingerprint []byte
	// Result is the stored answer (Succeeded).
	Result []byte
	// Detail says why the outcome is Unknown (no secret: the server puts
	// the error's message there, never the request).
	Detail string
	// Age is how long ago the record took its current status (for an
	// Unknown record: how long ago the attempt ended or its owner was
	// found gone), on the store's clock.
	Age time.Duration
}

// LeaseLapsedDetail is the Detail of a record whose owner stopped renewing
// its lease before it finished (the replica died or lost the store).
const LeaseLapsedDetail = "the gateway replica that was making this create stopped before it finished"

// Requests keeps CreateInstance request_id records: the first caller to
// claim an ID anywhere in the fleet makes the one create; the others wait
// for its record or read it. Records expire a fixed time (24 h by default)
// after their claim.
type Requests interface {
	// Claim makes the caller the owner of key if no record exists: it
	// returns a Lease (and a nil Record), and the caller must Finish or
	// Release it. Otherwise it returns the existing Record (and a nil
	// Lease). A Pending record whose owner's lease has lapsed is turned
	// Unknown (Detail LeaseLapsedDetail) atomically before it is returned.
	Claim(ctx context.Context, key string, fingerprint []byte) (Lease, *Record, error)
	// Wait blocks until key's record is no longer Pending and returns it,
	// or nil when there is no record (its owner released it, or it
	// expired): the caller may then Claim. It returns ctx's error when ctx
	// ends first.
	Wait(ctx context.Context, key string) (*Record, error)
	// Reclaim is Claim that also takes over an Unknown record with the
	// same fingerprint (turning it Pending under the caller's new lease),
	// so that the caller can settle the outcome by asking the vendor; the
	// earlier owner's late Finish is then ignored. Any other existing
	// record is returned as by Claim.
	Reclaim(ctx context.Context, key string, fingerprint []byte) (Lease, *Record, error)
}

// Lease is a claimed request record. While it is held (neither Finish nor
// Release called) the store keeps it alive; if the holder dies, it lapses
// after a few seconds and the record becomes Unknown.
type Lease interface {
	// Finish stores the final record: Succeeded with a Result, or Unknown
	// with a Detail.
	Finish(ctx context.Context, status Status, result []byte, detail string) error
	// Release forgets the claim: the create surely made nothing.
	Release(ctx context.Context) error
}

// --- login back-off ------------------------------------------------------------

// LoginGate coordinates the logins to one cloud of every process sharing
// the store, so that together they make no more password attempts than one
// process would: one login at a time, and after a rejected password a
// back-off that all of them honour until it ends or a login succeeds.
type LoginGate interface {
	// Begin waits (at most until ctx ends) until no other process is
	// logging in, then returns a turn to log in, or a *BackedOff error
	// while a back-off is in force.
	Begin(ctx context.Context) (LoginTurn, error)
}

// LoginTurn is the right to make one login; report how it went.
type LoginTurn interface {
	// Rejected records a rejected password: the back-off is first after
	// the first rejection, then doubles on each further one up to max. It
	// returns when the next attempt may be made.
	Rejected(ctx context.Context, first, max time.Duration, reason, message string) (time.Time, error)
	// Succeeded clears the back-off for everyone.
	Succeeded(ctx context.Context) error
	// Abandon ends the turn without changing the back-off (the login
	// failed for a transient reason).
	Abandon(ctx context.Context) error
}

// BackedOff is LoginGate.Begin's error while a back-off is in force: an
// earlier login (by any process) had its password rejected.
type BackedOff struct {
	RetryAt time.Time
	// Reason and Message are the rejection's, as recorded.
	Reason, Message string
}

func (b *BackedOff) Error() string {
	return fmt.Sprintf("login backed off until %s after a rejected password: %s", b.RetryAt.UTC().Format(time.RFC3339), b.Message)
}

func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}
