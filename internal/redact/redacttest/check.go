package redacttest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/redact"
)

// Case is one echo scenario of an adapter's redaction test.
type Case struct {
	// Echo answers the requests it matches (its Base is set by Run).
	Echo *Echo
	// Call builds the adapter with client and logger and makes one call
	// that the echo answers.
	Call func(client *http.Client, logger *slog.Logger) error
	// Secrets must show nowhere; the tokens the echo saw are added.
	Secrets []string
	// MaskIn, when set, picks the text that must show redact.Mask (proof
	// that the echo reached it and was redacted).
	MaskIn func(*driver.Error) string
}

// VendorMessage is a Case.MaskIn: the error's vendor message.
func VendorMessage(de *driver.Error) string { return de.VendorMessage }

// VendorMessageUnlessPage is the MaskIn of the echo with that name:
// VendorMessage, or nil for an echo named "… page" (a bare page has no
// vendor message to redact).
func VendorMessageUnlessPage(name string) func(*driver.Error) string {
	if strings.HasSuffix(name, "page") {
		return nil
	}
	return VendorMessage
}

// Run makes the call with a debug logger and an HTTP client going through
// the echo, and checks that the error is a *driver.Error and that neither
// it (its text, message and vendor message) nor the logs show a secret. It
// returns the error for further checks.
func (c Case) Run(t *testing.T) *driver.Error {
	t.Helper()
	c.Echo.Base = http.DefaultTransport
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	err := c.Call(&http.Client{Transport: c.Echo}, logger)
	if err == nil || c.Echo.Echoed() == 0 {
		t.Fatalf("no echo answered (%v)", err)
	}
	de, _ := err.(*driver.Error)
	if de == nil {
		t.Fatalf("not a *driver.Error: %#v", err)
	}
	texts := err.Error() + "\n" + de.Message + "\n" + de.VendorMessage + "\n" + logs.String()
	secrets := append(append([]string(nil), c.Secrets...), c.Echo.Tokens()...)
	if leaks := Leaks(texts, secrets...); len(leaks) > 0 {
		t.Errorf("leaked %q in:\n%s", leaks, texts)
	}
	if c.MaskIn != nil && !strings.Contains(c.MaskIn(de), redact.Mask) {
		t.Errorf("%q shows no redaction: the echo did not reach it", c.MaskIn(de))
	}
	return de
}

// Quote is s as a JSON string.
func Quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// OpenStackEchoes are the echoes of a Nova-derived vendor, by name: on a
// compute call a Nova fault ("compute fault") and a bare page ("compute
// page"), on the login (a path ending in loginSuffix) a Keystone error
// ("login fault") and a bare page ("login page"), all HTTP 400.
func OpenStackEchoes(loginSuffix string) map[string]*Echo {
	login := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, loginSuffix) }
	compute := func(r *http.Request) bool { return !login(r) }
	return map[string]*Echo{
		"compute fault": {Match: compute, Status: 400, ContentType: "application/json",
			Body: func(d string) string { return `{"badRequest":{"code":400,"message":` + Quote(d) + `}}` }},
		"compute page": {Match: compute, Status: 400},
		"login fault": {Match: login, Status: 400, ContentType: "application/json",
			Body: func(d string) string {
				return `{"error":{"code":400,"title":"Bad Request","message":` + Quote(d) + `}}`
			}},
		"login page": {Match: login, Status: 400},
	}
}
