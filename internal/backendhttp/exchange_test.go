package backendhttp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
)

func TestExchange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Accept")+" "+r.Header.Get("Content-Type")+" "+r.Header.Get("X-Auth-Token")+" "+string(b))
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"ok": true}`)
	}))
	defer srv.Close()
	ans, de := Exchange(context.Background(), srv.Client(), Request{Method: "POST", URL: srv.URL + "/a/b?c=d", Body: map[string]int{"n": 1},
		Header: http.Header{"X-Auth-Token": {"tok"}}, ContentType: "application/json;charset=UTF-8"})
	if de != nil {
		t.Fatal(de)
	}
	if want := `POST /a/b?c=d application/json application/json;charset=UTF-8 tok {"n":1}`; ans.Header.Get("X-Seen") != want {
		t.Errorf("the backend saw %q, want %q", ans.Header.Get("X-Seen"), want)
	}
	if ans.Status != http.StatusAccepted || string(ans.Body) != `{"ok": true}` {
		t.Errorf("answer %d %q", ans.Status, ans.Body)
	}
	ans, de = Exchange(context.Background(), srv.Client(), Request{Method: "GET", URL: srv.URL + "/x"})
	if de != nil || ans.Header.Get("X-Seen") != "GET /x application/json" { // no Content-Type, token or body
		t.Errorf("GET without a body: %v, the backend saw %q", de, ans.Header.Get("X-Seen"))
	}
}

func TestExchangeTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, MaxAnswer+1))
	}))
	defer srv.Close()
	ans, de := Exchange(context.Background(), srv.Client(), Request{Method: "GET", URL: srv.URL})
	if de == nil || de.Code != driver.CodeUnavailable || de.VendorHTTPStatus != 200 || ans == nil || ans.Status != 200 || ans.Body != nil {
		t.Errorf("too large an answer: %+v, %+v", ans, de)
	}
}

func TestExchangeTransportKeepsTheURLOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, de := Exchange(context.Background(), http.DefaultClient, Request{Method: "GET", URL: "http://" + addr + "/v1.0/appkeys/SECRET-APPKEY/x"})
	if de == nil || de.Code != driver.CodeUnavailable {
		t.Fatalf("refused connection: %+v", de)
	}
	if strings.Contains(de.Error(), "SECRET-APPKEY") {
		t.Errorf("error text carries the URL: %v", de)
	}
	_, de = Exchange(context.Background(), http.DefaultClient, Request{Method: "GET", URL: "http://x", Body: func() {}})
	if de == nil || de.Code != driver.CodeInternal {
		t.Errorf("unencodable body: %+v", de)
	}
}
