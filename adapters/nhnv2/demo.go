package nhnv2

import (
	"log/slog"
	"time"

	"github.com/computegw/computegw/adapters/nhnv2/fake"
)

// NewDemo starts the fake NHN Cloud (package fake) on 127.0.0.1 (real HTTP
// over loopback), seeded for demo mode with flavors, zones, images,
// networks, volumes, a key pair and three instances, with short but visible
// transitions (BUILD → ACTIVE in 2.5 s). It returns an adapter configured
// against it (the compute URL comes from the token's service catalog, as in
// production without compute_endpoint) and a function that stops both.
func NewDemo(logger *slog.Logger) (*Adapter, func(), error) {
	srv := fake.NewServer(fake.Options{
		BuildDelay:    2500 * time.Millisecond,
		ActionDelay:   2 * time.Second,
		DeleteDelay:   2 * time.Second,
		SeedInstances: true,
	})
	a, err := New(Config{
		Name:             "nhn-demo",
		IdentityEndpoint: srv.URL,
		TenantID:         srv.TenantID(),
		Username:         fake.DemoUsername,
		Password:         fake.DemoPassword,
		Logger:           logger,
	})
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	stop := func() {
		_ = a.Close()
		srv.Close()
	}
	return a, stop, nil
}
