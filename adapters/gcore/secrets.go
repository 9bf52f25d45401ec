package gcore

import "github.com/computegw/computegw/internal/redact"

// Secrets is the cloud's secret set (the API key), for the gateway's
// telemetry to mask it in what it records (a backend span's URL path), as
// the other dialects' adapters expose theirs. Without it the gateway shows
// no path at all on Gcore's backend spans.
func (a *Adapter) Secrets() *redact.Set { return a.secrets }
