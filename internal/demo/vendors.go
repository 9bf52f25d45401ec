package demo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/driver"
)

// Vendor is one running fake vendor server and the config-file entry of a
// cloud served by it.
type Vendor struct {
	// Cloud is the demo cloud's name, which the entry keeps.
	Cloud   string
	Dialect driver.Dialect
	URL     string
	// Keys are the entry's keys besides name, dialect and the secret, in
	// the order printed: the dialect's own keys and zones.
	Keys []Key
	// Secret is the dialect's credential key (password, api_key) and
	// SecretValue the fake's demo credential for it.
	Secret, SecretValue string
	close               func()
}

// Key is one config key and its value (a string, an int or a []string).
type Key struct {
	Name  string
	Value any
}

// Close stops the vendor's server.
func (v *Vendor) Close() { v.close() }

// StartVendors starts the fake vendor server of every demo cloud on a
// loopback port, seeded as in demo mode, and returns them with a function
// that stops them all.
func StartVendors() ([]*Vendor, func()) {
	var out []*Vendor
	for _, c := range Clouds {
		start, ok := vendors[c.Name]
		if !ok {
			panic("demo: no fake vendor for demo cloud " + c.Name)
		}
		v := start()
		v.Cloud = c.Name
		out = append(out, v)
	}
	return out, func() {
		for _, v := range out {
			v.Close()
		}
	}
}

// WriteConfig writes each vendor's credential to a file of its own in dir
// (0600; the config names it with <secret>_file, so no secret is in the
// config) and returns a config file serving every vendor as its demo
// cloud, the gateway listening on httpAddr and grpcAddr.
func WriteConfig(vendors []*Vendor, dir, httpAddr, grpcAddr string) ([]byte, error) {
	clouds := &yaml.Node{Kind: yaml.SequenceNode}
	for _, v := range vendors {
		file := filepath.Join(dir, v.Cloud+"."+v.Secret)
		if err := os.WriteFile(file, []byte(v.SecretValue+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("writing %s's %s file: %w", v.Cloud, v.Secret, err)
		}
		entry := mappingNode()
		addKey(entry, "name", v.Cloud)
		addKey(entry, "dialect", string(v.Dialect))
		for _, k := range v.Keys {
			addKey(entry, k.Name, k.Value)
		}
		addKey(entry, v.Secret+"_file", file)
		clouds.Content = append(clouds.Content, entry)
	}
	root := mappingNode()
	addKey(root, "http_addr", httpAddr)
	addKey(root, "grpc_addr", grpcAddr)
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "clouds"}, clouds)
	root.HeadComment = "computegw config for the fake vendors of `gateway --demo-vendors`; serve it with\n" +
		"  gateway --config THIS_FILE\n" +
		"The vendors and the credential files below live as long as that process."
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func mappingNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func addKey(m *yaml.Node, key string, value any) {
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
	var v *yaml.Node
	switch x := value.(type) {
	case string:
		v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
	case int:
		v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}
	case []string:
		v = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range x {
			v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
		}
	default:
		panic(fmt.Sprintf("demo: config key %s: unexpected %T", key, value))
	}
	m.Content = append(m.Content, k, v)
}
