package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/computegw/computegw/driver"
	"github.com/computegw/computegw/gen"
	"github.com/computegw/computegw/server"
)

// REST request errors a client can act on (issue 13, findings 4 and 5):
//
//   - A body or query parameter that does not decode is INVALID_ARGUMENT
//     with a BadRequest field violation naming the field (as the request
//     path names it, e.g. "instance.user_data") and what is accepted: the
//     enum's values, "base64", or the field a misspelt name probably meant.
//     grpc-gateway flattens decoding errors into a message string, so the
//     violations travel inside it (violationPrefix) to restError, which
//     turns them back into the contract's details.
//   - Enum values (bodies and query) are accepted in any case, like the
//     filter's state names: "hard" is HARD.
//   - A path no route has is 404 NOT_FOUND; a known path with the wrong
//     method is 405 with Allow (reason METHOD_NOT_ALLOWED), never 501,
//     which is UNSUPPORTED_BY_DIALECT's.
//   - A body over MaxRequestBytes is 413 (reason REQUEST_TOO_LARGE), not 429:
//     retrying does not help.

const violationPrefix = "computegw-violations:"

type violationsError []driver.FieldViolation

func (v violationsError) Error() string {
	b, _ := json.Marshal([]driver.FieldViolation(v))
	return violationPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// violationsIn recovers the violations a decoder or the query parser put in
// a status message (nil if there are none).
func violationsIn(msg string) []driver.FieldViolation {
	i := strings.Index(msg, violationPrefix)
	if i < 0 {
		return nil
	}
	enc := msg[i+len(violationPrefix):]
	if j := strings.IndexFunc(enc, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}); j >= 0 {
		enc = enc[:j]
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil
	}
	var v []driver.FieldViolation
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return v
}

func violationsStatus(v []driver.FieldViolation) *status.Status {
	parts := make([]string, len(v))
	for i, fv := range v {
		parts[i] = fv.Field + ": " + fv.Description
	}
	return server.Status(&driver.Error{Code: driver.CodeInvalidArgument, Message: "invalid request: " + strings.Join(parts, "; "), Violations: v})
}

// httpStatusOf is the HTTP status of a REST error answer: grpc-gateway's
// mapping, except 413 for a body over the limit.
func httpStatusOf(st *status.Status) int {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == "REQUEST_TOO_LARGE" {
			return http.StatusRequestEntityTooLarge
		}
	}
	return runtime.HTTPStatusFromCode(st.Code())
}

// --- bodies ---------------------------------------------------------------

// decodingMarshaler is grpc-gateway's JSON marshaler with a decoder that
// explains what is wrong with a body, per field.
type decodingMarshaler struct{ *runtime.JSONPb }

func (m decodingMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error { return decodeBody(r, v) })
}

// bodyPrefix is how the request names the body's message (the `body:`
// field of the REST binding); "" where the body is the whole request.
var bodyPrefix = map[protoreflect.FullName]string{
	"computegw.v1.Instance": "instance",
	"computegw.v1.KeyPair":  "key_pair",
}

func decodeBody(r io.Reader, v any) error {
	msg, ok := protoTarget(v)
	if !ok {
		return json.NewDecoder(r).Decode(v)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return io.EOF
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return violationsError{{Field: "body", Description: "not valid JSON: " + err.Error()}}
	}
	md := msg.ProtoReflect().Descriptor()
	var vs []driver.FieldViolation
	raw = normalize(md, bodyPrefix[md.FullName()], raw, &vs)
	if len(vs) > 0 {
		return violationsError(vs)
	}
	fixed, _ := json.Marshal(raw)
	if err := (protojson.UnmarshalOptions{}).Unmarshal(fixed, msg); err != nil {
		return violationsError{{Field: orBody(bodyPrefix[md.FullName()]), Description: strings.TrimPrefix(err.Error(), "proto: ")}}
	}
	return nil
}

func orBody(p string) string {
	if p == "" {
		return "body"
	}
	return p
}

// protoTarget finds the message a decoder fills: v is a proto.Message or a
// pointer to a (possibly nil) message pointer field.
func protoTarget(v any) (proto.Message, bool) {
	if m, ok := v.(proto.Message); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Pointer {
		return nil, false
	}
	el := rv.Elem()
	if el.IsNil() {
		el.Set(reflect.New(el.Type().Elem()))
	}
	m, ok := el.Interface().(proto.Message)
	return m, ok
}

// wellKnown messages have their own JSON forms; protojson checks them.
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

// normalize walks a decoded JSON value against md, canonicalising enum names
// (any case) and collecting a violation per unknown field, bad enum value and
// non-base64 bytes value. path is the request's field path to md.
func normalize(md protoreflect.MessageDescriptor, path string, v any, vs *[]driver.FieldViolation) any {
	obj, ok := v.(map[string]any)
	if !ok || wellKnown(md) {
		return v
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			fd = md.Fields().ByTextName(k)
		}
		if fd == nil {
			desc := fmt.Sprintf("unknown field %q", k)
			if s := suggest(md, k); s != "" {
				desc += fmt.Sprintf("; did you mean %q?", s)
			} else {
				desc += "; the fields are " + strings.Join(jsonNames(md), ", ")
			}
			*vs = append(*vs, driver.FieldViolation{Field: join(path, k), Description: desc})
			continue
		}
		fp := join(path, string(fd.Name()))
		switch {
		case fd.IsMap():
			if m, ok := obj[k].(map[string]any); ok {
				for mk, mv := range m {
					m[mk] = normalizeValue(fd.MapValue(), fp+"["+mk+"]", mv, vs)
				}
			}
		case fd.IsList():
			if a, ok := obj[k].([]any); ok {
				for i := range a {
					a[i] = normalizeValue(fd, fmt.Sprintf("%s[%d]", fp, i), a[i], vs)
				}
			}
		default:
			obj[k] = normalizeValue(fd, fp, obj[k], vs)
		}
	}
	return obj
}

func normalizeValue(fd protoreflect.FieldDescriptor, path string, v any, vs *[]driver.FieldViolation) any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return normalize(fd.Message(), path, v, vs)
	case protoreflect.EnumKind:
		s, ok := v.(string)
		if !ok {
			return v
		}
		if name, ok := enumName(fd.Enum(), s); ok {
			return name
		}
		*vs = append(*vs, driver.FieldViolation{Field: path, Description: fmt.Sprintf("%q is not one of %s (any case)", s, strings.Join(enumNames(fd.Enum()), ", "))})
	case protoreflect.BytesKind:
		s, ok := v.(string)
		if !ok {
			return v
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err2 := base64.URLEncoding.DecodeString(s); err2 != nil {
				*vs = append(*vs, driver.FieldViolation{Field: path, Description: "must be base64-encoded (RFC 4648), e.g. \"" +
					base64.StdEncoding.EncodeToString([]byte("#cloud-config")) + "\" for \"#cloud-config\""})
			}
		}
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind,
		protoreflect.Sint32Kind, protoreflect.Sint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind,
		protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		switch n := v.(type) {
		case json.Number:
			if _, err := n.Int64(); err != nil {
				*vs = append(*vs, driver.FieldViolation{Field: path, Description: fmt.Sprintf("must be a whole number, got %s", n)})
			}
		case string:
			if !intRE.MatchString(n) {
				*vs = append(*vs, driver.FieldViolation{Field: path, Description: fmt.Sprintf("must be a whole number, got %q", n)})
			}
		case bool, map[string]any, []any:
			*vs = append(*vs, driver.FieldViolation{Field: path, Description: "must be a whole number"})
		}
	case protoreflect.BoolKind:
		if _, ok := v.(bool); !ok && v != nil {
			*vs = append(*vs, driver.FieldViolation{Field: path, Description: "must be true or false"})
		}
	case protoreflect.StringKind:
		switch v.(type) {
		case map[string]any, []any, bool, json.Number:
			*vs = append(*vs, driver.FieldViolation{Field: path, Description: "must be a string"})
		}
	}
	return v
}

var intRE = regexp.MustCompile(`^-?[0-9]+$`)

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// enumName is the canonical name of s in ed, compared case-insensitively
// (and without the UNSPECIFIED value's prefix rules: exact names only).
func enumName(ed protoreflect.EnumDescriptor, s string) (string, bool) {
	vals := ed.Values()
	for i := 0; i < vals.Len(); i++ {
		if n := string(vals.Get(i).Name()); strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

func enumNames(ed protoreflect.EnumDescriptor) []string {
	var out []string
	vals := ed.Values()
	for i := 0; i < vals.Len(); i++ {
		if n := string(vals.Get(i).Name()); !strings.HasSuffix(n, "_UNSPECIFIED") {
			out = append(out, n)
		}
	}
	return out
}

func jsonNames(md protoreflect.MessageDescriptor) []string {
	var out []string
	for i := 0; i < md.Fields().Len(); i++ {
		out = append(out, md.Fields().Get(i).JSONName())
	}
	return out
}

// suggest is the field of md whose JSON or proto name is closest to k
// (at most 2 edits, or the same letters ignoring case and underscores).
func suggest(md protoreflect.MessageDescriptor, k string) string {
	best, bestD := "", 3
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		for _, n := range []string{fd.JSONName(), string(fd.Name())} {
			d := levenshtein(norm(k), norm(n))
			if d < bestD {
				best, bestD = fd.JSONName(), d
			}
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// --- routes ---------------------------------------------------------------

type restPath struct {
	re      *regexp.Regexp
	methods []string
}

// restPaths are the REST paths of the OpenAPI document the gateway serves
// (one source of truth with the generated handlers): a {param} matches one
// path segment without a ':' (so ".../ID:stop" is never an instance ID).
var restPaths = func() []restPath {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(gen.OpenAPI, &doc); err != nil {
		panic(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var out []restPath
	for p, ops := range doc.Paths {
		var b strings.Builder
		b.WriteString("^")
		last := 0
		for _, m := range param.FindAllStringIndex(p, -1) {
			b.WriteString(regexp.QuoteMeta(p[last:m[0]]))
			b.WriteString(`[^/:]+`)
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(p[last:]) + "$")
		var methods []string
		for m := range ops {
			methods = append(methods, strings.ToUpper(m))
		}
		sort.Strings(methods)
		out = append(out, restPath{re: regexp.MustCompile(b.String()), methods: methods})
	}
	return out
}()

// customMethods are the instance :verbs, for the 404 of an unknown one.
var customMethods = func() []string {
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	_ = json.Unmarshal(gen.OpenAPI, &doc)
	var out []string
	for p := range doc.Paths {
		if _, verb, ok := strings.Cut(p, "{instance}:"); ok {
			out = append(out, ":"+verb)
		}
	}
	sort.Strings(out)
	return out
}()

// routeCheck answers a request no route serves: 404 for an unknown path,
// 405 with Allow for a known path and another method. Others pass on.
func routeCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		var allow []string
		matched := false
		for _, rt := range restPaths {
			if rt.re.MatchString(r.URL.Path) {
				matched = true
				allow = append(allow, rt.methods...)
			}
		}
		switch {
		case !matched:
			msg := fmt.Sprintf("no REST route for %s %s (the routes are listed in /openapi.json)", r.Method, r.URL.Path)
			if i := strings.LastIndex(r.URL.Path, ":"); i > strings.LastIndex(r.URL.Path, "/") {
				msg += fmt.Sprintf("; an instance's custom methods are %s", strings.Join(customMethods, ", "))
			}
			writeStatus(w, server.Status(&driver.Error{Code: driver.CodeNotFound, Reason: "NOT_FOUND", Message: msg}))
		case !slices.Contains(allow, r.Method) && !(r.Method == http.MethodHead && slices.Contains(allow, http.MethodGet)):
			sort.Strings(allow)
			allow = slices.Compact(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			st := server.Status(&driver.Error{Code: driver.CodeUnimplemented, Reason: "METHOD_NOT_ALLOWED",
				Message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMethodNotAllowed)
			b, _ := protojson.Marshal(st.Proto())
			_, _ = w.Write(append(b, '\n'))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
