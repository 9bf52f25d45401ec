package nhnv2

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: a vendor (or a WAF) answering 400 with the
// request quoted, in the vendor's fault format or as a bare page, on the
// login or on a compute call, never gets the password or a token into the
// error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	for name, echo := range redacttest.OpenStackEchoes("/tokens") {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fake.Options{SeedInstances: true})
			redacttest.Case{Echo: echo, Secrets: []string{fake.DemoPassword}, MaskIn: redacttest.VendorMessageUnlessPage(name),
				Call: func(client *http.Client, logger *slog.Logger) error {
					a := newAdapter(t, srv, func(c *Config) { c.HTTPClient, c.Logger = client, logger })
					_, err := a.GetInstance(ctxT(t), fake.InstanceWebServer)
					return err
				}}.Run(t)
		})
	}
}
