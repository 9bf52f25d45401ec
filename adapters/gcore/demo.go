package gcore

import (
	"log/slog"
	"time"

	"github.com/computegw/computegw/adapters/gcore/fake"
)

// Demo timings: a build of a few seconds (Gcore's real ones take 15–30 s)
// keeps demo mode and the end-to-end tests quick while CreateInstance
// still visibly waits for its task; other tasks take long enough to watch.
const (
	DemoBuildTime  = 3 * time.Second
	DemoTaskTime   = 2 * time.Second
	demoStartDelay = 300 * time.Millisecond
	demoPoll       = 250 * time.Millisecond
	demoMaxPoll    = time.Second
)

// DemoZone is the demo cloud's one configured zone.
const DemoZone = "luxembourg-1"

// NewDemo starts the fake Gcore server on 127.0.0.1 (real HTTP over
// loopback), seeded for demo mode (flavors, images, a network and subnet,
// the security groups default and web, the key demo-key, instances web-1
// and db-1), and returns an adapter configured against it plus a function
// that stops both.
func NewDemo(logger *slog.Logger) (*Adapter, func(), error) {
	srv := fake.NewServer(fake.Options{
		Seed:       true,
		BuildTime:  DemoBuildTime,
		TaskTime:   DemoTaskTime,
		StartDelay: demoStartDelay,
	})
	a, err := New(Config{
		Name:            "gcore-demo",
		Endpoint:        srv.URL,
		ProjectID:       fake.DemoProjectID,
		RegionID:        fake.DemoRegionID,
		APIKey:          fake.DemoAPIKey,
		Zones:           []string{DemoZone},
		PollInterval:    demoPoll,
		MaxPollInterval: demoMaxPoll,
		Logger:          logger,
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
