package dialect

import (
	"errors"
	"log"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/state"
)

func TestPlugWiresTaggedFields(t *testing.T) {
	var got wiredConfig
	s := Plug("acmev2", "api_key", func(c wiredConfig) (*wiredAdapter, error) {
		got = c
		return &wiredAdapter{cfg: c}, nil
	})
	if s.Name != "acmev2" || s.Secret != "api_key" || !s.ConfiguredZones || s.DefaultTimeout != 0 {
		t.Errorf("spec %+v", s)
	}
	client, log, gate := &http.Client{}, slog.New(slog.DiscardHandler), testGate{}
	common := Common{Name: "c1", Secret: "s3cret", Timeout: time.Second, Zones: []string{"z1", "z2"}}
	a, err := s.OpenAdapter(common, wiredConfig{Endpoint: "https://x", Other: "kept"}, Deps{HTTPClient: client, Logger: log, LoginGate: gate})
	if err != nil {
		t.Fatal(err)
	}
	if wa, ok := a.(*wiredAdapter); !ok || wa.cfg.Name != "c1" {
		t.Errorf("adapter %#v", a)
	}
	if got.Endpoint != "https://x" || got.Other != "kept" || got.Name != "c1" || got.Key != "s3cret" ||
		strings.Join(got.Zones, ",") != "z1,z2" || got.Client != client || got.Log != log || got.Gate != gate {
		t.Errorf("config %+v", got)
	}
}

// wiredConfig takes every source Plug knows, between fields it leaves as
// they are.
type wiredConfig struct {
	Name     string   `dialect:"name"`
	Endpoint string   `yaml:"endpoint"`
	Key      string   `yaml:"-" dialect:"secret"`
	Zones    []string `dialect:"zones"`
	Other    string
	Client   *http.Client    `dialect:"http_client"`
	Log      *slog.Logger    `dialect:"logger"`
	Gate     state.LoginGate `dialect:"login_gate"`
}

// wiredAdapter is the adapter the test constructors return.
type wiredAdapter struct {
	driver.Adapter
	cfg wiredConfig
}

// testGate is a login gate that is never asked.
type testGate struct{ state.LoginGate }

func TestPlugWithoutZonesListsZonesItself(t *testing.T) {
	type cfg struct {
		Name string `dialect:"name"`
	}
	s := Plug("acmev2", "password", func(cfg) (*wiredAdapter, error) { return &wiredAdapter{}, nil }).WithDefaultTimeout(time.Minute)
	if s.ConfiguredZones || s.DefaultCallTimeout() != time.Minute || s.UsesConfiguredZones() {
		t.Errorf("spec %+v", s)
	}
}

func TestPlugReturnsNoAdapterOnError(t *testing.T) {
	s := Plug("acmev2", "password", func(wiredConfig) (*wiredAdapter, error) { return nil, errors.New("bad config") })
	a, err := s.OpenAdapter(Common{}, wiredConfig{}, Deps{})
	if err == nil || err.Error() != "bad config" || a != nil {
		t.Errorf("got %#v, %v", a, err)
	}
}

func TestPlugPanicsOnBadTags(t *testing.T) {
	type unknown struct {
		Region string `dialect:"region"`
	}
	type wrongType struct {
		Logger *log.Logger `dialect:"logger"`
	}
	type alsoKey struct {
		Name string `yaml:"name" dialect:"name"`
	}
	newUnknown := func(unknown) (*wiredAdapter, error) { return nil, nil }
	newWrong := func(wrongType) (*wiredAdapter, error) { return nil, nil }
	newAlsoKey := func(alsoKey) (*wiredAdapter, error) { return nil, nil }
	for name, plug := range map[string]func(){
		"unknown source": func() { Plug("acmev2", "password", newUnknown) },
		"wrong type":     func() { Plug("acmev2", "password", newWrong) },
		"also a key":     func() { Plug("acmev2", "password", newAlsoKey) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Plug did not panic", name)
				}
			}()
			plug()
		}()
	}
}
