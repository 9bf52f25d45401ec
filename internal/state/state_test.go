package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/computegw/computegw/internal/state/redistest"
)

// fleet makes n stores that share state, as n replicas do.
type fleet func(t *testing.T, n int) []Store

func memoryFleet(t *testing.T, n int) []Store {
	m := NewMemory(MemoryOptions{})
	out := make([]Store, n)
	for i := range out {
		out[i] = m
	}
	return out
}

// openRedis is a Redis store on the server at addr with opt, closed when
// the test ends.
func openRedis(t *testing.T, addr string, opt RedisOptions) *Redis {
	t.Helper()
	opt.Address = addr
	r, err := NewRedis(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// succeeded claims key on s and finishes it Succeeded with result; any
// error stops the test.
func succeeded(t *testing.T, ctx context.Context, s Store, key, result string) {
	t.Helper()
	l, _, err := s.Claim(ctx, key, []byte("fp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(ctx, Succeeded, []byte(result), ""); err != nil {
		t.Fatal(err)
	}
}

func redisFleet(opt RedisOptions) fleet {
	return func(t *testing.T, n int) []Store {
		srv := redistest.Start(t, redistest.Options{})
		out := make([]Store, n)
		for i := range out {
			out[i] = openRedis(t, srv.Addr, opt)
		}
		return out
	}
}

var fleets = map[string]fleet{
	"memory": memoryFleet,
	"redis":  redisFleet(RedisOptions{Poll: 5 * time.Millisecond}),
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// onFleets runs test on a fleet of n stores of each kind, with a context
// that ends with the test.
func onFleets(t *testing.T, n int, test func(t *testing.T, st []Store, ctx context.Context)) {
	for name, mk := range fleets {
		t.Run(name, func(t *testing.T) { test(t, mk(t, n), ctxT(t)) })
	}
}

// TestRequestRecords runs the record contract on both stores.
func TestRequestRecords(t *testing.T) {
	onFleets(t, 2, func(t *testing.T, st []Store, ctx context.Context) {
		a, b := st[0], st[1]
		fp := []byte("fingerprint\x00\xff")

		lease, rec, err := a.Claim(ctx, "c/r1", fp)
		if err != nil || lease == nil || rec != nil {
			t.Fatalf("first claim: lease %v rec %v err %v", lease, rec, err)
		}
		// A second claim (another replica) sees it pending.
		l2, rec, err := b.Claim(ctx, "c/r1", []byte("other"))
		if err != nil || l2 != nil || rec == nil || rec.Status != Pending || string(rec.Fingerprint) != string(fp) {
			t.Fatalf("second claim: lease %v rec %+v err %v", l2, rec, err)
		}
		got := make(chan *Record, 1)
		go func() {
			r, err := b.Wait(ctx, "c/r1")
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		select {
		case r := <-got:
			t.Fatalf("Wait returned %+v before Finish", r)
		case <-time.After(100 * time.Millisecond):
		}
		if err := lease.Finish(ctx, Succeeded, []byte("result\x00bytes"), ""); err != nil {
			t.Fatal(err)
		}
		r := <-got
		if r == nil || r.Status != Succeeded || string(r.Result) != "result\x00bytes" || string(r.Fingerprint) != string(fp) {
			t.Fatalf("waiter got %+v", r)
		}
		// Later claims read the record.
		if l, r, err := b.Claim(ctx, "c/r1", fp); l != nil || err != nil || r.Status != Succeeded || string(r.Result) != "result\x00bytes" {
			t.Fatalf("claim after finish: %v %+v %v", l, r, err)
		}

		// Unknown outcomes are remembered with their detail.
		lease, _, _ = a.Claim(ctx, "c/r2", fp)
		if err := lease.Finish(ctx, Unknown, nil, "connection reset"); err != nil {
			t.Fatal(err)
		}
		if _, r, _ := b.Claim(ctx, "c/r2", fp); r == nil || r.Status != Unknown || r.Detail != "connection reset" {
			t.Fatalf("unknown outcome: %+v", r)
		}

		// A released claim is gone: waiters get nil, and the next claim owns it.
		lease, _, _ = a.Claim(ctx, "c/r3", fp)
		go func() {
			r, err := b.Wait(ctx, "c/r3")
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		time.Sleep(50 * time.Millisecond)
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if r := <-got; r != nil {
			t.Fatalf("waiter on a released claim got %+v", r)
		}
		if l, r, err := b.Claim(ctx, "c/r3", fp); l == nil || r != nil || err != nil {
			t.Fatalf("claim after release: %v %+v %v", l, r, err)
		}
		if r, err := a.Wait(ctx, "c/none"); r != nil || err != nil {
			t.Fatalf("wait on no record: %+v %v", r, err)
		}
		// Wait honours ctx.
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := a.Wait(short, "c/r3"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("wait past its deadline: %v", err)
		}
	})
}

// TestClaimIsAtomic: many callers on several replicas at once, one owner.
func TestClaimIsAtomic(t *testing.T) {
	onFleets(t, 3, func(t *testing.T, st []Store, ctx context.Context) {
		for round := range 5 {
			key := fmt.Sprintf("c/atomic-%d", round)
			var owners atomic.Int32
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Go(func() {
					l, _, err := st[i%3].Claim(ctx, key, []byte("fp"))
					if err != nil {
						t.Error(err)
					}
					if l != nil {
						owners.Add(1)
					}
				})
			}
			wg.Wait()
			if n := owners.Load(); n != 1 {
				t.Fatalf("round %d: %d owners, want 1", round, n)
			}
		}
	})
}

// TestLeaseLapses: a replica that dies while it holds a claim (it stops
// renewing) leaves the record Unknown once the lease lapses, for claimers
// and waiters alike; one that lives keeps renewing past the lease.
func TestLeaseLapses(t *testing.T) {
	st := redisFleet(RedisOptions{Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond})(t, 2)
	a, b := st[0], st[1]
	ctx := ctxT(t)

	lease, _, err := a.Claim(ctx, "c/live", []byte("fp"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // > 3 leases: renewals keep it
	if _, r, _ := b.Claim(ctx, "c/live", []byte("fp")); r == nil || r.Status != Pending {
		t.Fatalf("a renewed claim lapsed: %+v", r)
	}
	if err := lease.Finish(ctx, Succeeded, []byte("x"), ""); err != nil {
		t.Fatal(err)
	}

	dead, _, err := a.Claim(ctx, "c/dead", []byte("fp"))
	if err != nil {
		t.Fatal(err)
	}
	dead.(*redisLease).end() // the owner dies: no more renewals, no Finish
	start := time.Now()
	r, err := b.Wait(ctx, "c/dead")
	if err != nil || r == nil || r.Status != Unknown || r.Detail != LeaseLapsedDetail {
		t.Fatalf("waiter on a dead owner: %+v %v", r, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the lapse took %v, lease is 300ms", d)
	}
	if _, r, _ := b.Claim(ctx, "c/dead", []byte("fp")); r == nil || r.Status != Unknown {
		t.Fatalf("claim after the lapse: %+v", r)
	}
	// The dead owner's late Finish still records the true outcome.
	if err := dead.Finish(ctx, Succeeded, []byte("late"), ""); err != nil {
		t.Fatal(err)
	}
	if _, r, _ := b.Claim(ctx, "c/dead", []byte("fp")); r == nil || r.Status != Succeeded || string(r.Result) != "late" {
		t.Fatalf("after the late finish: %+v", r)
	}
}

// TestRedisRecordsExpire: records live TTL from their claim (24h by
// default), checked on the server's own key TTLs, and a short TTL really
// expires.
func TestRedisRecordsExpire(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := ctxT(t)
	r := openRedis(t, srv.Addr, RedisOptions{KeyPrefix: "t1:"})
	succeeded(t, ctx, r, "c/ttl", "x")
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer raw.Close()
	ttl, err := raw.PTTL(ctx, "t1:request:{c/ttl}").Result()
	if err != nil || ttl < 24*time.Hour-time.Minute || ttl > 24*time.Hour {
		t.Fatalf("record TTL %v (%v), want 24h", ttl, err)
	}
	if n, _ := raw.Exists(ctx, "t1:request:{c/ttl}:lease").Result(); n != 0 {
		t.Errorf("lease left behind after Finish")
	}

	short := openRedis(t, srv.Addr, RedisOptions{KeyPrefix: "t2:", TTL: 200 * time.Millisecond})
	succeeded(t, ctx, short, "c/ttl", "x")
	time.Sleep(400 * time.Millisecond)
	if l, rec, err := short.Claim(ctx, "c/ttl", []byte("fp")); l == nil || rec != nil || err != nil {
		t.Fatalf("claim after expiry: %v %+v %v", l, rec, err)
	}
	// Prefixes separate fleets: t1's record is not t2's.
	if l, _, _ := short.Claim(ctx, "c/other", []byte("fp")); l == nil {
		t.Fatal("fresh key not claimable")
	}
	if l, rec, _ := r.Claim(ctx, "c/other", []byte("fp")); l == nil || rec != nil {
		t.Fatalf("prefix t1 sees prefix t2's record: %+v", rec)
	}
}

// TestRedisDownAndBack: with Redis stopped every call fails quickly with
// ErrUnavailable (no hang, no pretend-success); once it is back the same
// store works again by itself, and a cleanly restarted Redis kept its
// records.
func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := ctxT(t)
	r := openRedis(t, srv.Addr, RedisOptions{OpTimeout: 500 * time.Millisecond})
	succeeded(t, ctx, r, "c/before", "kept")
	srv.Stop()

	start := time.Now()
	if _, _, err := r.Claim(ctx, "c/down", []byte("fp")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("claim with Redis down: %v", err)
	}
	if _, err := r.Wait(ctx, "c/down"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wait with Redis down: %v", err)
	}
	if _, err := r.Logins("c").Begin(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("login gate with Redis down: %v", err)
	}
	if err := r.Check(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("check with Redis down: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing took %v", d)
	}

	srv.Restart()
	if err := r.Check(ctx); err != nil {
		t.Fatalf("check after restart: %v", err)
	}
	if _, rec, err := r.Claim(ctx, "c/before", []byte("fp")); err != nil || rec == nil || string(rec.Result) != "kept" {
		t.Fatalf("record after a clean restart: %+v %v", rec, err)
	}
	if l, _, err := r.Claim(ctx, "c/after", []byte("fp")); err != nil || l == nil {
		t.Fatalf("claim after restart: %v %v", l, err)
	}
}

// TestRedisPassword: a server with a password is used with it, refused
// without it, and the password never appears in an error.
func TestRedisPassword(t *testing.T) {
	const pw = "S3cret-redis-PW"
	srv := redistest.Start(t, redistest.Options{Password: pw})
	ctx := ctxT(t)
	good := openRedis(t, srv.Addr, RedisOptions{Password: pw})
	if err := good.Check(ctx); err != nil {
		t.Fatalf("right password: %v", err)
	}
	bad := openRedis(t, srv.Addr, RedisOptions{Password: pw + "-wrong"})
	_, _, err := bad.Claim(ctx, "c/x", []byte("fp"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("the password is in the error: %v", err)
	}
	if !strings.Contains(err.Error(), "WRONGPASS") && !strings.Contains(err.Error(), "invalid") {
		t.Errorf("the error does not say what is wrong: %v", err)
	}
}

// TestLoginGate runs the shared back-off contract on both stores: one
// login at a time fleet-wide, a rejection backs everyone off (doubling up
// to the cap), a success clears it for all.
func TestLoginGate(t *testing.T) {
	onFleets(t, 2, func(t *testing.T, st []Store, ctx context.Context) {
		ga, gb := st[0].Logins("k5-uk1"), st[1].Logins("k5-uk1")

		turn, err := ga.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The other replica waits for the turn.
		begun := make(chan error, 1)
		go func() {
			_, err := gb.Begin(ctx)
			begun <- err
		}()
		select {
		case err := <-begun:
			t.Fatalf("second login began while the first held the turn: %v", err)
		case <-time.After(150 * time.Millisecond):
		}
		at, err := turn.Rejected(ctx, 300*time.Millisecond, 500*time.Millisecond, "BACKEND_CREDENTIALS_REJECTED", "password rejected")
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(at); d < 100*time.Millisecond || d > 400*time.Millisecond {
			t.Errorf("first back-off ends in %v, want ~300ms", d)
		}
		var b *BackedOff
		if err := <-begun; !errors.As(err, &b) || b.Message != "password rejected" || b.Reason != "BACKEND_CREDENTIALS_REJECTED" {
			t.Fatalf("the waiting replica: %v", err)
		}
		// Another rejection after the pause doubles it, capped at 500ms.
		time.Sleep(time.Until(at) + 20*time.Millisecond)
		turn, err = gb.Begin(ctx)
		if err != nil {
			t.Fatalf("after the back-off: %v", err)
		}
		at, _ = turn.Rejected(ctx, 300*time.Millisecond, 500*time.Millisecond, "R", "again")
		if d := time.Until(at); d < 350*time.Millisecond || d > 600*time.Millisecond {
			t.Errorf("second back-off ends in %v, want ~500ms (capped doubling)", d)
		}
		if _, err := ga.Begin(ctx); !errors.As(err, &b) {
			t.Fatalf("during the second back-off: %v", err)
		}
		time.Sleep(time.Until(at) + 20*time.Millisecond)
		turn, err = ga.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := turn.Succeeded(ctx); err != nil {
			t.Fatal(err)
		}
		// Cleared for all: the next rejection starts from first again.
		turn, err = gb.Begin(ctx)
		if err != nil {
			t.Fatalf("after a success: %v", err)
		}
		at, _ = turn.Rejected(ctx, 300*time.Millisecond, 500*time.Millisecond, "R", "x")
		if d := time.Until(at); d > 400*time.Millisecond {
			t.Errorf("back-off after a success starts at %v, want ~300ms", d)
		}
		// Abandon gives the turn back without a back-off; another cloud is separate.
		other, err := st[0].Logins("other").Begin(ctx)
		if err != nil {
			t.Fatalf("another cloud is backed off too: %v", err)
		}
		_ = other.Abandon(ctx)
		if turn, err := st[1].Logins("other").Begin(ctx); err != nil {
			t.Fatalf("after abandon: %v", err)
		} else {
			_ = turn.Abandon(ctx)
		}
	})
}

// TestReclaim: an Unknown record is taken over by one reclaimer (same
// fingerprint only), waiters wait for the new owner, the earlier owner's
// late Finish no longer counts, and Age tells how long ago the status was
// set.
func TestReclaim(t *testing.T) {
	onFleets(t, 3, func(t *testing.T, st []Store, ctx context.Context) {
		fp := []byte("fp")
		first, _, err := st[0].Claim(ctx, "c/re", fp)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Finish(ctx, Unknown, nil, "reset"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(120 * time.Millisecond)
		_, rec, err := st[1].Claim(ctx, "c/re", fp)
		if err != nil || rec == nil || rec.Status != Unknown || rec.Age < 100*time.Millisecond || rec.Age > 10*time.Second {
			t.Fatalf("claim of the unknown record: %+v %v (want Unknown, Age about 120ms)", rec, err)
		}
		// Another fingerprint cannot take it over.
		if l, rec, err := st[1].Reclaim(ctx, "c/re", []byte("other")); l != nil || err != nil || rec == nil || rec.Status != Unknown {
			t.Fatalf("reclaim with another fingerprint: %v %+v %v", l, rec, err)
		}
		var owners atomic.Int32
		var leases = make(chan Lease, 30)
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				l, rec, err := st[i%3].Reclaim(ctx, "c/re", fp)
				if err != nil {
					t.Error(err)
				}
				if l != nil {
					owners.Add(1)
					leases <- l
				} else if rec == nil || rec.Status != Pending {
					t.Errorf("a losing reclaimer got %+v, want Pending", rec)
				}
			})
		}
		wg.Wait()
		if n := owners.Load(); n != 1 {
			t.Fatalf("%d reclaim owners, want 1", n)
		}
		owner := <-leases
		got := make(chan *Record, 1)
		go func() {
			r, err := st[2].Wait(ctx, "c/re")
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		time.Sleep(50 * time.Millisecond)
		// The first owner's late answer is ignored: the record is the
		// reclaimer's now.
		_ = first.Finish(ctx, Succeeded, []byte("late"), "")
		time.Sleep(50 * time.Millisecond)
		if len(got) > 0 {
			t.Fatal("the waiter returned before the reclaimer finished")
		}
		if err := owner.Finish(ctx, Succeeded, []byte("found"), ""); err != nil {
			t.Fatal(err)
		}
		if r := <-got; r == nil || r.Status != Succeeded || string(r.Result) != "found" {
			t.Fatalf("waiter got %+v, want the reclaimer's result", r)
		}
		// Reclaim of a missing record claims it; of a finished one reads it.
		if l, r, err := st[0].Reclaim(ctx, "c/fresh", fp); l == nil || r != nil || err != nil {
			t.Fatalf("reclaim of no record: %v %+v %v", l, r, err)
		}
		if l, r, err := st[0].Reclaim(ctx, "c/re", fp); l != nil || err != nil || r.Status != Succeeded {
			t.Fatalf("reclaim of a succeeded record: %v %+v %v", l, r, err)
		}
		// A reclaimer that releases leaves no record.
		l, _, _ := st[0].Claim(ctx, "c/rel", fp)
		_ = l.Finish(ctx, Unknown, nil, "x")
		l, _, _ = st[1].Reclaim(ctx, "c/rel", fp)
		if l == nil {
			t.Fatal("no reclaim lease")
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if r, err := st[2].Wait(ctx, "c/rel"); r != nil || err != nil {
			t.Fatalf("after the reclaimer's release: %+v %v", r, err)
		}
	})
}
