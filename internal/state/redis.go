package state

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure NewRedis (the config's state.redis).
type RedisOptions struct {
	Address  string // host:port
	Username string // optional (Redis ACL user)
	Password string // optional; never logged
	TLS      bool   // TLS with the system's roots (SSL_CERT_FILE adds a CA)
	// KeyPrefix starts every key (default "computegw:"). Gateways share
	// state exactly when they use the same Redis and prefix.
	KeyPrefix string
	// TTL is how long a request record is kept after its claim (24h).
	TTL time.Duration
	// Lease is how long a claimed record stays claimed without a renewal
	// from its owner (default 10s, renewed every third of it): a replica
	// that dies mid-create leaves its record Unknown after at most this.
	Lease time.Duration
	// LoginHold bounds how long one login turn is held if its holder
	// vanishes (default 45s: above the 30s login timeout).
	LoginHold time.Duration
	// Poll is the first interval at which a waiter polls (default 50ms,
	// growing to 500ms).
	Poll time.Duration
	// OpTimeout bounds one Redis command (default 2s).
	OpTimeout time.Duration
	Logger    *slog.Logger
}

// Redis is the shared store in a Redis server (one server or a primary
// with replicas behind one address; not Redis Cluster).
type Redis struct {
	c   *redis.Client
	opt RedisOptions
	log *slog.Logger

	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	healthy bool
	lastErr error
}

var _ Store = (*Redis)(nil)

// NewRedis connects lazily: it returns at once, and a Redis that is down
// now is used as soon as it answers (connections are re-made by
// themselves). It watches the connection and logs when it is lost and when
// it is back.
func NewRedis(opt RedisOptions) (*Redis, error) {
	if opt.Address == "" {
		return nil, errors.New("state.redis.address: required")
	}
	if opt.KeyPrefix == "" {
		opt.KeyPrefix = "computegw:"
	}
	if opt.TTL <= 0 {
		opt.TTL = 24 * time.Hour
	}
	if opt.Lease <= 0 {
		opt.Lease = 10 * time.Second
	}
	if opt.LoginHold <= 0 {
		opt.LoginHold = 45 * time.Second
	}
	if opt.Poll <= 0 {
		opt.Poll = 50 * time.Millisecond
	}
	if opt.OpTimeout <= 0 {
		opt.OpTimeout = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	ro := &redis.Options{
		Addr:     opt.Address,
		Username: opt.Username,
		Password: opt.Password,
		// Fail fast: a create waits on these, and a Redis that does not
		// answer must become STATE_UNAVAILABLE quickly, not hang.
		DialTimeout:  opt.OpTimeout,
		ReadTimeout:  opt.OpTimeout,
		WriteTimeout: opt.OpTimeout,
		PoolTimeout:  opt.OpTimeout,
		MaxRetries:   1,
		// Honour the caller's deadline on every command.
		ContextTimeoutEnabled: true,
		// No CLIENT SETINFO: older or restricted servers reject it.
		DisableIdentity: true,
	}
	if opt.TLS {
		host := opt.Address
		if h, _, err := net.SplitHostPort(opt.Address); err == nil {
			host = h
		}
		ro.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	}
	r := &Redis{c: redis.NewClient(ro), opt: opt, log: opt.Logger, stop: make(chan struct{}), healthy: true}
	r.wg.Add(1)
	go r.watch()
	return r, nil
}

// Kind implements Store.
func (r *Redis) Kind() string { return "redis" }

// Close implements Store.
func (r *Redis) Close() error {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.wg.Wait()
	return r.c.Close()
}

// Check implements Store: one PING.
func (r *Redis) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opt.OpTimeout)
	defer cancel()
	if err := r.c.Ping(ctx).Err(); err != nil {
		r.note(err)
		return unavailable("redis ping", err)
	}
	r.note(nil)
	return nil
}

// note logs a change of reachability (once per change, not per call).
func (r *Redis) note(err error) {
	r.mu.Lock()
	was := r.healthy
	r.healthy, r.lastErr = err == nil, err
	r.mu.Unlock()
	switch {
	case was && err != nil:
		r.log.Warn("state store unreachable: CreateInstance with request_id answers UNAVAILABLE until it is back",
			"store", "redis", "address", r.opt.Address, "error", err.Error())
	case !was && err == nil:
		r.log.Info("state store reachable again", "store", "redis", "address", r.opt.Address)
	}
}

// watch pings every few seconds so that a lost or recovered Redis is logged
// even when no create needs it.
func (r *Redis) watch() {
	defer r.wg.Done()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	_ = r.Check(context.Background())
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			_ = r.Check(context.Background())
		}
	}
}

// op bounds one command and reports errors as unavailability.
func (r *Redis) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opt.OpTimeout)
}

func (r *Redis) fail(op string, err error) error {
	// Also a deadline (the caller's, or Redis too slow): either way the
	// state is not known.
	r.note(err)
	return unavailable(op, err)
}

func (r *Redis) recordKeys(key string) []string {
	k := r.opt.KeyPrefix + "request:{" + key + "}"
	return []string{k, k + ":lease"}
}

func token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// peekScript reads a record (KEYS[1]) and, in modes "claim" and
// "reclaim", creates it pending with a lease (KEYS[2]) when there is none.
// A pending record without its lease is turned unknown: its owner is gone.
// In mode "reclaim" an unknown record with the same fingerprint is taken
// over: pending again, under the new owner and lease.
//
// ARGV: mode, fingerprint, owner token, lease ms, ttl ms, lapsed detail.
// Reply: {"claimed"} | {"none"} | {status, fingerprint, result, detail, age ms}.
// Times are the Redis server's (TIME).
var peekScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local st = redis.call('HGET', KEYS[1], 'status')
if not st then
  if ARGV[1] == 'peek' then return {'none'} end
  redis.call('HSET', KEYS[1], 'status', 'pending', 'fp', ARGV[2], 'owner', ARGV[3], 'at', now)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  return {'claimed'}
end
if st == 'pending' and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'status', 'unknown', 'detail', ARGV[6], 'at', now)
  st = 'unknown'
end
local f = redis.call('HMGET', KEYS[1], 'fp', 'result', 'detail', 'at')
if ARGV[1] == 'reclaim' and st == 'unknown' and f[1] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'status', 'pending', 'owner', ARGV[3], 'detail', '', 'at', now)
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  return {'claimed'}
end
return {st, f[1] or '', f[2] or '', f[3] or '', tostring(now - (tonumber(f[4] or now) or now))}
`)

// finishScript stores the owner's final record. ARGV: owner, status,
// result, detail. A record that is no longer the owner's is left alone.
var finishScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'result', ARGV[3], 'detail', ARGV[4], 'at', now)
redis.call('DEL', KEYS[2])
return 1
`)

// releaseScript deletes the owner's record. ARGV: owner.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`)

// renewScript extends the owner's lease. ARGV: owner, lease ms.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`)

func (r *Redis) peek(ctx context.Context, key, mode string, fp []byte, owner string) ([]any, error) {
	ctx, cancel := r.op(ctx)
	defer cancel()
	res, err := peekScript.Run(ctx, r.c, r.recordKeys(key), mode, fp, owner,
		r.opt.Lease.Milliseconds(), r.opt.TTL.Milliseconds(), LeaseLapsedDetail).Slice()
	if err != nil {
		return nil, r.fail("redis request record", err)
	}
	r.note(nil)
	return res, nil
}

func recordOf(res []any) (*Record, error) {
	if len(res) != 5 {
		return nil, fmt.Errorf("request record: %w: unexpected reply %v", ErrUnavailable, res)
	}
	s := func(i int) string { v, _ := res[i].(string); return v }
	rec := &Record{Status: Status(s(0)), Fingerprint: []byte(s(1)), Detail: s(3)}
	if ms, err := strconv.ParseInt(s(4), 10, 64); err == nil && ms > 0 {
		rec.Age = time.Duration(ms) * time.Millisecond
	}
	if v := s(2); v != "" {
		rec.Result = []byte(v)
	}
	switch rec.Status {
	case Pending, Succeeded, Unknown:
		return rec, nil
	}
	return nil, fmt.Errorf("request record: %w: unknown status %q", ErrUnavailable, rec.Status)
}

// Claim implements Requests.
func (r *Redis) Claim(ctx context.Context, key string, fp []byte) (Lease, *Record, error) {
	return r.claim(ctx, key, "claim", fp)
}

// Reclaim implements Requests.
func (r *Redis) Reclaim(ctx context.Context, key string, fp []byte) (Lease, *Record, error) {
	return r.claim(ctx, key, "reclaim", fp)
}

func (r *Redis) claim(ctx context.Context, key, mode string, fp []byte) (Lease, *Record, error) {
	owner := token()
	res, err := r.peek(ctx, key, mode, fp, owner)
	if err != nil {
		return nil, nil, err
	}
	if len(res) == 1 && res[0] == "claimed" {
		l := &redisLease{r: r, key: key, owner: owner, stop: make(chan struct{})}
		l.wg.Add(1)
		go l.renew()
		return l, nil, nil
	}
	rec, err := recordOf(res)
	return nil, rec, err
}

// Wait implements Requests: it polls, from every Poll up to 500ms.
func (r *Redis) Wait(ctx context.Context, key string) (*Record, error) {
	return poll(ctx, r.opt.Poll, func() (*Record, bool, error) {
		res, err := r.peek(ctx, key, "peek", nil, "")
		if err != nil {
			if ctx.Err() != nil {
				return nil, true, ctx.Err()
			}
			return nil, true, err
		}
		if len(res) == 1 {
			return nil, true, nil // "none"
		}
		rec, err := recordOf(res)
		return rec, err != nil || rec.Status != Pending, err
	})
}

// poll calls try until it is done (or fails), pausing between tries from
// every, doubled each time up to 500ms; ctx ends the wait.
func poll[T any](ctx context.Context, every time.Duration, try func() (v T, done bool, err error)) (T, error) {
	for {
		v, done, err := try()
		if done || err != nil {
			return v, err
		}
		select {
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		case <-time.After(every):
		}
		every = min(2*every, 500*time.Millisecond)
	}
}

type redisLease struct {
	r     *Redis
	key   string
	owner string
	once  sync.Once
	stop  chan struct{}
	wg    sync.WaitGroup
}

// renew keeps the lease alive until Finish or Release. A renewal that
// fails (Redis down) is retried on the next tick; if the lease lapses
// meanwhile, the record turns Unknown, which is the safe answer.
func (l *redisLease) renew() {
	defer l.wg.Done()
	t := time.NewTicker(l.r.opt.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := l.r.op(context.Background())
			err := renewScript.Run(ctx, l.r.c, l.r.recordKeys(l.key), l.owner, l.r.opt.Lease.Milliseconds()).Err()
			cancel()
			if err != nil {
				l.r.note(err)
			}
		}
	}
}

func (l *redisLease) end() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

func (l *redisLease) Finish(ctx context.Context, status Status, result []byte, detail string) error {
	l.end()
	ctx, cancel := l.r.op(ctx)
	defer cancel()
	if err := finishScript.Run(ctx, l.r.c, l.r.recordKeys(l.key), l.owner, string(status), result, detail).Err(); err != nil {
		return l.r.fail("redis finish request record", err)
	}
	return nil
}

func (l *redisLease) Release(ctx context.Context) error {
	l.end()
	ctx, cancel := l.r.op(ctx)
	defer cancel()
	if err := releaseScript.Run(ctx, l.r.c, l.r.recordKeys(l.key), l.owner).Err(); err != nil {
		return l.r.fail("redis release request record", err)
	}
	return nil
}

// --- logins --------------------------------------------------------------------

type redisGate struct {
	r    *Redis
	keys []string // back-off hash, turn key
}

// Logins implements Store.
func (r *Redis) Logins(key string) LoginGate {
	k := r.opt.KeyPrefix + "login:{" + key + "}"
	return &redisGate{r: r, keys: []string{k, k + ":turn"}}
}

// beginScript: a back-off in force is returned as such; otherwise the turn
// is taken if free. Times are the Redis server's (TIME), so replicas'
// clocks do not matter. ARGV: owner, hold ms.
// Reply: {"turn"} | {"busy"} | {"backoff", retry_at_ms, reason, message}.
var beginScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'retry_at', 'reason', 'message')
local at = tonumber(b[1] or '0') or 0
if at > now then return {'backoff', tostring(at), b[2] or '', b[3] or ''} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'turn'} end
return {'busy'}
`)

// rejectedScript doubles the back-off (first, then 2x up to max) and ends
// the turn. ARGV: owner, first ms, max ms, reason, message, keep ms.
// Reply: retry_at ms.
var rejectedScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = tonumber(redis.call('HGET', KEYS[1], 'backoff') or '0') or 0
if b == 0 then b = tonumber(ARGV[2]) else b = math.min(2 * b, tonumber(ARGV[3])) end
local at = now + b
redis.call('HSET', KEYS[1], 'backoff', tostring(b), 'retry_at', tostring(at), 'reason', ARGV[4], 'message', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return tostring(at)
`)

// endScript ends the turn; ARGV[2] == "clear" also clears the back-off.
var endScript = redis.NewScript(`
if ARGV[2] == 'clear' then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`)

func (g *redisGate) Begin(ctx context.Context) (LoginTurn, error) {
	owner := token()
	return poll(ctx, g.r.opt.Poll, func() (LoginTurn, bool, error) {
		octx, cancel := g.r.op(ctx)
		res, err := beginScript.Run(octx, g.r.c, g.keys, owner, g.r.opt.LoginHold.Milliseconds()).Slice()
		cancel()
		if err != nil {
			return nil, true, g.r.fail("redis login gate", err)
		}
		g.r.note(nil)
		s := func(i int) string {
			if i >= len(res) {
				return ""
			}
			v, _ := res[i].(string)
			return v
		}
		switch s(0) {
		case "turn":
			return &redisTurn{g: g, owner: owner}, true, nil
		case "backoff":
			ms, _ := strconv.ParseInt(s(1), 10, 64)
			return nil, true, &BackedOff{RetryAt: time.UnixMilli(ms), Reason: s(2), Message: s(3)}
		case "busy":
			return nil, false, nil
		default:
			return nil, true, fmt.Errorf("redis login gate: %w: unexpected reply %v", ErrUnavailable, res)
		}
	})
}

type redisTurn struct {
	g     *redisGate
	owner string
}

func (t *redisTurn) Rejected(ctx context.Context, first, most time.Duration, reason, message string) (time.Time, error) {
	ctx, cancel := t.g.r.op(ctx)
	defer cancel()
	// The back-off state outlives its pause (so the next rejection
	// doubles it) for a day, or until a login succeeds.
	keep := max(24*time.Hour, 4*most)
	s, err := rejectedScript.Run(ctx, t.g.r.c, t.g.keys, t.owner, first.Milliseconds(), most.Milliseconds(),
		reason, message, keep.Milliseconds()).Text()
	if err != nil {
		return time.Time{}, t.g.r.fail("redis login back-off", err)
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("redis login back-off: %w: reply %q", ErrUnavailable, s)
	}
	return time.UnixMilli(ms), nil
}

func (t *redisTurn) Succeeded(ctx context.Context) error { return t.end(ctx, "clear") }
func (t *redisTurn) Abandon(ctx context.Context) error   { return t.end(ctx, "keep") }

func (t *redisTurn) end(ctx context.Context, mode string) error {
	ctx, cancel := t.g.r.op(ctx)
	defer cancel()
	if err := endScript.Run(ctx, t.g.r.c, t.g.keys, t.owner, mode).Err(); err != nil {
		return t.g.r.fail("redis login gate", err)
	}
	return nil
}
