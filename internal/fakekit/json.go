package fakekit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// WriteJSON answers status with v as JSON (Content-Type application/json).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	WriteJSONAs(w, "application/json", status, v)
}

// WriteJSONAs is WriteJSON with the vendor's own Content-Type spelling.
func WriteJSONAs(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// MaxBody is the most of a request body the fakes read.
const MaxBody = 1 << 20

// ReadBody reads a request body, at most MaxBody bytes of it.
func ReadBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, MaxBody))
}

// ErrTrailingData is UnmarshalStrict's error for a body with more after
// its JSON value.
var ErrTrailingData = errors.New("trailing data")

// UnmarshalStrict decodes one JSON value into v, refusing fields v does not
// have and anything after the value (ErrTrailingData).
func UnmarshalStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return ErrTrailingData
	}
	return nil
}
