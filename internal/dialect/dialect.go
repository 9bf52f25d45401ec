// Package dialect is the seam between the gateway and one vendor dialect:
// what a dialect's adapter package declares so that the config loader can
// decode its part of a cloud entry and the wiring can open an adapter for
// it. It names no dialect. The dialects the gateway serves are listed in one
// slice, internal/dialects.All; each adapter package declares its own value,
// e.g.
//
//	var Dialect = dialect.Plug(Name, "password", New)
//
// where New is the adapter's constructor and Config, its argument, the
// adapter's config struct: every field tagged `yaml:"key"` is a config key of
// the dialect, decoded strictly (see Spec.Decode), and every field tagged
// `dialect:"source"` is set from the common part or the wiring's
// dependencies (see Plug).
//
// The API's Cloud.Dialect enum value of a dialect follows from its name (see
// server.DialectEnum): adding a dialect adds that enum value to the proto.
package dialect

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/state"
)

// Common is the part of a cloud entry every dialect shares, parsed by
// internal/config: name, timeout, zones and the resolved credential.
type Common struct {
	Name string
	// Secret is the cloud's credential, resolved from the dialect's secret
	// key in its inline, _env or _file form (see Spec.Secret).
	Secret string
	// Timeout bounds each backend call; 0: the gateway's default.
	Timeout time.Duration
	// Zones is the configured static zone list, if any.
	Zones []string
}

// Deps are what the wiring hands a dialect to open one adapter.
type Deps struct {
	// HTTPClient is the cloud's own keep-alive client.
	HTTPClient *http.Client
	// Logger already carries the cloud and dialect attributes.
	Logger *slog.Logger
	// LoginGate, when set, is the cloud's login gate shared by every
	// replica (state.redis): dialects that log in with a password hand it
	// to their tokensource (tokensource.Options.Gate).
	LoginGate state.LoginGate
}

// Descriptor is one dialect as the config loader and the wiring see it.
// Spec is the only implementation; the interface lets one slice hold specs
// of different config types.
type Descriptor interface {
	// DialectName is the dialect's name as written in the config file.
	DialectName() driver.Dialect
	// SecretKey is the base name of the credential's keys.
	SecretKey() string
	// UsesConfiguredZones reports whether ListZones answers the configured
	// zones (else a configured list is only shown in GetCloud).
	UsesConfiguredZones() bool
	// DefaultCallTimeout is the per-call timeout of a cloud whose entry
	// sets none; 0: the gateway's default.
	DefaultCallTimeout() time.Duration
	// Keys lists the dialect's own config keys.
	Keys() []string
	// Decode checks and decodes the dialect's keys of one cloud entry.
	// fields holds only keys listed by Keys; line is the entry's line.
	Decode(fields map[string]*yaml.Node, line int) (any, error)
	// OpenAdapter builds an adapter from the common part and a value
	// Decode returned.
	OpenAdapter(common Common, cfg any, deps Deps) (driver.Adapter, error)
}

// Spec describes one dialect whose config struct is C. Adapter packages
// make theirs with Plug.
//
// C's fields tagged `yaml:"key"` are its config keys. Supported field types
// are string, int and []string. A `check` tag holds comma-separated rules:
// "required" (the key must be given and not empty) and "url" (an absolute
// http or https URL). An `item` tag names what each element of a []string
// is, for messages ("an image ID").
type Spec[C any] struct {
	// Name is the dialect's config name (server.DialectEnum derives the
	// API's enum value from it).
	Name driver.Dialect
	// Secret is the credential key's base name: "password" accepts
	// password (inline, discouraged), password_env and password_file.
	Secret string
	// ConfiguredZones: ListZones answers the configured zones.
	ConfiguredZones bool
	// DefaultTimeout is the per-call timeout of a cloud whose entry sets
	// none (a dialect whose calls wait for long tasks needs more than the
	// gateway's default); 0: the gateway's default.
	DefaultTimeout time.Duration
	// Open builds an adapter for one cloud.
	Open func(common Common, cfg C, deps Deps) (driver.Adapter, error)
}

// Plug returns the Spec of a dialect whose adapter newAdapter builds from a
// C: Open sets the fields of C tagged `dialect:"source"` (none of them a
// config key) from the cloud's
// common part and the wiring's dependencies, then calls newAdapter. The
// sources are
//
//	name        string           the cloud's name (Common.Name)
//	secret      string           the resolved credential (Common.Secret)
//	zones       []string         the configured zones (Common.Zones)
//	http_client *http.Client     the cloud's client (Deps.HTTPClient)
//	logger      *slog.Logger     the cloud's logger (Deps.Logger)
//	login_gate  state.LoginGate  the shared login gate (Deps.LoginGate)
//
// A dialect whose C takes the zones answers them in ListZones
// (Spec.ConfiguredZones); one that does not lists zones itself. secret is
// the credential keys' base name (Spec.Secret). Plug panics on a tag it
// does not know or a field of the wrong type: a programming error in an
// adapter, caught when its package is first loaded.
func Plug[C any, A driver.Adapter](name driver.Dialect, secret string, newAdapter func(C) (A, error)) Spec[C] {
	wired := wiredFields(reflect.TypeFor[C]())
	s := Spec[C]{Name: name, Secret: secret}
	for _, w := range wired {
		s.ConfiguredZones = s.ConfiguredZones || w.source == "zones"
	}
	s.Open = func(common Common, cfg C, deps Deps) (driver.Adapter, error) {
		v := reflect.ValueOf(&cfg).Elem()
		for _, w := range wired {
			v.Field(w.index).Set(reflect.ValueOf(sources[w.source](&common, &deps)).Elem())
		}
		a, err := newAdapter(cfg)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	return s
}

// WithDefaultTimeout returns s with DefaultTimeout d.
func (s Spec[C]) WithDefaultTimeout(d time.Duration) Spec[C] {
	s.DefaultTimeout = d
	return s
}

// sources are what a `dialect` tag may name: each returns a pointer to the
// value in the common part or the dependencies.
var sources = map[string]func(*Common, *Deps) any{
	"name":        func(c *Common, _ *Deps) any { return &c.Name },
	"secret":      func(c *Common, _ *Deps) any { return &c.Secret },
	"zones":       func(c *Common, _ *Deps) any { return &c.Zones },
	"http_client": func(_ *Common, d *Deps) any { return &d.HTTPClient },
	"logger":      func(_ *Common, d *Deps) any { return &d.Logger },
	"login_gate":  func(_ *Common, d *Deps) any { return &d.LoginGate },
}

type wiredField struct {
	index  int
	source string
}

// wiredFields lists the fields of struct type t tagged `dialect:"source"`.
func wiredFields(t reflect.Type) []wiredField {
	var out []wiredField
	for i := range t.NumField() {
		sf := t.Field(i)
		source, ok := sf.Tag.Lookup("dialect")
		if !ok {
			continue
		}
		if key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ","); key != "" && key != "-" {
			panic(fmt.Sprintf("dialect: config field %s.%s is both config key %s and wired from %s", t, sf.Name, key, source))
		}
		src, ok := sources[source]
		if !ok {
			panic(fmt.Sprintf("dialect: config field %s.%s: unknown source %q", t, sf.Name, source))
		}
		if want := reflect.TypeOf(src(&Common{}, &Deps{})).Elem(); sf.Type != want {
			panic(fmt.Sprintf("dialect: config field %s.%s (source %s) has type %s, want %s", t, sf.Name, source, sf.Type, want))
		}
		out = append(out, wiredField{index: i, source: source})
	}
	return out
}

// DialectName implements Descriptor.
func (s Spec[C]) DialectName() driver.Dialect { return s.Name }

// SecretKey implements Descriptor.
func (s Spec[C]) SecretKey() string { return s.Secret }

// UsesConfiguredZones implements Descriptor.
func (s Spec[C]) UsesConfiguredZones() bool { return s.ConfiguredZones }

// DefaultCallTimeout implements Descriptor.
func (s Spec[C]) DefaultCallTimeout() time.Duration { return s.DefaultTimeout }

// Keys implements Descriptor.
func (s Spec[C]) Keys() []string {
	var keys []string
	for _, f := range fieldsOf(reflect.TypeFor[C]()) {
		keys = append(keys, f.key)
	}
	return keys
}

// OpenAdapter implements Descriptor: it calls s.Open.
func (s Spec[C]) OpenAdapter(common Common, cfg any, deps Deps) (driver.Adapter, error) {
	c, ok := cfg.(C)
	if !ok {
		return nil, fmt.Errorf("dialect %s: config of type %T, want %T", s.Name, cfg, c)
	}
	return s.Open(common, c, deps)
}

// FieldError is a decoding error of one key; internal/config adds the
// cloud's path and name.
type FieldError struct {
	Key  string // the key, e.g. "tenant_id" or "windows_image_ids[1]"
	Line int
	Msg  string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Decode implements Descriptor: it fills a C from fields. A required key
// that is missing or empty is "required for dialect NAME" at the entry's
// line; a value of the wrong shape or a malformed URL names the key's line.
func (s Spec[C]) Decode(fields map[string]*yaml.Node, line int) (any, error) {
	var c C
	v := reflect.ValueOf(&c).Elem()
	fs := fieldsOf(v.Type())
	// Shapes first, then required keys, then values: the order the
	// gateway's messages have always come in.
	for _, f := range fs {
		n, ok := fields[f.key]
		if !ok {
			continue
		}
		if f.list != (n.Kind == yaml.SequenceNode) || (!f.list && n.Kind != yaml.ScalarNode) {
			if f.list {
				return nil, &FieldError{Key: f.key, Line: n.Line, Msg: "must be a list of " + f.item + "s"}
			}
			return nil, &FieldError{Key: f.key, Line: n.Line, Msg: "must be a single value"}
		}
	}
	for _, f := range fs {
		if n, ok := fields[f.key]; f.required && (!ok || (n.Kind == yaml.ScalarNode && n.Value == "") || (n.Kind == yaml.SequenceNode && len(n.Content) == 0)) {
			return nil, &FieldError{Key: f.key, Line: line, Msg: "required for dialect " + string(s.Name)}
		}
	}
	for _, f := range fs {
		n, ok := fields[f.key]
		if !ok {
			continue
		}
		dst := v.Field(f.index)
		switch {
		case f.list:
			out := make([]string, 0, len(n.Content))
			for i, e := range n.Content {
				if e.Kind != yaml.ScalarNode || e.Value == "" {
					return nil, &FieldError{Key: fmt.Sprintf("%s[%d]", f.key, i), Line: e.Line, Msg: "must be " + f.item}
				}
				out = append(out, e.Value)
			}
			dst.Set(reflect.ValueOf(out))
		case dst.Kind() == reflect.Int:
			i, err := strconv.Atoi(n.Value)
			if err != nil {
				return nil, &FieldError{Key: f.key, Line: n.Line, Msg: fmt.Sprintf("%q is not an integer", n.Value)}
			}
			dst.SetInt(int64(i))
		default:
			if f.url && n.Value != "" {
				u, err := url.Parse(n.Value)
				if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return nil, &FieldError{Key: f.key, Line: n.Line, Msg: fmt.Sprintf("%q is not an http(s) URL", n.Value)}
				}
			}
			dst.SetString(n.Value)
		}
	}
	return c, nil
}

type field struct {
	key           string
	index         int
	list          bool
	item          string
	required, url bool
}

// fieldsOf lists the config keys of struct type t. It panics on a tagged
// field of an unsupported type: that is a programming error in an adapter,
// caught by its first test.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		f := field{key: key, index: i, item: sf.Tag.Get("item")}
		switch {
		case sf.Type.Kind() == reflect.String, sf.Type.Kind() == reflect.Int:
		case sf.Type == reflect.TypeFor[[]string]():
			f.list = true
			if f.item == "" {
				f.item = "a value"
			}
		default:
			panic(fmt.Sprintf("dialect: config field %s.%s (key %s) has unsupported type %s", t, sf.Name, key, sf.Type))
		}
		for rule := range strings.SplitSeq(sf.Tag.Get("check"), ",") {
			switch rule {
			case "":
			case "required":
				f.required = true
			case "url":
				f.url = true
			default:
				panic(fmt.Sprintf("dialect: config field %s.%s: unknown check %q", t, sf.Name, rule))
			}
		}
		out = append(out, f)
	}
	return out
}
