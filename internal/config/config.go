// Package config loads and checks the gateway's YAML config file. It is
// strict: an unknown key, a key the cloud's dialect does not use, a missing
// credential or an unreadable secret is an error naming the offending key,
// the cloud and the line, on one line, without the secret's value.
//
// It parses the top-level keys and each cloud's common keys (name, dialect,
// the credential in its inline, _env and _file forms, timeout, zones) and
// hands the rest of a cloud entry to the cloud's dialect (a
// dialect.Descriptor); it names no dialect.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/backendhttp"
	"github.com/computegw/computegw/internal/dialect"
)

// File is a parsed config file.
type File struct {
	HTTPAddr string
	GRPCAddr string
	// PageTokenKey signs page tokens; set it (page_token_key_env or
	// page_token_key_file) when several gateways share a load balancer.
	PageTokenKey []byte
	// ShutdownTimeout bounds the drain of in-flight calls on SIGTERM.
	ShutdownTimeout time.Duration
	// CrossCloudTimeout bounds a clouds/- list whose caller set no
	// deadline (cross_cloud_timeout; 0: the server's default).
	CrossCloudTimeout time.Duration
	// ShutdownDelay is how long the gateway, on SIGTERM, reports
	// NOT_SERVING while still serving, so that load balancers stop sending
	// before it stops accepting (shutdown_delay; default 0).
	ShutdownDelay time.Duration
	// Limits is the `limits` section over its defaults (limits.go).
	Limits Limits
	// AdminAddr is the admin listener's address (admin_addr); "" is off.
	AdminAddr string
	Clouds    []Cloud
	Security  // tls, auth, policy: security.go
	// State is the `state` section (state.go); nil: state is per process.
	State *State
	// Warnings are non-fatal findings (inline passwords, ignored keys).
	Warnings []string
}

// Cloud is one entry of `clouds`: the common keys, parsed here, and the
// dialect's own keys, decoded and checked by its Descriptor.
type Cloud struct {
	// Common holds name, the resolved credential, timeout and zones.
	dialect.Common
	Dialect string
	// Descriptor is the cloud's dialect; Options is what its Decode made of
	// the dialect's keys (the adapter package's config struct).
	Descriptor dialect.Descriptor
	Options    any
	// Policy isolates the cloud's backend calls (max_concurrent_calls,
	// circuit_breaker_failures, circuit_breaker_open, read_retries; zero
	// fields take backendhttp's defaults).
	Policy backendhttp.Policy
}

// Open builds the cloud's adapter.
func (c Cloud) Open(deps dialect.Deps) (driver.Adapter, error) {
	return c.Descriptor.OpenAdapter(c.Common, c.Options, deps)
}

// commonKeys are the keys every cloud entry has, besides its dialect's
// secret (<secret>, <secret>_env, <secret>_file) and its own keys.
var commonKeys = []string{"name", "dialect", "timeout", "zones", "max_concurrent_calls", "circuit_breaker_failures", "circuit_breaker_open", "read_retries"}

// To add a top-level section (tls, auth, ...): add its key to topKeys and
// one line in Parse calling a parse function in the section's own file.
var topKeys = []string{"http_addr", "grpc_addr", "clouds", "page_token_key_env", "page_token_key_file", "shutdown_timeout", "shutdown_delay", "admin_addr", "state", "cross_cloud_timeout", "limits"}

var cloudNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Error is a config error: Key is the offending key's path, e.g.
// "clouds[1].password_env".
type Error struct {
	Key   string
	Cloud string // the cloud's name, when known
	Line  int
	Msg   string
}

func (e *Error) Error() string {
	var where []string
	if e.Cloud != "" {
		where = append(where, "cloud "+e.Cloud)
	}
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	loc := ""
	if len(where) > 0 {
		loc = " (" + strings.Join(where, ", ") + ")"
	}
	if e.Key == "" {
		return e.Msg + loc
	}
	return e.Key + ": " + e.Msg + loc
}

// Env looks up environment variables (os.LookupEnv in production).
type Env func(string) (string, bool)

// Load reads and checks the config file at path. dialects are the dialects
// a cloud may name (internal/dialects.All in the gateway).
func Load(path string, env Env, dialects []dialect.Descriptor) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("cannot read config file: %v", errors.Unwrap(err))}
	}
	return Parse(data, env, dialects)
}

// Parse checks a config document; see Load.
func Parse(data []byte, env Env, dialects []dialect.Descriptor) (*File, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{Msg: "not valid YAML: " + strings.ReplaceAll(err.Error(), "\n", " ")}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Msg: "config file is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Msg: "config must be a mapping with http_addr, grpc_addr and clouds", Line: root.Line}
	}
	f := &File{}
	fields, err := mapping(root, "", topKeys)
	if err != nil {
		return nil, err
	}
	if f.HTTPAddr, err = scalar(fields, "", "http_addr"); err != nil {
		return nil, err
	}
	if f.GRPCAddr, err = scalar(fields, "", "grpc_addr"); err != nil {
		return nil, err
	}
	if err := durationField(fields, "", "shutdown_timeout", &f.ShutdownTimeout, "20s"); err != nil {
		return nil, err
	}
	if s, err := scalar(fields, "", "shutdown_delay"); err != nil {
		return nil, err
	} else if s != "" {
		d, perr := time.ParseDuration(s)
		if perr != nil || d < 0 {
			return nil, &Error{Key: "shutdown_delay", Line: fields["shutdown_delay"].Line, Msg: fmt.Sprintf("%q is not a Go duration such as 5s (0s: none)", s)}
		}
		f.ShutdownDelay = d
	}
	if err := parseAdmin(fields, f); err != nil {
		return nil, err
	}
	if err := parseCrossCloud(fields, f); err != nil {
		return nil, err
	}
	key, err := secret(fields, "", "page_token_key", env, false)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if len(key) < 16 {
			return nil, &Error{Key: "page_token_key_env", Msg: "the page token key must be at least 16 bytes"}
		}
		f.PageTokenKey = []byte(key)
	}
	if f.State, err = parseState(fields["state"], env); err != nil {
		return nil, err
	}
	cn, ok := fields["clouds"]
	if !ok {
		return nil, &Error{Key: "clouds", Msg: "required: list the clouds to serve"}
	}
	if cn.Kind != yaml.SequenceNode {
		return nil, &Error{Key: "clouds", Line: cn.Line, Msg: "must be a list"}
	}
	if len(cn.Content) == 0 {
		return nil, &Error{Key: "clouds", Line: cn.Line, Msg: "must list at least one cloud"}
	}
	seen := map[string]int{}
	for i, n := range cn.Content {
		c, warns, err := parseCloud(fmt.Sprintf("clouds[%d]", i), n, env, dialects)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[c.Name]; dup {
			return nil, &Error{Key: fmt.Sprintf("clouds[%d].name", i), Line: n.Line, Msg: fmt.Sprintf("duplicate cloud name %q (also clouds[%d])", c.Name, j)}
		}
		seen[c.Name] = i
		f.Clouds = append(f.Clouds, *c)
		f.Warnings = append(f.Warnings, warns...)
	}
	if err := parseSecurity(f, fields); err != nil {
		return nil, err
	}
	if err := parseLimits(fields["limits"], f); err != nil { // after clouds: checked against their timeouts
		return nil, err
	}
	return f, nil
}

func mapping(n *yaml.Node, path string, allowed []string) (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if !contains(allowed, name) {
			return nil, &Error{Key: join(path, name), Line: k.Line, Msg: "unknown key"}
		}
		if _, dup := out[name]; dup {
			return nil, &Error{Key: join(path, name), Line: k.Line, Msg: "key given twice"}
		}
		out[name] = v
	}
	return out, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func scalar(fields map[string]*yaml.Node, path, key string) (string, error) {
	n, ok := fields[key]
	if !ok {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", &Error{Key: join(path, key), Line: n.Line, Msg: "must be a single value"}
	}
	return n.Value, nil
}

// stringKey is one single-value key of a section and where it goes.
type stringKey struct {
	key string
	dst *string
}

// scalars reads each key (absent: "") into its destination, in order; the
// first that is not a single value is the error.
func scalars(fields map[string]*yaml.Node, path string, keys ...stringKey) error {
	for _, k := range keys {
		v, err := scalar(fields, path, k.key)
		if err != nil {
			return err
		}
		*k.dst = v
	}
	return nil
}

// secret resolves <base>, <base>_env or <base>_file (at most one; the inline
// form only when inline is allowed). Errors never contain the value.
func secret(fields map[string]*yaml.Node, path, base string, env Env, inline bool) (string, error) {
	var set []string
	forms := []string{base + "_env", base + "_file"}
	if inline {
		forms = append([]string{base}, forms...)
	}
	for _, k := range forms {
		if _, ok := fields[k]; ok {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		return "", &Error{Key: join(path, set[1]), Line: fields[set[1]].Line, Msg: "give only one of " + strings.Join(forms, ", ")}
	}
	if len(set) == 0 {
		return "", nil
	}
	k := set[0]
	v, err := scalar(fields, path, k)
	if err != nil {
		return "", err
	}
	line := fields[k].Line
	switch k {
	case base:
		if v == "" {
			return "", &Error{Key: join(path, k), Line: line, Msg: "is empty"}
		}
		return v, nil
	case base + "_env":
		if v == "" {
			return "", &Error{Key: join(path, k), Line: line, Msg: "must name an environment variable"}
		}
		val, ok := env(v)
		if !ok {
			return "", &Error{Key: join(path, k), Line: line, Msg: fmt.Sprintf("environment variable %s is not set", v)}
		}
		if val == "" {
			return "", &Error{Key: join(path, k), Line: line, Msg: fmt.Sprintf("environment variable %s is empty", v)}
		}
		return val, nil
	default:
		if v == "" {
			return "", &Error{Key: join(path, k), Line: line, Msg: "must name a file"}
		}
		b, err := os.ReadFile(v)
		if err != nil {
			var pe *os.PathError
			reason := err.Error()
			if errors.As(err, &pe) {
				reason = pe.Err.Error()
			}
			return "", &Error{Key: join(path, k), Line: line, Msg: fmt.Sprintf("cannot read secret file %s: %s", v, reason)}
		}
		val := strings.TrimRight(string(b), "\r\n")
		if val == "" {
			return "", &Error{Key: join(path, k), Line: line, Msg: fmt.Sprintf("secret file %s is empty", v)}
		}
		return val, nil
	}
}

func parseCloud(path string, n *yaml.Node, env Env, dialects []dialect.Descriptor) (*Cloud, []string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, nil, &Error{Key: path, Line: n.Line, Msg: "must be a mapping with name, dialect and credentials"}
	}
	// Every key some dialect uses is known here; whether this cloud's
	// dialect uses it is checked once the dialect is known.
	known := append([]string{}, commonKeys...)
	for _, d := range dialects {
		known = append(known, secretForms(d.SecretKey())...)
		known = append(known, d.Keys()...)
	}
	fields, err := mapping(n, path, known)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range []string{"name", "dialect"} {
		if _, err := scalar(fields, path, k); err != nil {
			return nil, nil, err
		}
	}
	get := func(k string) string { v, _ := scalar(fields, path, k); return v }
	c := &Cloud{Common: dialect.Common{Name: get("name")}, Dialect: get("dialect")}
	if c.Name == "" {
		return nil, nil, &Error{Key: path + ".name", Line: n.Line, Msg: "required"}
	}
	if !cloudNamePattern.MatchString(c.Name) {
		return nil, nil, &Error{Key: path + ".name", Line: fields["name"].Line, Msg: fmt.Sprintf("%q must match [a-z][a-z0-9-]{0,62}", c.Name)}
	}
	cl, warns, err := parseCloudFields(path, n, fields, c, env, dialects)
	var ce *Error
	if errors.As(err, &ce) {
		ce.Cloud = c.Name
	}
	return cl, warns, err
}

func secretForms(base string) []string { return []string{base, base + "_env", base + "_file"} }

func dialectNames(dialects []dialect.Descriptor, sep, last string) string {
	var b strings.Builder
	for i, d := range dialects {
		switch {
		case i == 0:
		case i == len(dialects)-1:
			b.WriteString(last)
		default:
			b.WriteString(sep)
		}
		b.WriteString(string(d.DialectName()))
	}
	return b.String()
}

func parseCloudFields(path string, n *yaml.Node, fields map[string]*yaml.Node, c *Cloud, env Env, dialects []dialect.Descriptor) (*Cloud, []string, error) {
	get := func(k string) string { v, _ := scalar(fields, path, k); return v }
	if c.Dialect == "" {
		return nil, nil, &Error{Key: path + ".dialect", Line: n.Line, Msg: "required: one of " + dialectNames(dialects, ", ", ", ")}
	}
	i := slices.IndexFunc(dialects, func(d dialect.Descriptor) bool { return string(d.DialectName()) == c.Dialect })
	if i < 0 {
		return nil, nil, &Error{Key: path + ".dialect", Line: fields["dialect"].Line, Msg: fmt.Sprintf("unknown dialect %q: use %s", c.Dialect, dialectNames(dialects, ", ", " or "))}
	}
	d := dialects[i]
	c.Descriptor = d
	own := d.Keys()
	base := d.SecretKey()
	dialectFields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		switch {
		case contains(commonKeys, k) || contains(secretForms(base), k):
		case contains(own, k):
			dialectFields[k] = fields[k]
		default:
			return nil, nil, &Error{Key: path + "." + k, Line: fields[k].Line, Msg: "is not used by dialect " + c.Dialect}
		}
	}
	for _, k := range secretForms(base) {
		if _, err := scalar(fields, path, k); err != nil {
			return nil, nil, err
		}
	}
	if _, err := scalar(fields, path, "timeout"); err != nil {
		return nil, nil, err
	}
	opts, err := d.Decode(dialectFields, n.Line)
	if err != nil {
		var fe *dialect.FieldError
		if errors.As(err, &fe) {
			return nil, nil, &Error{Key: path + "." + fe.Key, Line: fe.Line, Msg: fe.Msg}
		}
		return nil, nil, &Error{Key: path, Line: n.Line, Msg: err.Error()}
	}
	c.Options = opts
	secret, err := secret(fields, path, base, env, true)
	if err != nil {
		return nil, nil, err
	}
	if secret == "" {
		return nil, nil, &Error{Key: path + "." + base + "_env", Line: n.Line, Msg: "missing credential: give " + base + "_env or " + base + "_file"}
	}
	c.Secret = secret
	var warns []string
	if _, inline := fields[base]; inline {
		warns = append(warns, path+"."+base+": the "+base+" is inline in the config file; prefer "+base+"_env or "+base+"_file")
	}
	if s := get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, nil, &Error{Key: path + ".timeout", Line: fields["timeout"].Line, Msg: fmt.Sprintf("%q is not a positive Go duration such as 30s", s)}
		}
		c.Timeout = d
	} else {
		c.Timeout = d.DefaultCallTimeout()
	}
	if c.Zones, err = stringList(fields, path, "zones", "a zone name"); err != nil {
		return nil, nil, err
	}
	if c.Policy, err = parsePolicy(fields, path); err != nil {
		return nil, nil, err
	}
	if _, ok := fields["zones"]; ok && !d.UsesConfiguredZones() {
		warns = append(warns, path+".zones: dialect "+c.Dialect+" lists zones itself; the static list is shown in GetCloud only")
	}
	return c, warns, nil
}

func stringList(fields map[string]*yaml.Node, path, key, what string) ([]string, error) {
	n, ok := fields[key]
	if !ok {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &Error{Key: path + "." + key, Line: n.Line, Msg: "must be a list of " + what + "s"}
	}
	var out []string
	for i, v := range n.Content {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return nil, &Error{Key: fmt.Sprintf("%s.%s[%d]", path, key, i), Line: v.Line, Msg: "must be " + what}
		}
		out = append(out, v.Value)
	}
	return out, nil
}
