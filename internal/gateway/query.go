package gateway

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/computegw/computegw/driver"
)

// strictQueryParser is grpc-gateway's query parser that refuses a parameter
// naming no field of the request (grpc-gateway ignores it): a typo such as
// ?pagesize=10 or ?filtre=... is INVALID_ARGUMENT naming the parameter, as an
// unknown JSON field in a body is, instead of an answer that silently
// ignored it.
type strictQueryParser struct{ runtime.DefaultQueryParser }

// mapKey matches a map entry key such as metadata[team].
var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

func (p *strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	var vs violationsError
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		field := key
		if m := mapKey.FindStringSubmatch(key); m != nil {
			field = m[1]
		}
		md := msg.ProtoReflect().Descriptor()
		fd, parent := leafField(md, strings.Split(field, "."))
		if fd == nil {
			desc := fmt.Sprintf("unknown query parameter %q", key)
			if sg := suggest(parent, field[strings.LastIndex(field, ".")+1:]); sg != "" {
				desc += fmt.Sprintf("; did you mean %q?", sg)
			}
			vs = append(vs, driver.FieldViolation{Field: key, Description: desc})
			continue
		}
		name := field
		for i, v := range values[key] {
			switch fd.Kind() {
			case protoreflect.EnumKind:
				if n, ok := enumName(fd.Enum(), v); ok {
					values[key][i] = n
				} else {
					vs = append(vs, driver.FieldViolation{Field: name, Description: fmt.Sprintf("%q is not one of %s (any case)", v, strings.Join(enumNames(fd.Enum()), ", "))})
				}
			case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind,
				protoreflect.Sint32Kind, protoreflect.Sint64Kind:
				if !intRE.MatchString(v) {
					vs = append(vs, driver.FieldViolation{Field: name, Description: fmt.Sprintf("must be a whole number, got %q", v)})
				}
			case protoreflect.BoolKind:
				if v != "true" && v != "false" {
					vs = append(vs, driver.FieldViolation{Field: name, Description: fmt.Sprintf("must be true or false, got %q", v)})
				}
			}
		}
	}
	if len(vs) > 0 {
		return vs
	}
	if err := p.DefaultQueryParser.Parse(msg, values, filter); err != nil {
		return violationsError{{Field: "query", Description: err.Error()}}
	}
	return nil
}

// leafField resolves path (proto or JSON names) through singular message
// fields to its last field; nil (with the message searched last) when a
// name is unknown.
func leafField(md protoreflect.MessageDescriptor, path []string) (protoreflect.FieldDescriptor, protoreflect.MessageDescriptor) {
	var fd protoreflect.FieldDescriptor
	for i, name := range path {
		fd = md.Fields().ByTextName(name)
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return nil, md
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil, md
			}
			md = fd.Message()
		}
	}
	return fd, md
}
