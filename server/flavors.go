package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/internal/telemetry"
)

// flavorCache keeps one cloud's flavor list. It serves ListFlavors,
// GetFlavor and the flavor CreateInstance hands its adapter, and lets every
// instance carry its flavor's sizes (Instance.flavor_details), also on
// dialects whose instance reads name the flavor ID only (the Nova-derived
// ones).
//
// Refreshes are single flight: concurrent readers share one backend read,
// which runs on the server's own bounded context (a caller that leaves does
// not waste it, and Close stops it). The list is read again when older than
// flavorTTL (the old one is served meanwhile), when a read names an ID the
// list lacks (at most once per flavorMissRefresh), and after a failed read
// not before flavorRetry.
//
// Instance reads never fail on it: with nothing cached they wait for a
// refresh only until Options.FlavorWait after it began and never past their
// own context. Flavor reads (ListFlavors, GetFlavor) need the list: with
// nothing cached they wait for the shared refresh within their own
// deadline, starting one if none runs, and fail with its error.
type flavorCache struct {
	mu      sync.Mutex
	list    []driver.Flavor // as the adapter listed them; never modified
	byID    map[string]driver.Flavor
	fetched time.Time    // last successful refresh; zero: never
	tried   time.Time    // last refresh started, whatever its outcome
	busy    *flavorFetch // the running refresh; nil when none runs
	waitEnd time.Time    // wall time after which instance reads no longer wait for busy
}

// flavorFetch is one refresh: done closes when it ends, err is then its
// outcome.
type flavorFetch struct {
	done chan struct{}
	err  error
}

const (
	// flavorTTL: the list is read again when older than this.
	flavorTTL = 10 * time.Minute
	// flavorMissRefresh: an ID the list lacks (a flavor created since)
	// triggers a new read at most this often.
	flavorMissRefresh = time.Minute
	// flavorRetry: after a failed read, the next one waits this long.
	flavorRetry = 30 * time.Second
)

// flavorOf returns the cached flavor id of cl for an instance read,
// refreshing the cache first when it is stale or lacks id (see flavorCache
// for the bounds).
func (s *Server) flavorOf(ctx context.Context, cl *cloud, id string) (driver.Flavor, bool) {
	fc := &cl.flavors
	waited := false
	for {
		fc.mu.Lock()
		now := s.opt.Now()
		f, ok := fc.byID[id]
		sinceTry := now.Sub(fc.tried)
		want := (fc.stale(now) && sinceTry >= flavorRetry) || (!ok && sinceTry >= flavorMissRefresh)
		if want && fc.busy == nil && !waited {
			s.refreshFlavors(cl)
		}
		busy, wait := fc.busy, time.Until(fc.waitEnd)
		fc.mu.Unlock()
		// Serve what is cached (stale or not) without waiting; wait only
		// when there is nothing to serve and a refresh is under way, and
		// only within FlavorWait of its start: readers arriving while a
		// stalled refresh drags on are not held at all.
		if ok || busy == nil || waited || wait <= 0 {
			return f, ok
		}
		t := time.NewTimer(wait)
		select {
		case <-busy.done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		waited = true
	}
}

func (fc *flavorCache) stale(now time.Time) bool {
	return fc.fetched.IsZero() || now.Sub(fc.fetched) >= flavorTTL
}

// flavorList returns cl's cached flavor list for a flavor read (the slice
// is shared: callers must not modify it). A stale list is served while a
// refresh runs in the background; with nothing cached the caller waits for
// the shared refresh (starting one if none runs) within ctx, and gets its
// error when it fails.
func (s *Server) flavorList(ctx context.Context, cl *cloud) ([]driver.Flavor, error) {
	fc := &cl.flavors
	for {
		fc.mu.Lock()
		now := s.opt.Now()
		have := !fc.fetched.IsZero()
		if fc.busy == nil && (!have || (fc.stale(now) && now.Sub(fc.tried) >= flavorRetry)) {
			s.refreshFlavors(cl)
		}
		list, busy := fc.list, fc.busy
		fc.mu.Unlock()
		if have {
			return list, nil
		}
		select {
		case <-busy.done:
			if busy.err != nil {
				return nil, busy.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// flavorByID returns one flavor of cl for a flavor read: from the cached
// list, refreshed when id is missing (at most once per flavorMissRefresh,
// waiting within ctx for a refresh already running). CodeNotFound when the
// list still lacks it.
func (s *Server) flavorByID(ctx context.Context, cl *cloud, id string) (driver.Flavor, error) {
	if _, err := s.flavorList(ctx, cl); err != nil {
		return driver.Flavor{}, err
	}
	fc := &cl.flavors
	waited := false
	for {
		fc.mu.Lock()
		f, ok := fc.byID[id]
		if !ok && !waited && fc.busy == nil && s.opt.Now().Sub(fc.tried) >= flavorMissRefresh {
			s.refreshFlavors(cl)
		}
		busy := fc.busy
		fc.mu.Unlock()
		if ok {
			return f, nil
		}
		if busy == nil || waited {
			return driver.Flavor{}, driver.Errorf(driver.CodeNotFound, "cloud %s has no flavor %q (see ListFlavors)", cl.name, id)
		}
		select {
		case <-busy.done:
		case <-ctx.Done():
			return driver.Flavor{}, ctx.Err()
		}
		waited = true
	}
}

// refreshFlavors starts one read of cl's flavor list. fc.mu is held.
func (s *Server) refreshFlavors(cl *cloud) {
	fc := &cl.flavors
	fc.tried = s.opt.Now()
	fetch := &flavorFetch{done: make(chan struct{})}
	fc.busy, fc.waitEnd = fetch, time.Now().Add(s.opt.FlavorWait)
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(telemetry.WithCloud(s.bgCtx, cl.tel), cl.timeout)
		defer cancel()
		ctx, endSpan := cl.tel.StartBackground(ctx, "computegw.flavor_cache.refresh")
		list, err := cl.adapter.ListFlavors(ctx, driver.FlavorFilter{})
		endSpan(err)
		cl.tel.FlavorRefresh(err, len(list))
		fc.mu.Lock()
		defer fc.mu.Unlock()
		if err != nil {
			s.log.Warn("flavor list unreadable; instances go without flavor_details for now",
				"cloud", cl.name, "dialect", cl.dialect, "error", err.Error(), "retry_in", flavorRetry.String())
		} else {
			byID := make(map[string]driver.Flavor, len(list))
			for _, f := range list {
				byID[f.ID] = f
			}
			fc.list, fc.byID, fc.fetched = slices.Clip(list), byID, s.opt.Now()
		}
		fetch.err = err
		fc.busy = nil
		close(fetch.done)
	})
}

// withFlavor sets out.FlavorDetails from what the vendor reported on the
// instance (in.FlavorDetails), completed from the cloud's flavor list.
func (s *Server) withFlavor(ctx context.Context, cl *cloud, in *driver.Instance, out *pb.Instance) *pb.Instance {
	if in.FlavorID == "" {
		return out
	}
	var d driver.Flavor
	have := false
	if in.FlavorDetails != nil {
		d, have = *in.FlavorDetails, true
	}
	if !have || d.Name == "" || d.VCPUs == 0 || d.RAMMB == 0 {
		if f, ok := s.flavorOf(ctx, cl, in.FlavorID); ok {
			have = true
			d.Name = orElse(d.Name, f.Name)
			d.VCPUs = orElse(d.VCPUs, f.VCPUs)
			d.RAMMB = orElse(d.RAMMB, f.RAMMB)
			d.DiskGB = orElse(d.DiskGB, f.DiskGB)
			d.EphemeralGB = orElse(d.EphemeralGB, f.EphemeralGB)
		}
	}
	if have {
		out.FlavorDetails = &pb.InstanceFlavor{DisplayName: d.Name, Vcpus: int32(d.VCPUs), RamMb: int32(d.RAMMB),
			DiskGb: int32(d.DiskGB), EphemeralGb: int32(d.EphemeralGB)}
	}
	return out
}

// orElse returns v unless it is the zero value, else fallback.
func orElse[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// instanceOut converts in for an answer, with its flavor's sizes.
func (s *Server) instanceOut(ctx context.Context, cl *cloud, in *driver.Instance) *pb.Instance {
	return s.withFlavor(ctx, cl, in, instanceToProto(cl.name, in))
}
