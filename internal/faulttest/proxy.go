package faulttest

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Faults is what a Proxy does to the requests it matches. Rates are
// fractions of matched requests (0 to 1, summed at most 1), drawn
// independently per request; Latency and Hang apply to every matched
// request.
type Faults struct {
	// Match selects the requests to fault; nil: every request.
	Match func(*http.Request) bool
	// Latency is added before a request is passed on.
	Latency time.Duration
	// Hang holds every matched request, unanswered, until the client gives
	// up, the faults change, or the proxy closes: a vendor that accepts
	// connections and never answers.
	Hang bool
	// Answer503 and Answer429 answer without passing the request on (429
	// with Retry-After); RetryAfter is that header's value ("1" if empty).
	Answer503, Answer429 float64
	RetryAfter           string
	// ResetBefore cuts the connection without passing the request on;
	// ResetAfter passes it on (the vendor acts) and cuts the connection
	// before the answer; Truncate passes it on and sends the answer's
	// headers and half its body, then cuts.
	ResetBefore, ResetAfter, Truncate float64
}

// Kinds of fault a Proxy counts (Proxy.Count).
const (
	KindLatency     = "latency"
	KindHang        = "hang"
	Kind503         = "503"
	Kind429         = "429"
	KindResetBefore = "reset-before"
	KindResetAfter  = "reset-after"
	KindTruncate    = "truncate"
)

// Proxy is a reverse proxy in front of a fake vendor that injects Faults
// into what passes through, on a real loopback listener: the gateway under
// test is configured with the proxy's URL in place of the vendor's.
type Proxy struct {
	// URL is the proxy's base URL (http://127.0.0.1:port).
	URL string

	srv    *httptest.Server
	rp     *httputil.ReverseProxy
	faults atomic.Pointer[Faults]
	lift   atomic.Pointer[chan struct{}] // closed when the faults change

	mu     sync.Mutex
	rng    *rand.Rand
	counts map[string]int

	requests atomic.Int64
	conns    atomic.Int64 // open client connections now
	maxConns atomic.Int64
	hanging  atomic.Int64
}

// NewProxy starts a proxy in front of target (a base URL) with no faults.
// seed makes the draws repeatable.
func NewProxy(target string, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), counts: map[string]int{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // the fake builds links from what it is told
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second},
		// Flush at once: a streamed answer reaches the client as it comes.
		FlushInterval: -1,
		ErrorLog:      nil,
	}
	p.faults.Store(&Faults{})
	ch := make(chan struct{})
	p.lift.Store(&ch)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			n := p.conns.Add(1)
			for {
				m := p.maxConns.Load()
				if n <= m || p.maxConns.CompareAndSwap(m, n) {
					break
				}
			}
		case http.StateClosed, http.StateHijacked:
			p.conns.Add(-1)
		}
	}
	p.srv.Start()
	p.URL = p.srv.URL
	return p, nil
}

// Set replaces the faults; requests held by an earlier Hang are released
// (passed on under the new faults).
func (p *Proxy) Set(f Faults) {
	p.faults.Store(&f)
	ch := make(chan struct{})
	old := p.lift.Swap(&ch)
	close(*old)
}

// Close stops the proxy (held requests are released and cut).
func (p *Proxy) Close() {
	p.Set(Faults{Hang: true}) // anything arriving from now on waits for the close
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Requests is how many requests reached the proxy.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Count is how many requests got fault kind (Kind...).
func (p *Proxy) Count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[kind]
}

// Conns is the number of client connections open now; MaxConns the most
// open at once so far; Hanging the requests held by Hang now.
func (p *Proxy) Conns() int64    { return p.conns.Load() }
func (p *Proxy) MaxConns() int64 { return p.maxConns.Load() }
func (p *Proxy) Hanging() int64  { return p.hanging.Load() }

func (p *Proxy) count(kind string) {
	p.mu.Lock()
	p.counts[kind]++
	p.mu.Unlock()
}

// draw picks the fault for one request: "" for none.
func (p *Proxy) draw(f *Faults) string {
	p.mu.Lock()
	x := p.rng.Float64()
	p.mu.Unlock()
	for _, c := range []struct {
		kind string
		rate float64
	}{{Kind503, f.Answer503}, {Kind429, f.Answer429}, {KindResetBefore, f.ResetBefore}, {KindResetAfter, f.ResetAfter}, {KindTruncate, f.Truncate}} {
		if x < c.rate {
			return c.kind
		}
		x -= c.rate
	}
	return ""
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	// Read the body first: the server notices a client that hangs up only
	// once the request body is consumed (and the vendor gets it whole
	// either way).
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	for {
		f := p.faults.Load()
		lift := *p.lift.Load()
		if f.Match != nil && !f.Match(r) {
			p.rp.ServeHTTP(w, r)
			return
		}
		if !f.Hang {
			p.fault(w, r, f)
			return
		}
		p.count(KindHang)
		p.hanging.Add(1)
		select {
		case <-r.Context().Done():
			p.hanging.Add(-1)
			return
		case <-lift:
			p.hanging.Add(-1)
		}
	}
}

func (p *Proxy) fault(w http.ResponseWriter, r *http.Request, f *Faults) {
	if f.Latency > 0 {
		p.count(KindLatency)
		t := time.NewTimer(f.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	kind := p.draw(f)
	if kind != "" {
		p.count(kind)
	}
	switch kind {
	case Kind503:
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "503 Service Unavailable (faulttest)", http.StatusServiceUnavailable)
	case Kind429:
		_, _ = io.Copy(io.Discard, r.Body)
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		http.Error(w, "429 Too Many Requests (faulttest)", http.StatusTooManyRequests)
	case KindResetBefore:
		cut(w)
	case KindResetAfter:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		cut(w)
	case KindTruncate:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		conn, buf := hijack(w)
		if conn == nil {
			return
		}
		res := rec.Result()
		_, _ = buf.WriteString("HTTP/1.1 " + strconv.Itoa(res.StatusCode) + " " + http.StatusText(res.StatusCode) + "\r\n")
		res.Header.Del("Content-Length")
		res.Header.Del("Transfer-Encoding")
		_ = res.Header.Write(buf)
		_, _ = buf.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
		_, _ = buf.Write(body[:len(body)/2])
		_ = buf.Flush()
		conn.Close()
	default:
		p.rp.ServeHTTP(w, r)
	}
}

func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return nil, nil
	}
	return conn, buf
}

// cut closes the client connection without an answer; with SO_LINGER 0 the
// client sees a reset, not an orderly close.
func cut(w http.ResponseWriter) {
	conn, _ := hijack(w)
	if conn == nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}
