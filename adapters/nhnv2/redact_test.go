package nhnv2

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: a vendor (or a WAF) answering 400 with the
// request quoted, in the vendor's fault format or as a bare page, on the
// login or on a compute call, never gets the password or a token into the
// error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	login := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/tokens") }
	compute := func(r *http.Request) bool { return !login(r) }
	for name, echo := range map[string]*redacttest.Echo{
		"compute fault": {Match: compute, Status: 400, ContentType: "application/json",
			Body: func(d string) string { return `{"badRequest":{"code":400,"message":` + quote(d) + `}}` }},
		"compute page": {Match: compute, Status: 400},
		"login fault": {Match: login, Status: 400, ContentType: "application/json",
			Body: func(d string) string {
				return `{"error":{"code":400,"title":"Bad Request","message":` + quote(d) + `}}`
			}},
		"login page": {Match: login, Status: 400},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fake.Options{SeedInstances: true})
			echo.Base = http.DefaultTransport
			var logs bytes.Buffer
			a := newAdapter(t, srv, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: echo}
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			_, err := a.GetInstance(ctxT(t), fake.InstanceWebServer)
			if err == nil || echo.Echoed() == 0 {
				t.Fatalf("no echo answered (%v)", err)
			}
			de, _ := err.(*driver.Error)
			if de == nil {
				t.Fatalf("not a *driver.Error: %#v", err)
			}
			texts := err.Error() + "\n" + de.Message + "\n" + de.VendorMessage + "\n" + logs.String()
			secrets := append([]string{fake.DemoPassword}, echo.Tokens()...)
			if leaks := redacttest.Leaks(texts, secrets...); len(leaks) > 0 {
				t.Errorf("leaked %q in:\n%s", leaks, texts)
			}
			if strings.HasSuffix(name, "fault") && !strings.Contains(de.VendorMessage, redact.Mask) {
				t.Errorf("vendor message %q shows no redaction: the echo did not reach it", de.VendorMessage)
			}
		})
	}
}
