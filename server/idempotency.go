package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"

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
// A first attempt that surely created nothing (the vendor refused it) is
// forgotten so the caller can fix and retry with the same ID; one whose
// outcome is unknown (timeout, unreachable, or the replica making it died)
// is remembered as an error that says so, because creating again could
// make a second instance. When the store cannot be reached, a create with
// request_id is refused (STATE_UNAVAILABLE) rather than risk a duplicate.
type idempotency struct {
	st  state.Requests
	log *slog.Logger
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

func outcomeUnknown(detail string) error {
	msg := "an earlier CreateInstance with this request_id failed without a definite answer from the backend " +
		"(the instance may exist); list instances to check, and use a new request_id to create again"
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &driver.Error{Code: driver.CodeFailedPrecondition, Reason: "CREATE_OUTCOME_UNKNOWN", Message: msg}
}

func (m *idempotency) do(ctx context.Context, key string, fp [32]byte, create func() (*pb.Instance, error)) (*pb.Instance, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lease, rec, err := m.st.Claim(ctx, key, fp[:])
		if err != nil {
			return nil, errStateUnavailable(err)
		}
		if lease != nil {
			return m.run(ctx, key, lease, create)
		}
		if !bytes.Equal(rec.Fingerprint, fp[:]) {
			return nil, driver.InvalidArgument("request_id", "was already used for a different CreateInstance request")
		}
		if rec.Status == state.Pending {
			rec, err = m.st.Wait(ctx, key)
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
			out := &pb.Instance{}
			if err := proto.Unmarshal(rec.Result, out); err != nil {
				return nil, errStateUnavailable(errors.New("stored CreateInstance result does not decode: " + err.Error()))
			}
			return out, nil
		case state.Unknown:
			return nil, outcomeUnknown(rec.Detail)
		}
		return nil, errStateUnavailable(errors.New("request record in state " + string(rec.Status)))
	}
}

// run makes the create under the claim and records its outcome. Recording
// is not cut short by the caller going away; if it fails (the store was
// lost meanwhile), the caller still gets the create's own answer, and the
// unrenewed claim lapses to Unknown for later retries.
func (m *idempotency) run(ctx context.Context, key string, lease state.Lease, create func() (*pb.Instance, error)) (*pb.Instance, error) {
	res, err := create()
	rctx := context.WithoutCancel(ctx)
	var serr error
	switch {
	case err == nil:
		// The one-time admin password is handed out once, not replayed.
		kept := proto.Clone(res).(*pb.Instance)
		kept.AdminPassword = ""
		b, merr := proto.Marshal(kept)
		if merr != nil {
			serr = lease.Finish(rctx, state.Unknown, nil, "the result could not be stored")
		} else {
			serr = lease.Finish(rctx, state.Succeeded, b, "")
		}
	case surelyNotCreated(err):
		serr = lease.Release(rctx)
	default:
		serr = lease.Finish(rctx, state.Unknown, nil, errorDetail(err))
	}
	if serr != nil {
		m.log.Warn("request_id record not stored: a retry with this request_id will answer CREATE_OUTCOME_UNKNOWN",
			"key", key, "error", serr.Error())
	}
	return res, err
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
