package fakekit

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type baseFake struct {
	IdentityBase
	hits Counter
}

func (f *baseFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add()
	_, _ = io.WriteString(w, r.URL.Path)
}

func TestServeAndClose(t *testing.T) {
	f := &baseFake{IdentityBase: NewIdentityBase(time.Now, time.Hour)}
	f.Close() // not served yet: a no-op
	if got := Serve(f, "/api"); got != f {
		t.Fatal("Serve returned another fake")
	}
	if !strings.HasPrefix(f.URL, "http://127.0.0.1:") || !strings.HasSuffix(f.URL, "/api") {
		t.Fatalf("URL %q is not a loopback URL ending in the prefix", f.URL)
	}
	if _, b := get(t, f.URL+"/x"); b != "/api/x" || f.hits.N() != 1 {
		t.Fatalf("answer %q after %d requests", b, f.hits.N())
	}
	f.Close()
	assertClosed(t, f.URL+"/x")
}

func TestIdentityBaseTokenRequests(t *testing.T) {
	b := NewIdentityBase(time.Now, time.Minute)
	b.Tokens.Counted()
	b.Tokens.Counted()
	if n := b.TokenRequests(); n != 2 {
		t.Fatalf("TokenRequests() = %d, want 2", n)
	}
	if tok := b.Tokens.Issue("t", ""); !tok.Expires.Equal(tok.Issued.Add(time.Minute)) {
		t.Fatalf("token lives %v, want the TTL given", tok.Expires.Sub(tok.Issued))
	}
}

func TestCounter(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Add() }()
	}
	wg.Wait()
	if c.N() != 50 {
		t.Fatalf("N() = %d, want 50", c.N())
	}
}

func TestSettle(t *testing.T) {
	var mu sync.Mutex
	advanced := 0
	unlock := Settle(&mu, func() {
		if mu.TryLock() {
			t.Error("advance ran without the lock held")
		}
		advanced++
	})
	if advanced != 1 || mu.TryLock() {
		t.Fatalf("after Settle: advance ran %d times, or the lock is not held", advanced)
	}
	unlock()
	if !mu.TryLock() {
		t.Fatal("the returned unlock did not unlock")
	}
}
