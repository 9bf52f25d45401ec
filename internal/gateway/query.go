package gateway

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
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
	for key := range values {
		field := key
		if m := mapKey.FindStringSubmatch(key); m != nil {
			field = m[1]
		}
		if !namesField(msg.ProtoReflect().Descriptor(), strings.Split(field, ".")) {
			return fmt.Errorf("unknown query parameter %q", key)
		}
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}

// namesField reports whether path (proto or JSON names) leads to a field of
// md through singular message fields.
func namesField(md protoreflect.MessageDescriptor, path []string) bool {
	for i, name := range path {
		fd := md.Fields().ByTextName(name)
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return false
		}
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return false
			}
			md = fd.Message()
		}
	}
	return true
}
