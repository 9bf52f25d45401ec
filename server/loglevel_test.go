package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/computegw/computegw/adapters/memory"
	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// TestCredentialsRejectedLogsWarn: the gateway's own backend credentials
// refused is FAILED_PRECONDITION for the caller but an operator's problem:
// the call line is WARN, while a caller's own FAILED_PRECONDITION (a state
// conflict) stays INFO.
func TestCredentialsRejectedLogsWarn(t *testing.T) {
	for _, c := range []struct {
		code driver.Code
		want string
	}{
		{driver.CodeCredentialsRejected, "WARN"},
		{driver.CodeFailedPrecondition, "INFO"},
	} {
		var buf bytes.Buffer
		f := &failing{Adapter: memory.New(memory.Options{Seed: true}), err: &driver.Error{Code: c.code, Message: "refused"}}
		s, err := New(Options{Clouds: []Cloud{{Name: "a", Adapter: f}},
			Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ListInstances(context.Background(), &pb.ListInstancesRequest{Parent: "clouds/a"}); err == nil {
			t.Fatal("no error")
		}
		s.Close()
		var line struct{ Level, Code string }
		if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
			t.Fatalf("%v: %s", err, buf.String())
		}
		if line.Level != c.want || line.Code != "FailedPrecondition" {
			t.Errorf("%v: logged %+v, want level %s", c.code, line, c.want)
		}
	}
}
