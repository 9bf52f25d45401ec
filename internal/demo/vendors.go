package demo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/internal/auth/authtest"
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
// cloud, the gateway listening on httpAddr and grpcAddr, with a
// commented-out tls and policy section for certificates it also writes in
// dir (writeTLS).
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
	root.HeadComment = "computegw config for the fake vendors of `gateway --demo-vendors`: serve it with\n" +
		"`gateway --config THIS_FILE`. The vendors and the files named below live as long\n" +
		"as that `--demo-vendors` process."
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	tlsBlock, err := writeTLS(dir, httpAddr)
	if err != nil {
		return nil, err
	}
	buf.WriteString(tlsBlock)
	return buf.Bytes(), nil
}

// DemoClientCN is the subject CN of the client certificate writeTLS makes:
// the principal cert:demo-client.
const DemoClientCN = "demo-client"

// writeTLS makes, in dir, a CA (ca.crt), a server certificate for
// 127.0.0.1 and localhost (server.crt, server.key) and a client
// certificate for DemoClientCN (client.crt, client.key), all valid 24 h,
// and returns the commented-out config lines that serve TLS and mTLS with
// them: uncommented (delete each "# " before tls:, policy: and their
// indented lines), only callers presenting the client certificate get in.
func writeTLS(dir, httpAddr string) (string, error) {
	ca := authtest.NewCA("computegw demo-vendors CA")
	serverCert, serverKey := ca.Server("localhost")
	clientCert, clientKey := ca.Client(DemoClientCN)
	for name, data := range map[string][]byte{"ca.crt": ca.PEM, "server.crt": serverCert, "server.key": serverKey,
		"client.crt": clientCert, "client.key": clientKey} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return "", fmt.Errorf("writing %s: %w", name, err)
		}
	}
	f := func(name string) string { return filepath.Join(dir, name) }
	return fmt.Sprintf(`
# TLS and mTLS: uncomment these lines to serve both listeners over TLS with a
# certificate made for this run (127.0.0.1 and localhost, signed by ca.crt,
# valid 24 h) and to let in only callers presenting client.crt (the principal
# cert:%[6]s, admin everywhere):
# tls:
#   cert_file: %[1]s
#   key_file: %[2]s
#   client_ca_file: %[3]s
# policy:
#   - principals: ["cert:%[6]s"]
#     clouds: ["*"]
#     role: admin
# Then: curl --cacert %[3]s --cert %[4]s --key %[5]s https://%[7]s/v1/clouds
`, f("server.crt"), f("server.key"), f("ca.crt"), f("client.crt"), f("client.key"), DemoClientCN, httpAddr), nil
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
