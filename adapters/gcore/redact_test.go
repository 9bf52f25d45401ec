package gcore_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	"github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/redact"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: Gcore (or a WAF in front of it) answering with
// the request quoted — its Authorization header included — in an error body
// or a bare page, on a read, a write or a task poll, never gets the API key
// into the error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	body := func(d string) string {
		return `{"exception_class": "ValidationError", "message": ` + redacttest.Quote(d) + `}`
	}
	get := func(r *http.Request) bool { return r.Method == "GET" && strings.Contains(r.URL.Path, "/v1/instances/") }
	task := func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/v1/tasks/") }
	for name, c := range map[string]struct {
		echo *redacttest.Echo
		call func(a *gcore.Adapter) error
	}{
		"read fault": {&redacttest.Echo{Match: get, Status: 400, ContentType: "application/json", Body: body},
			func(a *gcore.Adapter) error { _, err := a.GetInstance(t.Context(), fake.InstanceWeb); return err }},
		"read page": {&redacttest.Echo{Match: get, Status: 502},
			func(a *gcore.Adapter) error { _, err := a.GetInstance(t.Context(), fake.InstanceWeb); return err }},
		"write 401": {&redacttest.Echo{Match: func(r *http.Request) bool { return r.Method == "POST" }, Status: 401, ContentType: "application/json", Body: body},
			func(a *gcore.Adapter) error { return a.StopInstance(t.Context(), fake.InstanceWeb) }},
		"task poll fault": {&redacttest.Echo{Match: task, Status: 404, ContentType: "application/json", Body: body},
			func(a *gcore.Adapter) error { _, err := a.CreateInstance(t.Context(), createReq("echo")); return err }},
	} {
		t.Run(name, func(t *testing.T) {
			de := redacttest.Case{Echo: c.echo, Secrets: []string{fake.DemoAPIKey},
				MaskIn: func(de *driver.Error) string { return de.VendorMessage + de.Message },
				Call: func(client *http.Client, logger *slog.Logger) error {
					a, _ := fakeAdapter(t, fake.Options{Seed: true, BuildTime: time.Hour}, func(cfg *gcore.Config) {
						cfg.HTTPClient, cfg.Logger = client, logger
					})
					return c.call(a)
				}}.Run(t)
			if name == "write 401" && de.Code != driver.CodeCredentialsRejected {
				t.Errorf("401: %v", de.Code)
			}
		})
	}
}

// TestSecretsForTelemetry: the adapter hands the gateway (through the same
// interface the gateway looks for) a set that masks the API key in a URL
// path, and leaves a path without it as it is.
func TestSecretsForTelemetry(t *testing.T) {
	a, _ := fakeAdapter(t, fake.Options{Seed: true})
	h, ok := any(a).(interface{ Secrets() *redact.Set })
	if !ok {
		t.Fatal("*gcore.Adapter has no Secrets() *redact.Set: the gateway's spans cannot mask its key")
	}
	set := h.Secrets()
	if set == nil {
		t.Fatal("Secrets() is nil")
	}
	plain := "/cloud/v1/instances/1/1/" + fake.InstanceWeb
	if got := set.String(plain); got != plain {
		t.Errorf("path without the key changed: %q -> %q", plain, got)
	}
	leaky := "/cloud/v1/echo/" + fake.DemoAPIKey + "/x"
	got := set.String(leaky)
	if leaks := redacttest.Leaks(got, fake.DemoAPIKey); len(leaks) > 0 || !strings.Contains(got, redact.Mask) {
		t.Errorf("path with the key masked as %q", got)
	}
}
