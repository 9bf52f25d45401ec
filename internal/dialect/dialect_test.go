package dialect

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/computegw/computegw/driver"
)

type testConfig struct {
	Endpoint string   `yaml:"endpoint" check:"required,url"`
	Project  int      `yaml:"project_id" check:"required"`
	Region   string   `yaml:"region"`
	Images   []string `yaml:"images" item:"an image ID"`
	Internal string   // not a key
	Skipped  string   `yaml:"-"`
}

var spec = Spec[testConfig]{Name: "acmev2", Secret: "api_key",
	Open: func(c Common, cfg testConfig, _ Deps) (driver.Adapter, error) { return nil, nil }}

func fields(t *testing.T, doc string) (map[string]*yaml.Node, int) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	m := n.Content[0]
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i+1]
	}
	return out, m.Line
}

func TestKeys(t *testing.T) {
	if got := strings.Join(spec.Keys(), ","); got != "endpoint,project_id,region,images" {
		t.Errorf("keys %s", got)
	}
}

func TestDecode(t *testing.T) {
	f, line := fields(t, "endpoint: https://api.example.com\nproject_id: 111\nimages: [a, b]\n")
	v, err := spec.Decode(f, line)
	if err != nil {
		t.Fatal(err)
	}
	c := v.(testConfig)
	if c.Endpoint != "https://api.example.com" || c.Project != 111 || strings.Join(c.Images, ",") != "a,b" || c.Region != "" {
		t.Errorf("decoded %+v", c)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ doc, key, msg string }{
		{"project_id: 1\n", "endpoint", "required for dialect acmev2"},
		{"endpoint: ''\nproject_id: 1\n", "endpoint", "required for dialect acmev2"},
		{"endpoint: ftp://x\nproject_id: 1\n", "endpoint", `"ftp://x" is not an http(s) URL`},
		{"endpoint: https://x\nproject_id: one\n", "project_id", `"one" is not an integer`},
		{"endpoint: [https://x]\nproject_id: 1\n", "endpoint", "must be a single value"},
		{"endpoint: https://x\nproject_id: 1\nimages: a\n", "images", "must be a list of an image IDs"},
		{"endpoint: https://x\nproject_id: 1\nimages: [a, '']\n", "images[1]", "must be an image ID"},
	} {
		f, line := fields(t, c.doc)
		_, err := spec.Decode(f, line)
		fe, ok := err.(*FieldError)
		if !ok || fe.Key != c.key || fe.Msg != c.msg || fe.Line == 0 {
			t.Errorf("%q: got %#v, want %s: %s", c.doc, err, c.key, c.msg)
		}
	}
}

func TestUnsupportedFieldTypePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a config field of type bool was accepted")
		}
	}()
	type bad struct {
		On bool `yaml:"on"`
	}
	Spec[bad]{}.Keys()
}

func TestOpenChecksTheConfigType(t *testing.T) {
	if _, err := spec.OpenAdapter(Common{}, "not a testConfig", Deps{}); err == nil {
		t.Error("OpenAdapter accepted a config of another type")
	}
}
