package tokensource

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/telemetry"
)

// TestLoginsCounted: each login (not each Token call) is counted for the
// cloud named by the caller's context, with its result.
func TestLoginsCounted(t *testing.T) {
	tel, err := telemetry.New(telemetry.Options{Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := telemetry.WithCloud(context.Background(), tel.Cloud("k5-uk1", "k5"))
	results := []error{
		errors.New("connection refused"),
		nil,
	}
	calls := 0
	src := New(func(ctx context.Context) (Token, error) {
		err := results[calls]
		calls++
		return Token{Value: "t", Expires: time.Now().Add(time.Hour)}, err
	}, Options{})
	if _, err := src.Token(ctx); err == nil {
		t.Fatal("first login should fail")
	}
	for range 3 {
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rejected := New(func(ctx context.Context) (Token, error) {
		return Token{}, &driver.Error{Code: driver.CodeCredentialsRejected, Message: "no"}
	}, Options{})
	for range 2 { // the second is inside the back-off: no login
		if _, err := rejected.Token(ctx); driver.CodeOf(err) != driver.CodeCredentialsRejected {
			t.Fatalf("got %v", err)
		}
	}
	want := `
# HELP computegw_backend_logins_total Logins to the clouds' identity APIs, by cloud and result: ok, rejected (the gateway's credentials were refused) or error (no usable answer).
# TYPE computegw_backend_logins_total counter
computegw_backend_logins_total{cloud="k5-uk1",result="error"} 1
computegw_backend_logins_total{cloud="k5-uk1",result="ok"} 1
computegw_backend_logins_total{cloud="k5-uk1",result="rejected"} 1
`
	if err := testutil.GatherAndCompare(tel.Registry(), strings.NewReader(want), "computegw_backend_logins_total"); err != nil {
		t.Error(err)
	}
}
