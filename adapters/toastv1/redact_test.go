package toastv1_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/adapters/toastv1"
	"github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: TOAST (or a WAF in front of it) answering with
// the request quoted, in a failure envelope or as a bare page, on the login
// or on a compute call, never gets the password, the appkey or a token into
// the error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	envelope := func(d string) string {
		return `{"header":{"isSuccessful":false,"resultCode":400,"resultMessage":` + redacttest.Quote(d) + `}}`
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
			redacttest.Case{Echo: echo, Secrets: []string{fake.DemoPassword, fake.DemoAppKey}, MaskIn: redacttest.VendorMessageUnlessPage(name),
				Call: func(client *http.Client, logger *slog.Logger) error {
					a := newAdapter(t, srv, func(c *toastv1.Config) { c.HTTPClient, c.Logger = client, logger })
					_, err := a.GetInstance(ctx(t), fake.DemoInstanceID1)
					return err
				}}.Run(t)
		})
	}
}
