package telemetry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
)

func newT(t *testing.T) *Telemetry {
	t.Helper()
	tel, err := New(Options{Metrics: true})
	if err != nil {
		t.Fatal(err)
	}
	return tel
}

func TestOffIsNil(t *testing.T) {
	tel, err := New(Options{})
	if err != nil || tel != nil {
		t.Fatalf("New(off) = %v, %v; want nil", tel, err)
	}
	// Every hook works on nil.
	_, c := tel.StartCall(context.Background(), "ListClouds", "grpc")
	c.End("", codes.OK)
	tel.WatchStarted()()
	cl := tel.Cloud("a", "k5")
	cl.FlavorRefresh(nil, 3)
	if rt := cl.Transport(http.DefaultTransport); rt != http.DefaultTransport {
		t.Error("a nil cloud wrapped the transport")
	}
	if ctx := WithCloud(context.Background(), cl); CloudFrom(ctx) != nil {
		t.Error("a nil cloud went into the context")
	}
	_, l := StartLogin(context.Background())
	l.End(LoginOK, time.Time{}, time.Time{})
}

func TestCallCounts(t *testing.T) {
	tel := newT(t)
	for _, code := range []codes.Code{codes.OK, codes.NotFound, codes.NotFound, codes.FailedPrecondition} {
		_, c := tel.StartCall(context.Background(), "GetInstance", "rest")
		if v := testutil.ToFloat64(tel.m.inFlight.WithLabelValues("rest")); v != 1 {
			t.Errorf("in flight during a call: %v", v)
		}
		c.End("k5-uk1", code)
	}
	m := tel.m
	for code, want := range map[string]float64{"OK": 1, "NOT_FOUND": 2, "FAILED_PRECONDITION": 1} {
		if v := testutil.ToFloat64(m.requests.WithLabelValues("GetInstance", "k5-uk1", code, "rest")); v != want {
			t.Errorf("code %s: %v, want %v", code, v, want)
		}
	}
	if v := testutil.ToFloat64(m.inFlight.WithLabelValues("rest")); v != 0 {
		t.Errorf("in flight after the calls: %v", v)
	}
	if n := testutil.CollectAndCount(m.requestDuration); n != 1 {
		t.Errorf("%d duration series, want 1 (method, transport)", n)
	}
	end := tel.WatchStarted()
	if v := testutil.ToFloat64(m.watchStreams); v != 1 {
		t.Errorf("watch streams %v", v)
	}
	end()
	if v := testutil.ToFloat64(m.watchStreams); v != 0 {
		t.Errorf("watch streams %v after the end", v)
	}
}

func TestCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{codes.OK: "OK", codes.NotFound: "NOT_FOUND", codes.Canceled: "CANCELLED",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.Unauthenticated: "UNAUTHENTICATED", codes.Code(99): "99"} {
		if got := CodeName(c); got != want {
			t.Errorf("CodeName(%v) = %q, want %q", c, got, want)
		}
	}
}

func TestBackendTransport(t *testing.T) {
	tel := newT(t)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer vendor.Close()
	client := &http.Client{Transport: tel.Cloud("toast", "toastv1").Transport(http.DefaultTransport)}
	for _, p := range []string{"/a", "/b", "/missing"} {
		res, err := client.Get(vendor.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if _, err := client.Get(dead.URL); err == nil {
		t.Fatal("a closed server answered")
	}
	m := tel.m
	for status, want := range map[string]float64{"200": 2, "404": 1, StatusError: 1} {
		if v := testutil.ToFloat64(m.backendRequests.WithLabelValues("toast", "toastv1", status)); v != want {
			t.Errorf("status %s: %v, want %v", status, v, want)
		}
	}
	if n := testutil.CollectAndCount(m.backendRequests); n != 3 {
		t.Errorf("%d backend series, want 3", n)
	}
	if v := testutil.ToFloat64(m.backendInFlight.WithLabelValues("toast", "toastv1")); v != 0 {
		t.Errorf("in flight after: %v", v)
	}
}

func TestLoginAndFlavors(t *testing.T) {
	tel := newT(t)
	cl := tel.Cloud("nhn-kr1", "nhnv2")
	ctx := WithCloud(context.Background(), cl)
	exp := time.Unix(1_900_000_000, 0)
	_, l := StartLogin(ctx)
	l.End(LoginOK, exp, time.Time{})
	_, l = StartLogin(ctx)
	l.End(LoginRejected, time.Time{}, exp.Add(time.Minute))
	_, l = StartLogin(context.Background()) // no cloud: not counted
	l.End(LoginError, time.Time{}, time.Time{})
	m := tel.m
	for r, want := range map[string]float64{LoginOK: 1, LoginRejected: 1, LoginError: 0} {
		if v := testutil.ToFloat64(m.logins.WithLabelValues("nhn-kr1", r)); v != want {
			t.Errorf("%s: %v, want %v", r, v, want)
		}
	}
	if v := testutil.ToFloat64(m.tokenExpiry.WithLabelValues("nhn-kr1")); v != 1_900_000_000 {
		t.Errorf("token expiry %v", v)
	}
	if v := testutil.ToFloat64(m.loginBackoff.WithLabelValues("nhn-kr1")); v != 1_900_000_060 {
		t.Errorf("back-off until %v", v)
	}
	cl.FlavorRefresh(nil, 7)
	cl.FlavorRefresh(errors.New("boom"), 0)
	if v := testutil.ToFloat64(m.flavorEntries.WithLabelValues("nhn-kr1")); v != 7 {
		t.Errorf("flavors %v (a failed refresh keeps the count)", v)
	}
	if v := testutil.ToFloat64(m.flavorRefreshes.WithLabelValues("nhn-kr1", "error")); v != 1 {
		t.Errorf("failed refreshes %v", v)
	}
}
