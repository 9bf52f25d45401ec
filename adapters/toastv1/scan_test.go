package toastv1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// decoderUniqueKey is the reference: the member found by encoding/json's
// tokenizer (how uniqueKey worked before it walked the bytes in place).
func decoderUniqueKey(obj []byte, name string) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var found json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		if strings.EqualFold(key, name) {
			if found != nil {
				return nil, fmt.Errorf("%q given more than once", name)
			}
			found = val
		}
	}
	return found, nil
}

func TestUniqueKeyAgreesWithTheTokenizer(t *testing.T) {
	for _, body := range []string{
		`{"header":{"isSuccessful":true}}`,
		` { "a" : "}{][\"", "header" : { "x" : [1, {"y": "\"}"}] } , "b":null } `,
		`{"HEADER":{"isSuccessful":false},"header":{"isSuccessful":true}}`,
		`{"head\u0065r":{"isSuccessful":false},"header":{"isSuccessful":true}}`,
		`{"instances":[{"id":"a\\","name":"x"}],"header":{"isSuccessful":"true","resultCode":"0"}}`,
		"{\n\t\"header\"\r\n:\n{}\n}",
		`{"a":-1.5e3,"header":true,"c":false}`,
		`{}`,
		`{"header":"str"}`,
		`[1,2]`,
		`"x"`,
		tokenSeed, detailSeed,
	} {
		if !json.Valid([]byte(body)) {
			t.Fatalf("test body is not valid JSON: %s", body)
		}
		for _, name := range []string{"header", "isSuccessful", "instances", "b"} {
			got, gerr := uniqueKey([]byte(body), name)
			want, werr := decoderUniqueKey([]byte(body), name)
			if (gerr == nil) != (werr == nil) || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("%s in %s: %q %v, tokenizer %q %v", name, body, got, gerr, want, werr)
			}
		}
	}
}

func TestFlexScalarsReadEscapedStrings(t *testing.T) {
	var v struct {
		S flexString `json:"s"`
		N flexInt    `json:"n"`
		B flexBool   `json:"b"`
	}
	if err := json.Unmarshal([]byte(`{"s": "\uc6f9 \"x\"", "n": " \u0034\u0032 ", "b": "TR\u0055E"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.S != `웹 "x"` || v.N != 42 || !bool(v.B) {
		t.Errorf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"s": "plain", "n": "7", "b": "false"}`), &v); err != nil || v.S != "plain" || v.N != 7 || bool(v.B) {
		t.Errorf("%+v %v", v, err)
	}
}
