// Command protoc-gen-openapi is the OpenAPI step of `go tool buf generate`
// (buf.gen.yaml). It is a protoc plugin that runs grpc-gateway's
// protoc-gen-openapiv2 (the go.mod tool) on the same request, documents
// what that generator cannot express, and converts the result to OpenAPI
// 3.0 with swagger2openapi (npm, pinned in third_party/googleapis), so both
// committed documents come from one command, offline:
//
//   - gen/openapiv2/computegw.swagger.json: OpenAPI 2.0, as generated, with
//     the server-streaming WatchInstance route declared as producing
//     newline-delimited JSON (application/x-ndjson) — grpc-gateway writes
//     one {"result": Instance} object per line, and generated clients must
//     not parse the body as one JSON document;
//   - gen/openapiv3/computegw.openapi.json: the same API as OpenAPI 3.0
//     (openapi-typescript and most current generators need 3.x).
//
// The plugin parameter is passed through to protoc-gen-openapiv2.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

const (
	v2Name = "openapiv2/computegw.swagger.json"
	v3Name = "openapiv3/computegw.openapi.json"
	// converter is run with node from the repository root (buf's working
	// directory); `npm ci` in its directory installs swagger2openapi.
	converter = "third_party/googleapis/to-openapi3.js"
	ndjson    = "application/x-ndjson"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "protoc-gen-openapi:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	reqBytes, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "tool", "protoc-gen-openapiv2")
	cmd.Stdin, cmd.Stderr = bytes.NewReader(reqBytes), os.Stderr
	respBytes, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("protoc-gen-openapiv2: %w", err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(respBytes, &resp); err != nil {
		return fmt.Errorf("protoc-gen-openapiv2 answer: %w", err)
	}
	if resp.Error != nil {
		return fmt.Errorf("protoc-gen-openapiv2: %s", resp.GetError())
	}
	var files []*pluginpb.CodeGeneratorResponse_File
	for _, f := range resp.File {
		if filepath.Base(f.GetName()) != filepath.Base(v2Name) {
			files = append(files, f)
			continue
		}
		v2, err := documentStreams([]byte(f.GetContent()))
		if err != nil {
			return err
		}
		v3, err := convert(v2)
		if err != nil {
			return err
		}
		if v3, err = patchV3(v3); err != nil {
			return err
		}
		files = append(files,
			&pluginpb.CodeGeneratorResponse_File{Name: proto.String(v2Name), Content: proto.String(string(v2))},
			&pluginpb.CodeGeneratorResponse_File{Name: proto.String(v3Name), Content: proto.String(string(v3))})
	}
	resp.File = files
	b, err := proto.Marshal(&resp)
	if err != nil {
		return err
	}
	_, err = out.Write(b)
	return err
}

// documentStreams sets the document's title and the optional bearer
// authentication (a JWT in Authorization: Bearer), and marks every operation whose 200 answer grpc-gateway
// titles "Stream result of …" (the server-streaming RPCs) as producing
// newline-delimited JSON, and says so in the answer's description.
func documentStreams(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", v2Name, err)
	}
	d["info"] = map[string]any{
		"title":   "computegw",
		"version": "v1",
		"description": "One compute API for virtual machines on several clouds (computegw.v1.ComputeService over REST). " +
			"Errors are google.rpc.Status with an ErrorInfo detail whose domain is computegw.",
	}
	d["securityDefinitions"] = map[string]any{"bearer": map[string]any{
		"type": "apiKey", "in": "header", "name": "Authorization",
		"description": "\"Bearer JWT\" where the gateway is configured with auth.jwt; not needed in demo mode or with auth.allow_unauthenticated.",
	}}
	d["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{}}
	paths, _ := d["paths"].(map[string]any)
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			responses, _ := o["responses"].(map[string]any)
			ok, _ := responses["200"].(map[string]any)
			schema, _ := ok["schema"].(map[string]any)
			title, _ := schema["title"].(string)
			if !strings.HasPrefix(title, "Stream result of ") {
				continue
			}
			o["produces"] = []any{ndjson}
			ok["description"] = "A stream of newline-delimited JSON objects (" + ndjson + "), one per line: " +
				"{\"result\": …} for each message, or a last {\"error\": …} (a google.rpc.Status) when the stream fails. " +
				"Read the body line by line; it is not one JSON document."
		}
	}
	return encode(d)
}

// patchV3 uses what OpenAPI 3 can say and 2.0 cannot: an HTTP bearer
// scheme, and servers (the document is served by the gateway itself, so
// relative to it).
func patchV3(doc []byte) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", v3Name, err)
	}
	d["servers"] = []any{map[string]any{"url": "/", "description": "the gateway that serves this document"}}
	if c, ok := d["components"].(map[string]any); ok {
		if sch, ok := c["securitySchemes"].(map[string]any); ok {
			if b, ok := sch["bearer"].(map[string]any); ok {
				sch["bearer"] = map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": b["description"]}
			}
		}
	}
	return encode(d)
}

func encode(d map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func convert(v2 []byte) ([]byte, error) {
	cmd := exec.Command("node", converter)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(v2), os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("converting to OpenAPI 3 with %s (run `npm ci` in %s first): %w", converter, filepath.Dir(converter), err)
	}
	return out, nil
}
