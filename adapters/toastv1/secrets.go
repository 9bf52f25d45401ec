package toastv1

import "github.com/computegw/computegw/internal/redact"

// Secrets is the cloud's secret set (password, recent tokens, appkey), for
// the gateway's telemetry to mask them in what it records (a backend
// span's URL path).
func (a *Adapter) Secrets() *redact.Set { return a.secrets }
