package wiretest

import (
	"io"
	"sync"
	"testing"
)

// Open makes an adapter for a test: cfg, changed by each non-nil mod, goes
// to newAdapter; a failure stops the test, and the adapter is closed when
// the test ends.
func Open[C any, A io.Closer](t testing.TB, newAdapter func(C) (A, error), cfg C, mods ...func(*C)) A {
	t.Helper()
	for _, m := range mods {
		if m != nil {
			m(&cfg)
		}
	}
	a, err := newAdapter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// Closing returns s after arranging for it to close when the test ends (a
// fake server, typically).
func Closing[S interface{ Close() }](t testing.TB, s S) S {
	t.Cleanup(s.Close)
	return s
}

// Concurrently runs call(0) … call(n-1) at once and, when all are done,
// stops the test at the first that failed.
func Concurrently(t testing.TB, n int, call func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = call(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d of %d: %v", i, n, err)
		}
	}
}
