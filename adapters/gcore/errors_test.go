package gcore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/driver"
	pb "github.com/computegw/computegw/gen/computegw/v1"
	"github.com/computegw/computegw/server"
)

func errorsAs(err error, de **driver.Error) bool { return errors.As(err, de) }

func asDriver(err error) *driver.Error {
	var de *driver.Error
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// TestErrorMapping: each row of gcore.md's error table becomes the
// contract's code, keeping the vendor's class and message.
func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name       string
		method     string // "GET" reads the instance, "POST" stops it
		reply      reply
		code       driver.Code
		reason     string
		vendorCode string
		inMessage  []string
		retryAfter time.Duration
	}{
		{"400 ValidationError", "POST", reply{status: 400, body: `{"exception_class": "ValidationError", "message": "bad field",
			"invalid_fields": {"action": "unknown", "flavor": "x"}}`}, driver.CodeInvalidArgument, "", "ValidationError",
			[]string{"invalid fields: action, flavor", "bad field"}, 0},
		{"401", "GET", reply{status: 401, body: `{"message": "Invalid API key."}`}, driver.CodeCredentialsRejected,
			"BACKEND_CREDENTIALS_REJECTED", "", []string{"API key", "api_key_env"}, 0},
		{"403 ForbiddenError on a write", "POST", reply{status: 403, body: `{"exception_class": "ForbiddenError",
			"message": "Quota exceeded: cpu_count_limit"}`}, driver.CodeResourceExhausted, "", "ForbiddenError",
			[]string{"quota", "capacity", "Quota exceeded: cpu_count_limit"}, 0},
		{"403 on a read", "GET", reply{status: 403, body: `{"exception_class": "ForbiddenError", "message": "no access"}`},
			driver.CodePermissionDenied, "", "ForbiddenError", []string{"no access"}, 0},
		{"404 NotFoundError", "GET", reply{status: 404, body: `{"exception_class": "NotFoundError", "message": "Instance x not found"}`},
			driver.CodeNotFound, "", "NotFoundError", []string{"Instance x not found"}, 0},
		{"409 ConflictError", "POST", reply{status: 409, body: `{"exception_class": "ConflictError",
			"message": "Instance is locked by task T"}`}, driver.CodeFailedPrecondition, "", "ConflictError",
			[]string{"running task", "locked by task T"}, 0},
		{"429 Retry-After", "GET", reply{status: 429, body: `{"message": "Too many requests"}`, header: map[string]string{"Retry-After": "7"}},
			driver.CodeResourceExhausted, "", "", []string{"rate limit", "7s"}, 7 * time.Second},
		{"500", "GET", reply{status: 500, body: `{"exception_class": "InternalError", "message": "boom"}`},
			driver.CodeUnavailable, "", "InternalError", []string{"HTTP 500"}, 0},
		{"502 not JSON", "GET", reply{status: 502, body: `<html>bad gateway</html>`}, driver.CodeUnavailable, "", "",
			[]string{"bad gateway"}, 0},
		{"504", "GET", reply{status: 504}, driver.CodeDeadlineExceeded, "", "", nil, 0},
		{"redirect", "GET", reply{status: 307, header: map[string]string{"Location": "https://evil.example/"}},
			driver.CodeUnavailable, "", "", []string{"redirect"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStub(t)
			a := s.adapter(t)
			var err error
			if c.method == "GET" {
				s.on("GET", "/v1/instances/111/76/"+instanceID, c.reply)
				_, err = a.GetInstance(context.Background(), instanceID)
			} else {
				s.on("POST", "/v2/instances/111/76/"+instanceID+"/action", c.reply)
				err = a.StopInstance(context.Background(), instanceID)
			}
			de := asDriver(err)
			if de == nil {
				t.Fatalf("error %v is not a *driver.Error", err)
			}
			if de.Code != c.code || de.Reason != c.reason || de.VendorCode != c.vendorCode || de.VendorHTTPStatus != c.reply.status {
				t.Errorf("got code %v reason %q vendor %q/%d, want %v %q %q/%d", de.Code, de.Reason, de.VendorCode,
					de.VendorHTTPStatus, c.code, c.reason, c.vendorCode, c.reply.status)
			}
			for _, m := range c.inMessage {
				if !strings.Contains(de.Message, m) {
					t.Errorf("message %q lacks %q", de.Message, m)
				}
			}
			if de.RetryAfter != c.retryAfter {
				t.Errorf("retry after %v, want %v", de.RetryAfter, c.retryAfter)
			}
			if n := len(s.recorded()); n != 1 {
				t.Errorf("%d calls, want 1 (no retry)", n)
			}
		})
	}
}

// TestErrorsThroughPortableLayer: the codes and details a caller sees.
func TestErrorsThroughPortableLayer(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v1/instances/111/76/i429", reply{status: 429, body: `{"message": "slow down"}`, header: map[string]string{"Retry-After": "30"}})
	s.on("GET", "/v1/instances/111/76/i401", reply{status: 401, body: `{"message": "Invalid API key."}`})
	s.on("POST", "/v2/instances/111/76/i409/action", reply{status: 409, body: `{"exception_class": "ConflictError", "message": "locked"}`})
	srv, err := server.New(server.Options{Clouds: []server.Cloud{{Name: "g", Adapter: s.adapter(t)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	_, err = srv.GetInstance(ctx, &pb.GetInstanceRequest{Name: "clouds/g/instances/i429"})
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if st.Code() != codes.ResourceExhausted || retry == nil || retry.GetRetryDelay().AsDuration() != 30*time.Second {
		t.Errorf("429: %v, retry info %v", st, retry)
	}
	_, err = srv.GetInstance(ctx, &pb.GetInstanceRequest{Name: "clouds/g/instances/i401"})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || reasonOf(st) != "BACKEND_CREDENTIALS_REJECTED" {
		t.Errorf("401: %v (%s)", st, reasonOf(st))
	}
	if strings.Contains(status.Convert(err).Message(), stubKey) {
		t.Error("401 message shows the key")
	}
	_, err = srv.StopInstance(ctx, &pb.StopInstanceRequest{Name: "clouds/g/instances/i409"})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || reasonOf(st) != "STATE_CONFLICT" {
		t.Errorf("409: %v (%s)", st, reasonOf(st))
	}
	c, err := srv.GetCloud(ctx, &pb.GetCloudRequest{Name: "clouds/g"})
	if err != nil || c.GetDialect() != pb.Cloud_GCORE {
		t.Errorf("dialect %v %v", c.GetDialect(), err)
	}
}

func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
