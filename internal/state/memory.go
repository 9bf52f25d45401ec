package state

import (
	"context"
	"sync"
	"time"
)

// MemoryOptions tune NewMemory. Zero values pick the defaults.
type MemoryOptions struct {
	// TTL is how long a request record is kept after its claim (24h).
	TTL time.Duration
	// MaxEntries bounds the request records kept (100000); the oldest
	// finished ones go first.
	MaxEntries int
	Now        func() time.Time
}

// Memory is the in-process store: state shared by the callers of one
// process only. It is the default, and what demo mode uses.
type Memory struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*memEntry
	order   []string // claim order, for eviction
	logins  map[string]*memGate
}

type memEntry struct {
	rec     Record
	done    chan struct{} // closed when the record stops being Pending
	expires time.Time
	at      time.Time // when rec.Status was set
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-process store.
func NewMemory(opt MemoryOptions) *Memory {
	if opt.TTL <= 0 {
		opt.TTL = 24 * time.Hour
	}
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 100000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Memory{ttl: opt.TTL, max: opt.MaxEntries, now: opt.Now,
		entries: map[string]*memEntry{}, logins: map[string]*memGate{}}
}

// Kind implements Store.
func (m *Memory) Kind() string { return "memory" }

// Check implements Store: the process's own memory is always there.
func (m *Memory) Check(context.Context) error { return nil }

// Close implements Store.
func (m *Memory) Close() error { return nil }

// Len reports how many request records are kept (tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Claim implements Requests.
func (m *Memory) Claim(_ context.Context, key string, fp []byte) (Lease, *Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evictLocked()
	if e, ok := m.entries[key]; ok {
		return nil, m.recordLocked(e), nil
	}
	e := &memEntry{rec: Record{Status: Pending, Fingerprint: append([]byte(nil), fp...)},
		done: make(chan struct{}), expires: m.now().Add(m.ttl), at: m.now()}
	m.entries[key] = e
	m.order = append(m.order, key)
	return &memLease{m: m, key: key, e: e, done: e.done}, nil, nil
}

func (m *Memory) recordLocked(e *memEntry) *Record {
	r := e.rec
	r.Age = m.now().Sub(e.at)
	return &r
}

// Reclaim implements Requests.
func (m *Memory) Reclaim(ctx context.Context, key string, fp []byte) (Lease, *Record, error) {
	m.mu.Lock()
	e, ok := m.entries[key]
	if ok && e.rec.Status == Unknown && string(e.rec.Fingerprint) == string(fp) {
		e.rec.Status, e.rec.Detail = Pending, ""
		e.done, e.at = make(chan struct{}), m.now()
		m.mu.Unlock()
		return &memLease{m: m, key: key, e: e, done: e.done}, nil, nil
	}
	m.mu.Unlock()
	return m.Claim(ctx, key, fp)
}

// Wait implements Requests.
func (m *Memory) Wait(ctx context.Context, key string) (*Record, error) {
	m.mu.Lock()
	e, ok := m.entries[key]
	var done chan struct{}
	if ok {
		done = e.done
	}
	m.mu.Unlock()
	if !ok {
		return nil, nil
	}
	for {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m.mu.Lock()
		if cur, ok := m.entries[key]; !ok || cur != e {
			m.mu.Unlock()
			return nil, nil // released (or evicted): the caller may claim
		}
		if e.rec.Status != Pending {
			defer m.mu.Unlock()
			return m.recordLocked(e), nil
		}
		done = e.done // reclaimed meanwhile: wait for the new owner
		m.mu.Unlock()
	}
}

type memLease struct {
	m    *Memory
	key  string
	e    *memEntry
	done chan struct{} // the entry's done channel when this lease was made
	once sync.Once
}

// mine reports whether the lease still owns its entry (not reclaimed by
// another since).
func (l *memLease) mine() bool { return l.m.entries[l.key] == l.e && l.e.done == l.done }

func (l *memLease) Finish(_ context.Context, status Status, result []byte, detail string) error {
	l.once.Do(func() {
		l.m.mu.Lock()
		defer l.m.mu.Unlock()
		if !l.mine() || l.e.rec.Status != Pending {
			return
		}
		l.e.rec.Status, l.e.rec.Result, l.e.rec.Detail = status, result, detail
		l.e.at = l.m.now()
		close(l.done)
	})
	return nil
}

func (l *memLease) Release(context.Context) error {
	l.once.Do(func() {
		l.m.mu.Lock()
		defer l.m.mu.Unlock()
		if !l.mine() || l.e.rec.Status != Pending {
			return
		}
		delete(l.m.entries, l.key)
		close(l.done)
	})
	return nil
}

// evictLocked drops, oldest first, records that expired or would leave no
// room under the size bound for one more, stopping at the first one still
// pending.
func (m *Memory) evictLocked() {
	now := m.now()
	for len(m.order) > 0 {
		key := m.order[0]
		if e, ok := m.entries[key]; ok {
			if now.Before(e.expires) && len(m.entries) < m.max {
				return
			}
			if e.rec.Status == Pending {
				return // still running: keep it and all after it
			}
			delete(m.entries, key)
		}
		m.order = m.order[1:]
	}
}

// --- logins --------------------------------------------------------------------

type memGate struct {
	m       *Memory
	held    bool
	free    chan struct{} // closed and replaced when the turn is given back
	retryAt time.Time
	backoff time.Duration
	reason  string
	message string
}

// Logins implements Store.
func (m *Memory) Logins(key string) LoginGate {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.logins[key]
	if !ok {
		g = &memGate{m: m, free: make(chan struct{})}
		m.logins[key] = g
	}
	return g
}

func (g *memGate) Begin(ctx context.Context) (LoginTurn, error) {
	for {
		g.m.mu.Lock()
		if g.m.now().Before(g.retryAt) {
			b := &BackedOff{RetryAt: g.retryAt, Reason: g.reason, Message: g.message}
			g.m.mu.Unlock()
			return nil, b
		}
		if !g.held {
			g.held = true
			g.m.mu.Unlock()
			return &memTurn{g: g}, nil
		}
		free := g.free
		g.m.mu.Unlock()
		select {
		case <-free:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

type memTurn struct {
	g    *memGate
	once sync.Once
}

// end gives the turn back, applying change under the lock.
func (t *memTurn) end(change func(g *memGate)) {
	t.once.Do(func() {
		g := t.g
		g.m.mu.Lock()
		change(g)
		g.held = false
		close(g.free)
		g.free = make(chan struct{})
		g.m.mu.Unlock()
	})
}

func (t *memTurn) Rejected(_ context.Context, first, max time.Duration, reason, message string) (time.Time, error) {
	var at time.Time
	t.end(func(g *memGate) {
		if g.backoff == 0 {
			g.backoff = first
		} else {
			g.backoff = min(2*g.backoff, max)
		}
		g.retryAt, g.reason, g.message = g.m.now().Add(g.backoff), reason, message
		at = g.retryAt
	})
	return at, nil
}

func (t *memTurn) Succeeded(context.Context) error {
	t.end(func(g *memGate) { g.retryAt, g.backoff, g.reason, g.message = time.Time{}, 0, "", "" })
	return nil
}

func (t *memTurn) Abandon(context.Context) error {
	t.end(func(*memGate) {})
	return nil
}
