package eventually

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as the real one does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(f func(t testing.TB)) (msg string, returned bool) {
	r := &recorder{}
	var wg sync.WaitGroup
	wg.Go(func() {
		f(r)
		returned = true
	})
	wg.Wait()
	return r.msg, returned
}

func TestTrueReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			time.Sleep(10 * time.Millisecond)
			n.Add(1)
		}
	}()
	msg, ok := run(func(tb testing.TB) { True(tb, 5*time.Second, "three ticks", func() bool { return n.Load() == 3 }) })
	if !ok || msg != "" {
		t.Fatalf("returned %v, failure %q", ok, msg)
	}
}

func TestNilFailsWithTheLastReason(t *testing.T) {
	polls := 0
	start := time.Now()
	msg, ok := run(func(tb testing.TB) {
		Nil(tb, 100*time.Millisecond, "state RUNNING", func() error {
			polls++
			return NotYet("state %d", polls)
		})
	})
	if ok {
		t.Fatal("returned although the condition never held")
	}
	if !strings.HasPrefix(msg, "state RUNNING: not so after 100ms: state ") || !strings.HasSuffix(msg, fmt.Sprint(polls)) {
		t.Errorf("failure %q (after %d polls)", msg, polls)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v, want about 100ms", d)
	}
	if polls < 3 {
		t.Errorf("%d polls in 100ms, want several", polls)
	}
}

func TestTrueFailsNamingWhat(t *testing.T) {
	msg, ok := run(func(tb testing.TB) { True(tb, 20*time.Millisecond, "the span", func() bool { return false }) })
	if ok || msg != "the span: not so after 20ms: condition still false" {
		t.Errorf("returned %v, failure %q", ok, msg)
	}
}

func TestPollsAtOnceAndBacksOff(t *testing.T) {
	var at []time.Time
	start := time.Now()
	_ = poll(300*time.Millisecond, func() error { at = append(at, time.Now()); return NotYet("no") })
	if at[0].Sub(start) > 5*time.Millisecond {
		t.Errorf("first poll after %v, want at once", at[0].Sub(start))
	}
	// Pauses double from First and stop growing at Max: 5+10+20+40+80 ms,
	// then 145 ms (what is left): 7 polls in 300 ms.
	if len(at) < 5 || len(at) > 9 {
		t.Errorf("%d polls in 300ms, want about 7", len(at))
	}
}
