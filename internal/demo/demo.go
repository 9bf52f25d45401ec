// Package demo is the gateway's demo mode: one emulated cloud per dialect,
// each an in-process fake vendor server (the adapters' fake packages) on
// 127.0.0.1 speaking the vendor's real wire format, seeded with flavors,
// zones, images, networks, volumes, a key pair and some instances, with
// short but visible transitions. It lives here so that the production
// adapter packages never import their fakes.
package demo

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/computegw/computegw/adapters/gcore"
	gcorefake "github.com/computegw/computegw/adapters/gcore/fake"
	"github.com/computegw/computegw/adapters/k5"
	k5fake "github.com/computegw/computegw/adapters/k5/fake"
	"github.com/computegw/computegw/adapters/nhnv2"
	nhnfake "github.com/computegw/computegw/adapters/nhnv2/fake"
	"github.com/computegw/computegw/adapters/toastv1"
	toastfake "github.com/computegw/computegw/adapters/toastv1/fake"
	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/server"
)

// Cloud is one demo cloud: its name and how to start its fake vendor and
// an adapter against it.
type Cloud struct {
	Name    string
	Dialect driver.Dialect
	// Start starts the fake vendor and returns an adapter talking to it
	// through client (nil: the adapter's default) and a function that
	// stops both.
	Start func(log *slog.Logger, client *http.Client) (driver.Adapter, func(), error)
}

// Clouds are the demo clouds, in the order the gateway serves them. A new
// dialect adds its demo cloud here.
var Clouds = []Cloud{
	{"nhn-demo", nhnv2.Name, adapter(NHN)},
	{"toast-demo", toastv1.Name, adapter(TOAST)},
	{"k5-demo", k5.Name, adapter(K5)},
	{"gcore-demo", gcore.Name, adapter(Gcore)},
}

func adapter[A driver.Adapter](start func(*slog.Logger, *http.Client) (A, func(), error)) func(*slog.Logger, *http.Client) (driver.Adapter, func(), error) {
	return func(log *slog.Logger, client *http.Client) (driver.Adapter, func(), error) {
		a, stop, err := start(log, client)
		return a, stop, err
	}
}

// Start starts every demo cloud (each call timeout 10s) and returns them
// with a function that stops them all. A nil log discards. client, if
// set, gives each cloud its backend HTTP client (the gateway's are
// instrumented per cloud).
func Start(log *slog.Logger, client func(cloud string, d driver.Dialect) *http.Client) ([]server.Cloud, func(), error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var stops []func()
	cleanup := func() {
		for _, s := range stops {
			s()
		}
	}
	var clouds []server.Cloud
	for _, d := range Clouds {
		var c *http.Client
		if client != nil {
			c = client(d.Name, d.Dialect)
		}
		a, stop, err := d.Start(log.With("cloud", d.Name, "dialect", string(d.Dialect)), c)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("demo cloud %s: %w", d.Name, err)
		}
		stops = append(stops, stop)
		clouds = append(clouds, server.Cloud{Name: d.Name, Adapter: a, Timeout: 10 * time.Second})
	}
	return clouds, cleanup, nil
}

// The demo clouds' fake vendor servers are seeded and timed alike in demo
// mode (Start, in-process adapters) and for `gateway --demo-vendors`
// (StartVendors, through a config file).
var (
	nhnOptions = nhnfake.Options{SeedInstances: true,
		BuildDelay: 2500 * time.Millisecond, ActionDelay: 2 * time.Second, DeleteDelay: 2 * time.Second}
	toastOptions = toastfake.Options{Demo: true, BuildDelay: 3 * time.Second, PowerDelay: 2 * time.Second,
		RebootDelay: 2 * time.Second, ResizeDelay: 3 * time.Second, DeleteDelay: 2 * time.Second}
	k5Options = k5fake.Options{SeedInstances: true, Zones: k5Zones,
		BuildDelay: 2500 * time.Millisecond, ActionDelay: 2 * time.Second, DeleteDelay: 1500 * time.Millisecond}
	gcoreOptions = gcorefake.Options{Seed: true,
		BuildTime: GcoreBuildTime, TaskTime: GcoreTaskTime, StartDelay: 300 * time.Millisecond}
	toastWindowsImages = []string{toastfake.WindowsImageID}
	// k5Zones are k5-demo's configured zones (K5 documents no zone listing).
	k5Zones = []string{k5fake.ZoneA, k5fake.ZoneB}
)

// vendors start each demo cloud's fake vendor, in Clouds' order.
var vendors = map[string]func() *Vendor{
	"nhn-demo": func() *Vendor {
		s := nhnfake.NewServer(nhnOptions)
		return &Vendor{Dialect: nhnv2.Name, URL: s.URL, close: s.Close, Secret: "password", SecretValue: nhnfake.DemoPassword,
			Keys: []Key{{"identity_endpoint", s.URL}, {"tenant_id", s.TenantID()}, {"username", nhnfake.DemoUsername}}}
	},
	"toast-demo": func() *Vendor {
		s := toastfake.NewServer(toastOptions)
		return &Vendor{Dialect: toastv1.Name, URL: s.URL, close: s.Close, Secret: "password", SecretValue: toastfake.DemoPassword,
			Keys: []Key{{"endpoint", s.URL}, {"appkey", toastfake.DemoAppKey}, {"username", toastfake.DemoUsername},
				{"windows_image_ids", toastWindowsImages}}}
	},
	"k5-demo": func() *Vendor {
		s := k5fake.NewServer(k5Options)
		return &Vendor{Dialect: k5.Name, URL: s.URL, close: s.Close, Secret: "password", SecretValue: k5fake.DemoPassword,
			Keys: []Key{{"identity_endpoint", s.URL}, {"domain_name", k5fake.DemoDomainName}, {"project_id", k5fake.DemoProjectID},
				{"username", k5fake.DemoUsername}, {"zones", k5Zones}}}
	},
	"gcore-demo": func() *Vendor {
		s := gcorefake.NewServer(gcoreOptions)
		return &Vendor{Dialect: gcore.Name, URL: s.URL, close: s.Close, Secret: "api_key", SecretValue: gcorefake.DemoAPIKey,
			Keys: []Key{{"endpoint", s.URL}, {"project_id", gcorefake.DemoProjectID}, {"region_id", gcorefake.DemoRegionID},
				{"zones", []string{GcoreZone}}}}
	},
}

// opened is what a start function returns once it has tried to open the
// adapter a against a fake server that srvClose stops: on failure the
// server is stopped, else the stop function closes the adapter, then the
// fake server.
func opened[A driver.Adapter](a A, err error, srvClose func()) (A, func(), error) {
	if err != nil {
		srvClose()
		var none A
		return none, nil, err
	}
	return a, func() {
		_ = a.Close()
		srvClose()
	}, nil
}

// NHN starts the fake NHN Cloud seeded with flavors, zones, images,
// networks, volumes, a key pair and three instances (BUILD → ACTIVE in
// 2.5 s). The adapter finds the compute URL in the token's service catalog,
// as in production without compute_endpoint.
func NHN(logger *slog.Logger, client *http.Client) (*nhnv2.Adapter, func(), error) {
	srv := nhnfake.NewServer(nhnOptions)
	a, err := nhnv2.New(nhnv2.Config{
		Name:             "nhn-demo",
		IdentityEndpoint: srv.URL,
		TenantID:         srv.TenantID(),
		Username:         nhnfake.DemoUsername,
		Password:         nhnfake.DemoPassword,
		Logger:           logger,
		HTTPClient:       client,
	})
	return opened(a, err, srv.Close)
}

// TOAST starts a fake TOAST server seeded with flavors, zones, images, a
// network, volumes, floating IPs, the key pair toastfake.DemoKeyPair and
// two instances.
func TOAST(logger *slog.Logger, client *http.Client) (*toastv1.Adapter, func(), error) {
	srv := toastfake.NewServer(toastOptions)
	a, err := toastv1.New(toastv1.Config{
		Name:            "toast-demo",
		Endpoint:        srv.URL,
		AppKey:          toastfake.DemoAppKey,
		Username:        toastfake.DemoUsername,
		Password:        toastfake.DemoPassword,
		WindowsImageIDs: toastWindowsImages,
		Logger:          logger,
		HTTPClient:      client,
	})
	return opened(a, err, srv.Close)
}

// K5 starts the fake K5 server seeded with flavors, zones uk-1a/uk-1b,
// images, networks, volumes, key pair demo-key and instances web-1 and
// db-1. The cloud has no compute_endpoint (compute comes from the token's
// catalog), and the fake answers 404 to zone listing, as K5's guide
// documents none, so ListZones answers the configured zones.
func K5(logger *slog.Logger, client *http.Client) (*k5.Adapter, func(), error) {
	srv := k5fake.NewServer(k5Options)
	a, err := k5.New(k5.Config{
		Name:             "k5-demo",
		IdentityEndpoint: srv.URL,
		DomainName:       k5fake.DemoDomainName,
		ProjectID:        k5fake.DemoProjectID,
		Username:         k5fake.DemoUsername,
		Password:         k5fake.DemoPassword,
		Zones:            k5Zones,
		Logger:           logger,
		HTTPClient:       client,
	})
	return opened(a, err, srv.Close)
}

// Gcore demo timings: a build of a few seconds (Gcore's real ones take
// 15–30 s) keeps demo mode and the end-to-end tests quick while
// CreateInstance still visibly waits for its task; other tasks take long
// enough to watch.
const (
	GcoreBuildTime = 3 * time.Second
	GcoreTaskTime  = 2 * time.Second
	// GcoreZone is gcore-demo's one configured zone.
	GcoreZone = "luxembourg-1"
)

// Gcore starts the fake Gcore server seeded with flavors (one disabled),
// images, a network and subnet, the security groups default and web, the
// key demo-key and the instances web-1 (ACTIVE) and db-1 (SHUTOFF). Its
// tasks run on the clock (build 3 s, other tasks 2 s); the adapter polls
// the create task every 250 ms to 1 s.
func Gcore(logger *slog.Logger, client *http.Client) (*gcore.Adapter, func(), error) {
	srv := gcorefake.NewServer(gcoreOptions)
	a, err := gcore.New(gcore.Config{
		Name:            "gcore-demo",
		Endpoint:        srv.URL,
		ProjectID:       gcorefake.DemoProjectID,
		RegionID:        gcorefake.DemoRegionID,
		APIKey:          gcorefake.DemoAPIKey,
		Zones:           []string{GcoreZone},
		PollInterval:    250 * time.Millisecond,
		MaxPollInterval: time.Second,
		Logger:          logger,
		HTTPClient:      client,
	})
	return opened(a, err, srv.Close)
}
