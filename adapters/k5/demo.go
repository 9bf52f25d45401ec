package k5

import (
	"log/slog"
	"time"

	"github.com/computegw/computegw/adapters/k5/fake"
)

// Demo timings: long enough to watch an instance go through BUILD and the
// transitional states, short enough for a demo.
const (
	demoBuildDelay  = 2500 * time.Millisecond
	demoActionDelay = 2 * time.Second
	demoDeleteDelay = 1500 * time.Millisecond
)

// NewDemo starts the fake K5 server on 127.0.0.1 (real HTTP over loopback),
// seeded for demo mode (flavors, zones uk-1a/uk-1b, images, networks,
// volumes, key pair demo-key, instances web-1 and db-1), and returns an
// adapter configured against it plus a stop function.
//
// The demo cloud is configured without ComputeEndpoint, so it finds compute
// through the token's catalog, and the fake answers 404 to zone listing (as
// K5's guide documents none), so ListZones answers the configured zones.
func NewDemo(logger *slog.Logger) (*Adapter, func(), error) {
	srv := fake.NewServer(fake.Options{
		SeedInstances: true,
		BuildDelay:    demoBuildDelay,
		ActionDelay:   demoActionDelay,
		DeleteDelay:   demoDeleteDelay,
		Zones:         []string{fake.ZoneA, fake.ZoneB},
	})
	a, err := New(Config{
		Name:             "k5-demo",
		IdentityEndpoint: srv.URL,
		DomainName:       fake.DemoDomainName,
		ProjectID:        fake.DemoProjectID,
		Username:         fake.DemoUsername,
		Password:         fake.DemoPassword,
		Zones:            []string{fake.ZoneA, fake.ZoneB},
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
