package k5

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/internal/redact/redacttest"
)

// TestVendorEchoIsRedacted: K5 (or a WAF in front of it) answering 400
// with the request quoted, as a Nova or Keystone fault or as a bare page, on
// the login or on a compute call, never gets the password or a token into
// the error or the adapter's logs.
func TestVendorEchoIsRedacted(t *testing.T) {
	for name, echo := range redacttest.OpenStackEchoes("/auth/tokens") {
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fake.Options{})
			redacttest.Case{Echo: echo, Secrets: []string{fake.DemoPassword}, MaskIn: redacttest.VendorMessageUnlessPage(name),
				Call: func(client *http.Client, logger *slog.Logger) error {
					a := fakeAdapter(t, srv, func(c *Config) { c.HTTPClient, c.Logger = client, logger })
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					_, err := a.GetFlavor(ctx, fake.FlavorS1)
					return err
				}}.Run(t)
		})
	}
}
