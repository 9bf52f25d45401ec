// Package gen holds the code generated from proto/ (by `go tool buf
// generate`) and embeds the generated OpenAPI document so the gateway can
// serve it. This file is the only hand-written one under gen/.
package gen

import _ "embed"

// OpenAPI is the OpenAPI v2 (Swagger) document of computegw.v1.
//
//go:embed openapiv2/computegw.swagger.json
var OpenAPI []byte

// OpenAPIv3 is the same API as an OpenAPI 3.0 document (converted from
// OpenAPI by internal/tools/protoc-gen-openapi during generation).
//
//go:embed openapiv3/computegw.openapi.json
var OpenAPIv3 []byte
