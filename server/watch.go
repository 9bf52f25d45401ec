package server

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"google.golang.org/grpc"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// WatchInstance implements pb.ComputeServiceServer by polling the backend
// (no dialect pushes state changes), through the hub's one poller per
// instance (watchhub.go).
func (s *Server) WatchInstance(req *pb.WatchInstanceRequest, stream grpc.ServerStreamingServer[pb.Instance]) error {
	return s.do(stream.Context(), "WatchInstance", func(ctx context.Context, c *call) error {
		cl, id, err := c.instance("name", req.GetName())
		if err != nil {
			return err
		}
		for i, st := range req.GetTargetStates() {
			if st == pb.Instance_STATE_UNSPECIFIED || pb.Instance_State_name[int32(st)] == "" {
				return driver.InvalidArgument("target_states", "entry "+strconv.Itoa(i)+" is not a state")
			}
		}
		defer s.opt.Telemetry.WatchStarted()()
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.opt.MaxWatch)
			defer cancel()
		}
		// The instance is polled by the hub, once for all its watchers.
		sig, latest, leave := s.watches.subscribe(cl, id)
		defer leave()
		var last *pb.Instance
		var seen uint64
		for first := true; ; {
			select {
			case <-ctx.Done():
				return watchEnd(ctx)
			case <-s.draining:
				return &driver.Error{Code: driver.CodeUnavailable, Reason: "GATEWAY_SHUTTING_DOWN",
					Message: "the gateway is shutting down; watch again to continue"}
			case <-sig:
			}
			r := latest()
			if r == nil || r.seq == seen {
				continue // nothing new (a signal for a result already read)
			}
			seen = r.seq
			wasFirst := first
			first = false
			if err := r.err; err != nil {
				if driver.IsNotFound(err) {
					if wasFirst {
						return err
					}
					gone := &pb.Instance{Name: instanceName(cl.name, id), State: pb.Instance_DELETED}
					if last != nil {
						gone.DisplayName = last.DisplayName
					}
					return stream.Send(gone)
				}
				// Transient backend trouble: keep watching a while.
				if wasFirst || r.failures >= 5 {
					return err
				}
				continue
			}
			cur := s.instanceOut(ctx, cl, r.in)
			if last == nil || cur.State != last.State || cur.VendorStatus != last.VendorStatus || cur.VendorTaskState != last.VendorTaskState {
				if err := stream.Send(cur); err != nil {
					return err
				}
				last = cur
			}
			if slices.Contains(req.GetTargetStates(), cur.State) || cur.State == pb.Instance_DELETED {
				return nil
			}
			// ERROR is not left without an operator's action: a watch
			// waiting for other states ends there (its last message says
			// so) instead of holding the caller until the deadline.
			if cur.State == pb.Instance_ERROR && len(req.GetTargetStates()) > 0 {
				return nil
			}
		}
	})
}

func watchEnd(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &driver.Error{Code: driver.CodeDeadlineExceeded, Message: "watch deadline reached before a target state"}
	}
	return &driver.Error{Code: driver.CodeCanceled, Message: "watch canceled"}
}
