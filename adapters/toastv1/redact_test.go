package toastv1_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: TOAST (or a WAF in front of it) answering with
// the request quoted, in a failure envelope or as a bare page, on the login
// or on a compute call, never gets the password, the appkey or a token into
// the error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	envelope := func(d string) string {
		return `{"header":{"isSuccessful":false,"resultCode":400,"resultMessage":` + quote(d) + `}}`
	}
	login := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/tokens") }
	compute := func(r *http.Request) bool { return !login(r) }
	for name, echo := range map[string]*redacttest.Echo{
		"compute envelope": {Match: compute, Status: 200, ContentType: "application/json", Body: envelope},
		"compute fault":    {Match: compute, Status: 400, ContentType: "application/json", Body: envelope},
		"compute page":     {Match: compute, Status: 400},
		"login fault":      {Match: login, Status: 400, ContentType: "application/json", Body: envelope},
		"login page":       {Match: login, Status: 400},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fake.Options{Demo: true})
			echo.Base = http.DefaultTransport
			var logs bytes.Buffer
			a := newAdapter(t, srv, func(c *toastv1.Config) {
				c.HTTPClient = &http.Client{Transport: echo}
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			_, err := a.GetInstance(ctx(t), fake.DemoInstanceID1)
			if err == nil || echo.Echoed() == 0 {
				t.Fatalf("no echo answered (%v)", err)
			}
			de, _ := err.(*driver.Error)
			if de == nil {
				t.Fatalf("not a *driver.Error: %#v", err)
			}
			texts := err.Error() + "\n" + de.Message + "\n" + de.VendorMessage + "\n" + logs.String()
			secrets := append([]string{fake.DemoPassword, fake.DemoAppKey}, echo.Tokens()...)
			if leaks := redacttest.Leaks(texts, secrets...); len(leaks) > 0 {
				t.Errorf("leaked %q in:\n%s", leaks, texts)
			}
			if !strings.HasSuffix(name, "page") && !strings.Contains(de.VendorMessage, redact.Mask) {
				t.Errorf("vendor message %q shows no redaction: the echo did not reach it", de.VendorMessage)
			}
		})
	}
}
