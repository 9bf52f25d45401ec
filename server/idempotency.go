package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/state"
)

// idempotency remembers CreateInstance results by request_id (AIP-155), so
// a retried create returns the first result instead of creating again. The
// records live in a state.Requests store: in process by default, or in
// Redis shared by every replica (state.redis), where the first replica to
// claim an ID makes the one backend create and the others wait for or read
// its record.
//
// The vendor is the source of truth: every create carries its request_id
// as the metadata marker driver.MarkerKey. A first attempt that surely
// created nothing (the vendor refused it, or it never reached the vendor)
// is forgotten so the caller can fix and retry with the same ID. One whose
// outcome is unknown (timeout, reset, or the replica making it died) is
// settled by looking for the instance carrying the marker: on the next
// retry (any replica, after any restart) or in the background shortly
// after the failure. Found: that instance is the answer. Certainly absent
// (the list answered and the attempt ended at least settle ago): the
// create is made again, under the same claim. Only while the vendor
// cannot be asked does a retry answer CREATE_OUTCOME_UNKNOWN (UNAVAILABLE:
// retry with the same ID). When the store cannot be reached, a create with
// request_id is refused (STATE_UNAVAILABLE) rather than risk a duplicate.
//
// With a store that does not outlive the process (memory), a claim that
// finds no record may follow a restart that forgot one, so such a create
// first asks the vendor whether the marked instance exists.
type idempotency struct {
	st  state.Requests
	log *slog.Logger
	// durable: the records outlive the process (Redis).
	durable bool
	// settle is how long after an attempt with an unknown outcome ended an
	// absent marker is believed (the vendor may still be acting on a
	// request it received just before the connection was lost).
	settle time.Duration
	// background runs a settling job on the server's lifetime.
	background func(func(ctx context.Context))
}

// attempt is one CreateInstance with request_id.
type attempt struct {
	key string
	fp  [32]byte
	// create makes the backend create; find looks for the instance
	// carrying the marker (nil, nil: certainly none); both are bounded by
	// the cloud's timeout and survive the caller going away.
	create func() (*pb.Instance, error)
	find   func() (*pb.Instance, error)
	// settle is how long after an unknown outcome an absent marker is
	// believed, for this cloud (see idempotency.settle).
	settle time.Duration
}

// fingerprint identifies a create request, request_id aside.
func fingerprint(req *pb.CreateInstanceRequest) [32]byte {
	c := proto.Clone(req).(*pb.CreateInstanceRequest)
	c.RequestId = ""
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	return sha256.Sum256(b)
}

// errStateUnavailable is the answer to a create with request_id when the
// shared store cannot be reached.
func errStateUnavailable(err error) error {
	return &driver.Error{Code: driver.CodeUnavailable, Reason: "STATE_UNAVAILABLE",
		Message: "the shared state store (state.redis) cannot be reached, so a CreateInstance with request_id " +
			"cannot be de-duplicated and is not made; retry later (every other call keeps working)",
		Err: err}
}

// outcomeUnknown answers a retry whose earlier attempt's outcome could not
// be settled because the vendor could not be asked.
func outcomeUnknown(detail string, err error) error {
	msg := "an earlier CreateInstance with this request_id failed without a definite answer from the backend, " +
		"and the backend cannot be asked now whether it made the instance; retry with the same request_id " +
		"(it answers with that instance, or creates it, once the backend answers)"
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &driver.Error{Code: driver.CodeUnavailable, Reason: "CREATE_OUTCOME_UNKNOWN", Message: msg, Err: err}
}

// maxInlineSettle is the longest a retry is held waiting for the settle
// time to pass; a longer wait is answered UNAVAILABLE with a retry delay.
const maxInlineSettle = 5 * time.Second

// outcomePending answers a retry that comes too early to re-create: the
// vendor shows no instance with the marker yet, but may still make it.
func outcomePending(detail string, wait time.Duration) error {
	msg := fmt.Sprintf("an earlier CreateInstance with this request_id failed without a definite answer, and the backend "+
		"shows no instance with its request_id yet; it may still be making it, so retry with the same request_id in %s "+
		"(it then answers with that instance, or creates it)", wait.Round(time.Second))
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &driver.Error{Code: driver.CodeUnavailable, Reason: "CREATE_OUTCOME_UNKNOWN", Message: msg, RetryAfter: wait}
}

// errLookupFailed answers a create the gateway could not check before
// making it (the in-process store forgot earlier attempts at a restart).
func errLookupFailed(err error) error {
	return driver.NotCreated(&driver.Error{Code: driver.CodeUnavailable, Reason: "CREATE_OUTCOME_UNKNOWN",
		Message: "the backend could not be asked whether an earlier attempt with this request_id (before a gateway restart) " +
			"made the instance, so nothing was created; retry with the same request_id", Err: err})
}

func (m *idempotency) do(ctx context.Context, a attempt) (*pb.Instance, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lease, rec, err := m.st.Claim(ctx, a.key, a.fp[:])
		if err != nil {
			return nil, errStateUnavailable(err)
		}
		if lease != nil {
			if !m.durable {
				return m.checkThenCreate(ctx, lease, a)
			}
			return m.run(ctx, lease, a)
		}
		if !bytes.Equal(rec.Fingerprint, a.fp[:]) {
			return nil, driver.InvalidArgument("request_id", "was already used for a different CreateInstance request")
		}
		if rec.Status == state.Pending {
			rec, err = m.st.Wait(ctx, a.key)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return nil, errStateUnavailable(err)
			}
			if rec == nil {
				continue // the first attempt surely created nothing: try ourselves
			}
		}
		switch rec.Status {
		case state.Succeeded:
			return decodeResult(rec)
		case state.Unknown:
			if wait := a.settle - rec.Age; wait > maxInlineSettle {
				// Too early to believe an absence, and too long to hold
				// the caller: a found instance answers, otherwise retry.
				found, err := a.find()
				if err == nil && found != nil {
					if lease, _, err := m.st.Reclaim(ctx, a.key, a.fp[:]); err == nil && lease != nil {
						m.succeed(ctx, a.key, lease, found)
						return found, nil
					}
					continue
				}
				return nil, outcomePending(rec.Detail, wait)
			}
			lease, _, err := m.st.Reclaim(ctx, a.key, a.fp[:])
			if err != nil {
				return nil, errStateUnavailable(err)
			}
			if lease == nil {
				continue // another caller is settling it (or did): read or wait
			}
			return m.resolve(ctx, lease, a, rec.Age, rec.Detail)
		}
		return nil, errStateUnavailable(errors.New("request record in state " + string(rec.Status)))
	}
}

func decodeResult(rec *state.Record) (*pb.Instance, error) {
	out := &pb.Instance{}
	if err := proto.Unmarshal(rec.Result, out); err != nil {
		return nil, errStateUnavailable(errors.New("stored CreateInstance result does not decode: " + err.Error()))
	}
	return out, nil
}

// checkThenCreate asks the vendor before a create whose earlier attempts
// the store may have forgotten.
func (m *idempotency) checkThenCreate(ctx context.Context, lease state.Lease, a attempt) (*pb.Instance, error) {
	found, err := a.find()
	if err != nil {
		m.store(ctx, a.key, lease.Release(context.WithoutCancel(ctx)))
		return nil, errLookupFailed(err)
	}
	if found != nil {
		m.succeed(ctx, a.key, lease, found)
		return found, nil
	}
	return m.run(ctx, lease, a)
}

// resolve settles an Unknown record the caller has reclaimed: the marked
// instance, or a create once its absence is certain.
func (m *idempotency) resolve(ctx context.Context, lease state.Lease, a attempt, age time.Duration, detail string) (*pb.Instance, error) {
	rctx := context.WithoutCancel(ctx)
	for {
		found, err := a.find()
		if err != nil {
			m.store(ctx, a.key, lease.Finish(rctx, state.Unknown, nil, detail))
			return nil, outcomeUnknown(detail, err)
		}
		if found != nil {
			m.succeed(ctx, a.key, lease, found)
			return found, nil
		}
		if age >= a.settle {
			return m.run(ctx, lease, a)
		}
		// The vendor may still be acting on the attempt: look again once
		// it has had settle to do so (at most maxInlineSettle; the claim
		// is held meanwhile, so concurrent retries wait for this answer).
		// A caller that goes away first leaves the record Unknown, as found.
		if !pause(ctx, a.settle-age, nil) {
			m.store(ctx, a.key, lease.Finish(rctx, state.Unknown, nil, detail))
			return nil, ctx.Err()
		}
		age = a.settle
	}
}

func (m *idempotency) succeed(ctx context.Context, key string, lease state.Lease, res *pb.Instance) {
	// The one-time admin password is handed out once, not replayed.
	kept := proto.Clone(res).(*pb.Instance)
	kept.AdminPassword = ""
	b, err := proto.Marshal(kept)
	rctx := context.WithoutCancel(ctx)
	if err != nil {
		m.store(ctx, key, lease.Finish(rctx, state.Unknown, nil, "the result could not be stored"))
		return
	}
	m.store(ctx, key, lease.Finish(rctx, state.Succeeded, b, ""))
}

func (m *idempotency) store(ctx context.Context, key string, err error) {
	if err != nil {
		m.log.WarnContext(ctx, "request_id record not stored: a retry with this request_id asks the backend for its marker",
			"key", key, "error", err.Error())
	}
}

// run makes the create under the claim and records its outcome. Recording
// is not cut short by the caller going away; if it fails (the store was
// lost meanwhile), the caller still gets the create's own answer, and the
// unrenewed claim lapses to Unknown for later retries. An unknown outcome
// is settled in the background too.
func (m *idempotency) run(ctx context.Context, lease state.Lease, a attempt) (*pb.Instance, error) {
	res, err := a.create()
	rctx := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		m.succeed(ctx, a.key, lease, res)
	case surelyNotCreated(err):
		m.store(ctx, a.key, lease.Release(rctx))
	default:
		detail := errorDetail(err)
		m.store(ctx, a.key, lease.Finish(rctx, state.Unknown, nil, detail))
		if m.background != nil {
			m.background(func(bctx context.Context) { m.settleLater(bctx, a) })
		}
	}
	return res, err
}

// settleLater settles an unknown outcome without waiting for a retry:
// once settle has passed, it looks for the marked instance and records it,
// or forgets the attempt when the instance is certainly absent (the next
// retry then creates); while the vendor cannot be asked it tries again,
// backing off, for a few minutes.
func (m *idempotency) settleLater(ctx context.Context, a attempt) {
	wait := a.settle
	for range 8 {
		if !pause(ctx, wait, nil) {
			return
		}
		wait = min(2*wait+time.Second, time.Minute)
		lease, rec, err := m.st.Reclaim(ctx, a.key, a.fp[:])
		if err != nil {
			continue
		}
		if lease == nil {
			if rec != nil && rec.Status == state.Pending {
				continue // a retry is settling it now
			}
			return // settled (or forgotten) already
		}
		found, err := a.find()
		switch {
		case err != nil:
			m.store(ctx, a.key, lease.Finish(context.WithoutCancel(ctx), state.Unknown, nil, "settling: the backend could not be asked"))
		case found != nil:
			m.succeed(ctx, a.key, lease, found)
			return
		default:
			m.store(ctx, a.key, lease.Release(context.WithoutCancel(ctx)))
			return
		}
	}
}

// errorDetail is what a retry is told about the first attempt's failure:
// the classified message only (an underlying error's text may carry
// backend detail that callers are not shown).
func errorDetail(err error) string {
	var de *driver.Error
	if errors.As(err, &de) {
		return "first attempt: " + de.Code.String() + ": " + de.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "first attempt: deadline exceeded"
	}
	return "first attempt: no definite answer"
}

func surelyNotCreated(err error) bool {
	if driver.IsNotCreated(err) { // the adapter knows the request never reached the vendor
		return true
	}
	switch driver.CodeOf(err) {
	case driver.CodeInvalidArgument, driver.CodeNotFound, driver.CodeFailedPrecondition,
		driver.CodeAlreadyExists, driver.CodeResourceExhausted, driver.CodePermissionDenied,
		driver.CodeUnimplemented, driver.CodeCredentialsRejected:
		return true
	}
	return false
}
