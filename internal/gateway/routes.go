package gateway

import (
	"net/http"
	"regexp"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"

	pb "github.com/computegw/computegw/gen/computegw/v1"
)

// route is one RPC's REST binding, from its google.api.http option.
type route struct {
	method string // HTTP method
	re     *regexp.Regexp
	rpc    string // short RPC name
	// segs is the template's path split at '/', variables expanded to
	// their patterns ("v1", "clouds", "*", "instances", "*:watch"): see
	// boundRoute. nil for a template with "**".
	segs []string
}

// restRoutes are the REST bindings of every RPC, read from the service
// descriptor, so the front end can name the RPC of a request it refuses
// before grpc-gateway routes it (for the call log and metrics).
var restRoutes = func() []route {
	var out []route
	methods := pb.File_computegw_v1_compute_proto.Services().ByName("ComputeService").Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
		if rule == nil {
			continue
		}
		for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
			var verb, tmpl string
			switch p := r.GetPattern().(type) {
			case *annotations.HttpRule_Get:
				verb, tmpl = http.MethodGet, p.Get
			case *annotations.HttpRule_Post:
				verb, tmpl = http.MethodPost, p.Post
			case *annotations.HttpRule_Put:
				verb, tmpl = http.MethodPut, p.Put
			case *annotations.HttpRule_Patch:
				verb, tmpl = http.MethodPatch, p.Patch
			case *annotations.HttpRule_Delete:
				verb, tmpl = http.MethodDelete, p.Delete
			default:
				continue
			}
			out = append(out, route{method: verb, re: templateRegexp(tmpl), rpc: string(md.Name()), segs: templateSegments(tmpl)})
		}
	}
	return out
}()

var templateVar = regexp.MustCompile(`\{[^}=]+(=([^}]*))?\}`)

// templateRegexp turns an HTTP rule path template into an anchored regexp:
// * is one segment, ** any number, {f} one segment, {f=pattern} the pattern.
func templateRegexp(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range templateVar.FindAllStringSubmatchIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:m[0]]))
		pat := "*"
		if m[4] >= 0 {
			pat = tmpl[m[4]:m[5]]
		}
		b.WriteString(segments(pat))
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// templateSegments is tmpl with its variables expanded ({f} to *,
// {f=pattern} to the pattern), split at '/' after the leading one; nil when
// it has "**", which boundRoute does not match.
func templateSegments(tmpl string) []string {
	expanded := templateVar.ReplaceAllStringFunc(tmpl, func(v string) string {
		if _, pat, ok := strings.Cut(strings.Trim(v, "{}"), "="); ok {
			return pat
		}
		return "*"
	})
	if strings.Contains(expanded, "**") {
		return nil
	}
	return strings.Split(strings.TrimPrefix(expanded, "/"), "/")
}

// boundRoute reports whether a REST binding of method matches path, a
// variable segment taking one segment without ':' (and a last "*:verb"
// segment such a segment followed by exactly ":verb"). That is routeCheck's
// rule for passing a request on (its OpenAPI paths are these bindings), so
// a request it holds true for goes straight to grpc-gateway: routeCheck
// matches some thirty regexps per call (about 18 µs of CPU per GetInstance
// in bench/), this compares a few strings. TestBoundRouteAgrees keeps the
// two in step.
func boundRoute(method, path string) bool {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return false
	}
	for i := range restRoutes {
		rt := &restRoutes[i]
		if rt.method == method && rt.segs != nil && segmentsMatch(rt.segs, rest) {
			return true
		}
	}
	return false
}

func segmentsMatch(segs []string, path string) bool {
	for i, seg := range segs {
		part, tail, more := strings.Cut(path, "/")
		if more == (i == len(segs)-1) {
			return false // the path has more segments, or fewer
		}
		if !segmentMatch(seg, part) {
			return false
		}
		path = tail
	}
	return true
}

func segmentMatch(seg, part string) bool {
	if seg == "*" {
		return part != "" && !strings.Contains(part, ":")
	}
	if verb, ok := strings.CutPrefix(seg, "*"); ok { // "*:verb"
		id, ok := strings.CutSuffix(part, verb)
		return ok && id != "" && !strings.Contains(id, ":")
	}
	return seg == part
}

// routed passes a request some REST binding of its method matches (see
// boundRoute) straight to mux, and any other to check.
func routed(mux, check http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if boundRoute(r.Method, r.URL.Path) {
			mux.ServeHTTP(w, r)
			return
		}
		check.ServeHTTP(w, r)
	})
}

func segments(pat string) string {
	parts := strings.Split(pat, "/")
	for i, p := range parts {
		switch p {
		case "*":
			parts[i] = `[^/]+`
		case "**":
			parts[i] = `.+`
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return strings.Join(parts, "/")
}

// rpcOf names the RPC a REST request is for, or "" when none matches.
func rpcOf(r *http.Request) string {
	best := ""
	for _, rt := range restRoutes {
		if rt.method == r.Method && rt.re.MatchString(r.URL.Path) {
			// A custom verb route (…:watch) is more specific than the plain
			// one it also matches as a segment.
			if best == "" || strings.Contains(rt.re.String(), ":") {
				best = rt.rpc
			}
		}
	}
	return best
}
