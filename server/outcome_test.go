package server

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/computegw/computegw/driver"
)

// TestNotCreatedIsRetriable: an UNAVAILABLE create the adapter marked as
// never having reached the vendor is forgotten, so a retry with the same
// request_id creates (once), instead of answering CREATE_OUTCOME_UNKNOWN.
func TestNotCreatedIsRetriable(t *testing.T) {
	cc := &countingCreate{Adapter: seeded(),
		failOne: driver.NotCreated(&driver.Error{Code: driver.CodeUnavailable, Message: "connection refused"})}
	s := newServer(t, Cloud{Name: "a", Adapter: cc})
	if _, err := s.CreateInstance(context.Background(), createReq("r-nc", "x")); status.Code(err) != codes.Unavailable {
		t.Fatalf("first: %v, want UNAVAILABLE", err)
	}
	if _, err := s.CreateInstance(context.Background(), createReq("r-nc", "x")); err != nil {
		t.Fatalf("retry after a create that never reached the vendor: %v", err)
	}
	if _, err := s.CreateInstance(context.Background(), createReq("r-nc", "x")); err != nil {
		t.Fatalf("second retry: %v", err)
	}
	if n := cc.n.Load(); n != 2 {
		t.Errorf("%d creates at the adapter, want 2 (the refused one and one success)", n)
	}
}
