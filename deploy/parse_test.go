package deploy_test

// Small parsers for the artefacts' formats: Dockerfile, systemd unit,
// shell-like command lines and the Kubernetes objects the manifests use.
// They understand what the artefacts here use and report anything else as
// an error, so that a new construct fails the test instead of passing it
// unchecked.

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// shellFields splits a command line the way sh (and, for the quoting the
// artefacts use, systemd) does: blanks separate words, quotes group, a
// backslash escapes. ";" is a word of its own; "&&" and "|" are words when
// written between blanks, as they are here.
func shellFields(s string) ([]string, error) {
	var (
		out    []string
		cur    strings.Builder
		inWord bool
	)
	flush := func() {
		if inWord {
			out = append(out, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
				inWord = true
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case ' ', '\t', '\n', '\r':
			flush()
		case ';':
			flush()
			out = append(out, ";")
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return out, nil
}

// ---- Dockerfile ----

type dockerStage struct {
	name, image string
	env         map[string]string
	runs        []string
	copies      []dockerCopy
	expose      []string
	user        string
	entrypoint  []string
	cmd         []string
	stopSignal  string
}

type dockerCopy struct {
	from string // --from stage, "" for the build context
	srcs []string
	dst  string
}

type dockerfile struct {
	comments []string
	stages   []*dockerStage
}

func (d *dockerfile) final() *dockerStage { return d.stages[len(d.stages)-1] }

func (d *dockerfile) stage(name string) *dockerStage {
	for _, s := range d.stages {
		if s.name == name {
			return s
		}
	}
	return nil
}

// parseDockerfile understands FROM, WORKDIR, ENV, ARG, COPY, RUN, EXPOSE,
// USER, ENTRYPOINT, CMD, STOPSIGNAL and LABEL. ENTRYPOINT and CMD must use
// the exec (JSON) form: the shell form runs the gateway under /bin/sh,
// which the distroless image lacks and which would swallow SIGTERM.
func parseDockerfile(data string) (*dockerfile, error) {
	d := &dockerfile{}
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			d.comments = append(d.comments, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		if s := strings.TrimSpace(cur.String()); s != "" {
			logical = append(logical, s)
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		return nil, fmt.Errorf("line continuation at end of file: %q", s)
	}
	var st *dockerStage
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		instr = strings.ToUpper(instr)
		rest = strings.TrimSpace(rest)
		if instr != "FROM" && st == nil {
			if instr == "ARG" {
				continue
			}
			return nil, fmt.Errorf("%s before FROM", instr)
		}
		switch instr {
		case "FROM":
			f := strings.Fields(rest)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			st = &dockerStage{env: map[string]string{}}
			switch {
			case len(f) == 1:
				st.image = f[0]
			case len(f) == 3 && strings.EqualFold(f[1], "AS"):
				st.image, st.name = f[0], f[2]
			default:
				return nil, fmt.Errorf("FROM %s: want IMAGE [AS NAME]", rest)
			}
			d.stages = append(d.stages, st)
		case "WORKDIR", "ARG", "LABEL":
		case "ENV":
			f, err := shellFields(rest)
			if err != nil {
				return nil, err
			}
			if len(f) == 2 && !strings.Contains(f[0], "=") {
				st.env[f[0]] = f[1]
				break
			}
			for _, kv := range f {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("ENV %s: want KEY=VALUE", rest)
				}
				st.env[k] = v
			}
		case "RUN":
			st.runs = append(st.runs, rest)
		case "COPY", "ADD":
			f, err := shellFields(rest)
			if err != nil {
				return nil, err
			}
			var c dockerCopy
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				if v, ok := strings.CutPrefix(f[0], "--from="); ok {
					c.from = v
				}
				f = f[1:]
			}
			if len(f) < 2 || strings.HasPrefix(f[0], "[") {
				return nil, fmt.Errorf("%s %s: want [--from=STAGE] SRC... DST", instr, rest)
			}
			c.srcs, c.dst = f[:len(f)-1], f[len(f)-1]
			st.copies = append(st.copies, c)
		case "EXPOSE":
			st.expose = append(st.expose, strings.Fields(rest)...)
		case "USER":
			st.user = rest
		case "STOPSIGNAL":
			st.stopSignal = rest
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				return nil, fmt.Errorf("%s %s: use the exec form [\"/gateway\", ...]: the shell form needs /bin/sh and does not pass SIGTERM on", instr, rest)
			}
			if instr == "ENTRYPOINT" {
				st.entrypoint = argv
				st.cmd = nil // Docker: ENTRYPOINT resets an inherited CMD
			} else {
				st.cmd = argv
			}
		default:
			return nil, fmt.Errorf("instruction %s is not understood by deploy_test.go: extend the test", instr)
		}
	}
	if len(d.stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return d, nil
}

// goBuild is the `go build` command of a RUN line.
type goBuild struct {
	env      map[string]string // NAME=value words before the command
	args     []string          // everything after "go build"
	output   string            // -o
	packages []string
}

// goBuildValueFlags are the go build flags that take a value.
var goBuildValueFlags = map[string]bool{
	"o": true, "p": true, "C": true, "asmflags": true, "buildmode": true, "compiler": true,
	"gccgoflags": true, "gcflags": true, "installsuffix": true, "ldflags": true, "mod": true,
	"modfile": true, "overlay": true, "pgo": true, "pkgdir": true, "tags": true, "toolexec": true,
	"covermode": true, "coverpkg": true,
}

// findGoBuild returns the `go build` command of a shell line, if any.
func findGoBuild(run string) (*goBuild, error) {
	words, err := shellFields(run)
	if err != nil {
		return nil, err
	}
	// Split into simple commands.
	var cmds [][]string
	var cur []string
	for _, w := range words {
		if w == "&&" || w == "||" || w == ";" || w == "|" {
			cmds = append(cmds, cur)
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	cmds = append(cmds, cur)
	for _, c := range cmds {
		gb := &goBuild{env: map[string]string{}}
		i := 0
		for ; i < len(c) && strings.Contains(c[i], "=") && !strings.HasPrefix(c[i], "-"); i++ {
			k, v, _ := strings.Cut(c[i], "=")
			gb.env[k] = v
		}
		if i+1 >= len(c) || c[i] != "go" || c[i+1] != "build" {
			continue
		}
		gb.args = c[i+2:]
		for j := 0; j < len(gb.args); j++ {
			a := gb.args[j]
			if !strings.HasPrefix(a, "-") {
				gb.packages = append(gb.packages, a)
				continue
			}
			name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if goBuildValueFlags[name] && !hasVal {
				if j+1 >= len(gb.args) {
					return nil, fmt.Errorf("go build flag %s has no value", a)
				}
				j++
				val = gb.args[j]
			}
			if name == "o" {
				gb.output = val
			}
		}
		return gb, nil
	}
	return nil, nil
}

// ---- systemd unit ----

type unitFile struct {
	comments []string
	// sections maps a section to its assignments, in order.
	sections map[string][][2]string
}

func (u *unitFile) get(section, key string) []string {
	var out []string
	for _, kv := range u.sections[section] {
		if kv[0] == key {
			if kv[1] == "" {
				out = nil // an empty assignment resets the list
				continue
			}
			out = append(out, kv[1])
		}
	}
	return out
}

func (u *unitFile) last(section, key string) string {
	v := u.get(section, key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func parseUnit(data string) (*unitFile, error) {
	u := &unitFile{sections: map[string][][2]string{}}
	section := ""
	var cont strings.Builder
	for n, line := range strings.Split(data, "\n") {
		t := strings.TrimSpace(line)
		if cont.Len() == 0 && (strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")) {
			u.comments = append(u.comments, strings.TrimSpace(t[1:]))
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cont.WriteString(strings.TrimSuffix(t, "\\") + " ")
			continue
		}
		cont.WriteString(t)
		t = strings.TrimSpace(cont.String())
		cont.Reset()
		switch {
		case t == "":
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			section = t[1 : len(t)-1]
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("line %d: %q is not KEY=VALUE in a section", n+1, t)
			}
			u.sections[section] = append(u.sections[section], [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	return u, nil
}

// ---- Kubernetes ----

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       yaml.Node         `yaml:"spec"`
}

type k8sWorkload struct {
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Spec k8sPodSpec `yaml:"spec"`
	} `yaml:"template"`
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds *int64 `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsUser          *int64  `yaml:"runAsUser"`
		RunAsGroup         *int64  `yaml:"runAsGroup"`
		RunAsNonRoot       *bool   `yaml:"runAsNonRoot"`
		FSGroup            *int64  `yaml:"fsGroup"`
		SupplementalGroups []int64 `yaml:"supplementalGroups"`
	} `yaml:"securityContext"`
	InitContainers []k8sContainer `yaml:"initContainers"`
	Containers     []k8sContainer `yaml:"containers"`
	Volumes        []k8sVolume    `yaml:"volumes"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string  `yaml:"name"`
		Value     *string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef    *k8sKeyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *k8sKeyRef `yaml:"configMapKeyRef"`
			FieldRef        *yaml.Node `yaml:"fieldRef"`
			// ResourceFieldRef: the downward API's view of the
			// container's resources (GOMEMLIMIT from limits.memory).
			ResourceFieldRef *struct {
				ContainerName string `yaml:"containerName"`
				Resource      string `yaml:"resource"`
				Divisor       string `yaml:"divisor"`
			} `yaml:"resourceFieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		Prefix       string                 `yaml:"prefix"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	Lifecycle *struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int64 `yaml:"seconds"`
			} `yaml:"sleep"`
			Exec    *yaml.Node `yaml:"exec"`
			HTTPGet *yaml.Node `yaml:"httpGet"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	SecurityContext struct {
		RunAsUser    *int64 `yaml:"runAsUser"`
		RunAsGroup   *int64 `yaml:"runAsGroup"`
		RunAsNonRoot *bool  `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type k8sKeyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional bool   `yaml:"optional"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path   string `yaml:"path"`
		Port   string `yaml:"port"` // a number or a port name
		Scheme string `yaml:"scheme"`
	} `yaml:"httpGet"`
	GRPC *struct {
		Port    int     `yaml:"port"`
		Service *string `yaml:"service"`
	} `yaml:"grpc"`
	TCPSocket *struct {
		Port string `yaml:"port"`
	} `yaml:"tcpSocket"`
	Exec *yaml.Node `yaml:"exec"`
}

type k8sKeyToPath struct {
	Key  string `yaml:"key"`
	Path string `yaml:"path"`
	Mode *int32 `yaml:"mode"`
}

type k8sVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name        string         `yaml:"name"`
		Items       []k8sKeyToPath `yaml:"items"`
		DefaultMode *int32         `yaml:"defaultMode"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName  string         `yaml:"secretName"`
		Items       []k8sKeyToPath `yaml:"items"`
		DefaultMode *int32         `yaml:"defaultMode"`
	} `yaml:"secret"`
	EmptyDir *yaml.Node `yaml:"emptyDir"`
}

type k8sService struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name        string `yaml:"name"`
		Port        int    `yaml:"port"`
		TargetPort  string `yaml:"targetPort"`
		AppProtocol string `yaml:"appProtocol"`
	} `yaml:"ports"`
}
