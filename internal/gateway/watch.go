package gateway

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/server"
)

// watchHandler serves GET /v1/{name}:watch?targetStates=RUNNING&... by
// calling the server's WatchInstance in process and writing each message as
// one line {"result": Instance}, and a failure as {"error": Status}, the
// format grpc-gateway uses for server streams.
func watchHandler(srv *server.Server) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		req := &pb.WatchInstanceRequest{Name: params["name"]}
		q := r.URL.Query()
		for key := range q {
			if key != "targetStates" && key != "target_states" {
				writeStatus(w, server.Status(driver.InvalidArgument(key, "unknown query parameter: a watch takes only targetStates")))
				return
			}
		}
		for _, key := range []string{"targetStates", "target_states"} {
			for _, v := range q[key] {
				for _, s := range strings.Split(v, ",") {
					n, ok := pb.Instance_State_value[strings.ToUpper(strings.TrimSpace(s))] // any case, like the filter
					if !ok || n == 0 {
						writeStatus(w, server.Status(driver.InvalidArgument("target_states", "unknown state \""+s+"\"; the states are "+
							strings.Join(enumNames(pb.Instance_STATE_UNSPECIFIED.Descriptor()), ", ")+" (any case)")))
						return
					}
					req.TargetStates = append(req.TargetStates, pb.Instance_State(n))
				}
			}
		}
		ctx := r.Context()
		st := &httpStream{ctx: ctx, w: w}
		err := srv.WatchInstance(req, st)
		if err != nil {
			s := status.Convert(err)
			if !st.started {
				writeStatus(w, s)
				return
			}
			st.line("error", s.Proto())
		}
	}
}

func writeStatus(w http.ResponseWriter, s *status.Status) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatusOf(s))
	b, _ := protojson.Marshal(s.Proto())
	_, _ = w.Write(append(b, '\n'))
}

type httpStream struct {
	grpc.ServerStream
	ctx     context.Context
	w       http.ResponseWriter
	started bool
}

func (s *httpStream) Context() context.Context { return s.ctx }

func (s *httpStream) SetHeader(metadata.MD) error  { return nil }
func (s *httpStream) SendHeader(metadata.MD) error { return nil }
func (s *httpStream) SetTrailer(metadata.MD)       {}

func (s *httpStream) Send(in *pb.Instance) error {
	return s.line("result", in)
}

func (s *httpStream) line(key string, m proto.Message) error {
	if !s.started {
		s.w.Header().Set("Content-Type", "application/x-ndjson")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := s.w.Write([]byte(`{"` + key + `":` + string(b) + "}\n")); err != nil {
		return err
	}
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}
