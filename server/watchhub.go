package server

import (
	"context"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
)

// watchHub runs one poller per watched instance, shared by every
// WatchInstance stream of it on this gateway: 500 watchers of one instance
// cost one GetInstance per interval, not 500. The interval adapts to the
// instance: WatchInterval while it is in a transitional state (or the
// vendor reports a task), WatchSteadyInterval while it is steady, and back
// to fast at once when this gateway starts an action on it (kick).
type watchHub struct {
	s     *Server
	mu    sync.Mutex
	polls map[string]*poller
}

// pollResult is one GetInstance answer, as every watcher sees it.
type pollResult struct {
	seq      uint64
	in       *driver.Instance
	err      error
	failures int // consecutive failed polls, this one included
}

type poller struct {
	hub  *watchHub
	cl   *cloud
	id   string
	subs map[chan struct{}]struct{} // one signal per watcher, buffered 1
	last *pollResult                // nil until the first poll
	kick chan struct{}
	stop context.CancelFunc
}

// subscribe joins (or starts) the poller of cl's instance id. The returned
// channel is signalled after every poll; latest reads the newest result;
// leave must be called when the watcher ends.
func (h *watchHub) subscribe(cl *cloud, id string) (sig chan struct{}, latest func() *pollResult, leave func()) {
	key := cl.name + "/" + id
	sig = make(chan struct{}, 1)
	h.mu.Lock()
	p, ok := h.polls[key]
	if !ok {
		ctx, cancel := context.WithCancel(h.s.bgCtx)
		p = &poller{hub: h, cl: cl, id: id, subs: map[chan struct{}]struct{}{},
			kick: make(chan struct{}, 1), stop: cancel}
		h.polls[key] = p
		go p.run(ctx)
	}
	p.subs[sig] = struct{}{}
	if p.last != nil {
		sig <- struct{}{} // a joiner starts from the newest answer
	}
	h.mu.Unlock()
	latest = func() *pollResult {
		h.mu.Lock()
		defer h.mu.Unlock()
		return p.last
	}
	leave = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(p.subs, sig)
		if len(p.subs) == 0 && h.polls[key] == p {
			delete(h.polls, key)
			p.stop()
		}
	}
	return sig, latest, leave
}

// kickInstance makes the poller of an instance (if any) poll now and at
// the fast interval: an action this gateway started is about to change it.
func (h *watchHub) kickInstance(cl *cloud, id string) {
	h.mu.Lock()
	p := h.polls[cl.name+"/"+id]
	h.mu.Unlock()
	if p != nil {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// steadyStates are the states an instance stays in until someone acts.
var steadyStates = map[driver.State]bool{
	driver.StateRunning: true, driver.StateStopped: true, driver.StateShelved: true, driver.StatePaused: true,
	driver.StateSuspended: true, driver.StateRescued: true, driver.StateError: true, driver.StateVerifyResize: true,
}

func (p *poller) run(ctx context.Context) {
	var seq uint64
	failures := 0
	for {
		in, err := backend(ctx, p.cl, func(ctx context.Context) (*driver.Instance, error) { return p.cl.adapter.GetInstance(ctx, p.id) })
		if ctx.Err() != nil {
			return // every watcher left (or the server closes)
		}
		seq++
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		wait := p.hub.s.opt.WatchInterval
		if err == nil && steadyStates[in.State] && in.TaskState == "" {
			wait = p.hub.s.opt.WatchSteadyInterval
		}
		p.hub.mu.Lock()
		p.last = &pollResult{seq: seq, in: in, err: err, failures: failures}
		for sig := range p.subs {
			select {
			case sig <- struct{}{}:
			default: // it has a signal pending: it will read the newest
			}
		}
		p.hub.mu.Unlock()
		if !pause(ctx, wait, p.kick) {
			return
		}
	}
}

// pause waits d, or less when wake fires; false when ctx ended first.
func pause(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}
