package server

import (
	"context"
	"sync"
	"time"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// flavorCache keeps one cloud's flavor list so that every instance can
// carry its flavor's sizes (Instance.flavor_details), also on dialects whose
// instance reads name the flavor ID only (the Nova-derived ones).
//
// It never fails a read: a refresh runs on the server's own bounded context
// (a caller that leaves does not waste it, and Close stops it); a reader
// that has nothing cached waits for it only until Options.FlavorWait after
// the refresh began and never past its own context, and otherwise gets the
// cached entry at once; a
// failed refresh is not retried for flavorRetry, so a broken flavor
// endpoint costs one short wait now and then, not one per read.
type flavorCache struct {
	mu      sync.Mutex
	byID    map[string]driver.Flavor
	fetched time.Time     // last successful refresh; zero: never
	tried   time.Time     // last refresh started, whatever its outcome
	busy    chan struct{} // closed when the running refresh ends; nil when none runs
	waitEnd time.Time     // wall time after which nobody waits for busy any more
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

// flavorOf returns the cached flavor id of cl, refreshing the cache first
// when it is stale or lacks id (see flavorCache for the bounds).
func (s *Server) flavorOf(ctx context.Context, cl *cloud, id string) (driver.Flavor, bool) {
	fc := &cl.flavors
	waited := false
	for {
		fc.mu.Lock()
		now := s.opt.Now()
		f, ok := fc.byID[id]
		sinceTry := now.Sub(fc.tried)
		stale := fc.fetched.IsZero() || now.Sub(fc.fetched) >= flavorTTL
		want := (stale && sinceTry >= flavorRetry) || (!ok && sinceTry >= flavorMissRefresh)
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
		case <-busy:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		waited = true
	}
}

// refreshFlavors starts one read of cl's flavor list. fc.mu is held.
func (s *Server) refreshFlavors(cl *cloud) {
	fc := &cl.flavors
	fc.tried = s.opt.Now()
	done := make(chan struct{})
	fc.busy, fc.waitEnd = done, time.Now().Add(s.opt.FlavorWait)
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(s.bgCtx, cl.timeout)
		defer cancel()
		list, err := cl.adapter.ListFlavors(ctx, driver.FlavorFilter{})
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
			fc.byID, fc.fetched = byID, s.opt.Now()
		}
		fc.busy = nil
		close(done)
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
