package server

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// idempotency remembers CreateInstance results by request_id (AIP-155), so
// a retried create returns the first result instead of creating again.
// Concurrent retries wait for the first attempt. A first attempt that surely
// created nothing (the vendor refused it) is forgotten so the caller can fix
// and retry with the same ID; one whose outcome is unknown (timeout,
// unreachable) is remembered as an error that says so, because creating
// again could make a second instance.
type idempotency struct {
	mu      sync.Mutex
	entries map[string]*idemEntry
	order   []string // insertion order, for eviction
	ttl     time.Duration
	max     int
	now     func() time.Time
}

type idemEntry struct {
	fp      [32]byte
	done    chan struct{}
	result  *pb.Instance
	err     error
	expires time.Time
}

func newIdempotency(ttl time.Duration, max int, now func() time.Time) *idempotency {
	return &idempotency{entries: map[string]*idemEntry{}, ttl: ttl, max: max, now: now}
}

// fingerprint identifies a create request, request_id aside.
func fingerprint(req *pb.CreateInstanceRequest) [32]byte {
	c := proto.Clone(req).(*pb.CreateInstanceRequest)
	c.RequestId = ""
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	return sha256.Sum256(b)
}

func (m *idempotency) do(ctx context.Context, key string, fp [32]byte, create func() (*pb.Instance, error)) (*pb.Instance, error) {
	m.mu.Lock()
	m.evictLocked()
	e, found := m.entries[key]
	if !found {
		e = &idemEntry{fp: fp, done: make(chan struct{}), expires: m.now().Add(m.ttl)}
		m.entries[key] = e
		m.order = append(m.order, key)
	}
	m.mu.Unlock()

	if found {
		if e.fp != fp {
			return nil, driver.InvalidArgument("request_id", "was already used for a different CreateInstance request")
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		return proto.Clone(e.result).(*pb.Instance), nil
	}

	res, err := create()
	m.mu.Lock()
	switch {
	case err == nil:
		// The one-time admin password is handed out once, not replayed.
		kept := proto.Clone(res).(*pb.Instance)
		kept.AdminPassword = ""
		e.result = kept
	case surelyNotCreated(err):
		delete(m.entries, key)
		e.err = err
	default:
		e.err = &driver.Error{Code: driver.CodeFailedPrecondition, Reason: "CREATE_OUTCOME_UNKNOWN",
			Message: "an earlier CreateInstance with this request_id failed without a definite answer from the backend " +
				"(the instance may exist); list instances to check, and use a new request_id to create again",
			Err: err}
	}
	close(e.done)
	m.mu.Unlock()
	return res, err
}

func surelyNotCreated(err error) bool {
	switch driver.CodeOf(err) {
	case driver.CodeInvalidArgument, driver.CodeNotFound, driver.CodeFailedPrecondition,
		driver.CodeAlreadyExists, driver.CodeResourceExhausted, driver.CodePermissionDenied,
		driver.CodeUnimplemented, driver.CodeCredentialsRejected:
		return true
	}
	return false
}

// evictLocked drops, oldest first, entries that expired or would leave no
// room under the size bound for one more, stopping at the first one still
// running.
func (m *idempotency) evictLocked() {
	now := m.now()
	for len(m.order) > 0 {
		key := m.order[0]
		if e, ok := m.entries[key]; ok {
			if now.Before(e.expires) && len(m.order) < m.max {
				return
			}
			select {
			case <-e.done:
				delete(m.entries, key)
			default:
				return // still running: keep it and all after it
			}
		}
		m.order = m.order[1:]
	}
}
