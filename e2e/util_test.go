package e2e

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func protojsonUnmarshal(b []byte, m proto.Message) error { return protojson.Unmarshal(b, m) }

// restError is the JSON body of a REST error answer.
type restError struct {
	Code    int
	Message string
	Details []struct {
		Type   string `json:"@type"`
		Reason string
	}
}

func (e restError) reason() string {
	for _, d := range e.Details {
		if d.Reason != "" {
			return d.Reason
		}
	}
	return ""
}
