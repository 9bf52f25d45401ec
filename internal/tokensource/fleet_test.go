package tokensource

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/eventually"
	"github.com/computegw/computegw/internal/state"
	"github.com/computegw/computegw/internal/state/redistest"
	"github.com/computegw/computegw/internal/testclock"
)

// vendor is one cloud's identity service: it counts attempts and rejects
// the password until good is set.
type vendor struct {
	mu       sync.Mutex
	attempts []time.Time
	good     atomic.Bool
	now      func() time.Time
}

func (v *vendor) fetch(ctx context.Context) (Token, error) {
	v.mu.Lock()
	v.attempts = append(v.attempts, v.now())
	v.mu.Unlock()
	if v.good.Load() {
		return Token{Value: "tok", Expires: v.now().Add(time.Hour)}, nil
	}
	return Token{}, &driver.Error{Code: driver.CodeCredentialsRejected, Message: "The request you have made requires authentication."}
}

func (v *vendor) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.attempts)
}

// TestFleetBackoffK5Window: two replicas sharing one gate, both called
// every 10 s for an hour with K5's back-off (5 min doubling to 15): in any
// 15 minutes the fleet makes at most 3 password attempts, as one process
// would; without the gate they would make twice as many.
func TestFleetBackoffK5Window(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	v := &vendor{now: clock.Now}
	st := state.NewMemory(state.MemoryOptions{Now: clock.Now})
	var replicas []*Source
	for range 2 {
		replicas = append(replicas, New(v.fetch, Options{Now: clock.Now, RejectBackoff: 5 * time.Minute, MaxRejectBackoff: 15 * time.Minute,
			Gate: st.Logins("k5-uk1")}))
	}
	ctx := context.Background()
	for step := 0; step < 360; step++ {
		for _, r := range replicas {
			if _, err := r.Token(ctx); driver.CodeOf(err) != driver.CodeCredentialsRejected {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		clock.Add(10 * time.Second)
	}
	v.mu.Lock()
	at := append([]time.Time(nil), v.attempts...)
	v.mu.Unlock()
	if len(at) < 4 {
		t.Fatalf("only %d attempts in an hour: the back-off never ends", len(at))
	}
	for i := range at {
		n := 0
		for _, a := range at[i:] {
			if a.Sub(at[i]) <= 15*time.Minute {
				n++
			}
		}
		if n > 3 {
			t.Fatalf("%d attempts in the 15 minutes from %s: %v", n, at[i].Format("15:04:05"), at)
		}
	}
}

// TestFleetGate runs two replicas on a real Redis gate: concurrent cold
// logins on both make one attempt; the back-off holds for both; after it
// one attempt again; a success on one clears it for the other.
func TestFleetGate(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	v := &vendor{now: time.Now}
	var replicas []*Source
	for range 2 {
		st, err := state.NewRedis(state.RedisOptions{Address: srv.Addr, Poll: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		replicas = append(replicas, New(v.fetch, Options{RejectBackoff: 400 * time.Millisecond, MaxRejectBackoff: 3 * time.Second,
			Gate: st.Logins("nhn-kr1")}))
	}
	ctx := context.Background()
	burst := func() {
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				if _, err := replicas[i%2].Token(ctx); driver.CodeOf(err) != driver.CodeCredentialsRejected {
					t.Errorf("want credentials rejected, got %v", err)
				}
			})
		}
		wg.Wait()
	}
	burst()
	if n := v.count(); n != 1 {
		t.Fatalf("%d attempts for a cold start on two replicas, want 1", n)
	}
	burst()
	if n := v.count(); n != 1 {
		t.Fatalf("%d attempts during the back-off, want 1", n)
	}
	time.Sleep(450 * time.Millisecond)
	burst()
	if n := v.count(); n != 2 {
		t.Fatalf("%d attempts after the first back-off, want 2", n)
	}
	// The password is fixed; after the (doubled, 800ms) back-off replica 0
	// logs in, and that clears the back-off for replica 1 too.
	v.good.Store(true)
	time.Sleep(850 * time.Millisecond)
	if _, err := replicas[0].Token(ctx); err != nil {
		t.Fatalf("replica 0 after the fix: %v", err)
	}
	eventually.Nil(t, GateRecheck+time.Second, "replica 1 no longer backed off after replica 0 logged in", func() error {
		_, err := replicas[1].Token(ctx)
		return err
	})
	if n := v.count(); n != 4 {
		t.Errorf("%d attempts, want 4 (two rejected, one login per replica)", n)
	}
}

// TestFleetGateDown: a gate whose store is down does not stop logins.
func TestFleetGateDown(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	st, err := state.NewRedis(state.RedisOptions{Address: srv.Addr, OpTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv.Kill()
	v := &vendor{now: time.Now}
	v.good.Store(true)
	s := New(v.fetch, Options{Gate: st.Logins("c")})
	if _, err := s.Token(context.Background()); err != nil {
		t.Fatalf("login with the gate's store down: %v", err)
	}
}
