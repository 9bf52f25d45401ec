package flexjson

import (
	"encoding/json"
	"testing"
	"time"
)

func TestScalars(t *testing.T) {
	var v struct {
		I Int    `json:"i"`
		B Bool   `json:"b"`
		S String `json:"s"`
	}
	for in, want := range map[string][3]any{
		`{"i": 4, "b": true, "s": "x"}`:                 {Int(4), Bool(true), String("x")},
		`{"i": "4", "b": "TRUE", "s": 12345}`:           {Int(4), Bool(true), String("12345")},
		`{"i": "20.0", "b": "false", "s": "caf\u00e9"}`: {Int(20), Bool(false), String("café")},
		`{"i": null, "b": null, "s": null}`:             {Int(0), Bool(false), String("")},
		`{"i": " ", "b": "", "s": ""}`:                  {Int(0), Bool(false), String("")},
	} {
		v.I, v.B, v.S = 9, true, "old"
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := [3]any{v.I, v.B, v.S}; got != want {
			t.Errorf("%s = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{`{"i": "4.5"}`, `{"i": "four"}`, `{"i": true}`, `{"b": "maybe"}`, `{"b": 1}`, `{"s": {}}`, `{"s": [1]}`, `{"s": false}`} {
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%s decoded, want an error", in)
		}
	}
}

func TestPlainString(t *testing.T) {
	for in, want := range map[string]bool{`"abc"`: true, `"a\"b"`: false, `"a\nb"`: false, "\"a\x01\"": false, "\"\xff\"": false, `abc`: false, `"`: false} {
		if _, ok := PlainString([]byte(in)); ok != want {
			t.Errorf("PlainString(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, in := range []string{"2026-11-30T10:00:00Z", "2026-11-30T10:00:00", " 2026-11-30T19:00:00+09:00 ", "2026-11-30T19:00:00+0900", "2026-11-30 10:00:00", "2026-11-30 19:00:00+09:00", "2026-11-30T10:00:00.000000"} {
		if got := ParseTime(in); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, want %v in UTC", in, got, want)
		}
	}
	for _, in := range []string{"", "yesterday", "2026-13-01T00:00:00Z"} {
		if got := ParseTime(in); !got.IsZero() {
			t.Errorf("ParseTime(%q) = %v, want the zero time", in, got)
		}
	}
}

func TestStrings(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"a": "x", "b": null, "c": 12, "d": true, "e": 1.5}`), &m); err != nil {
		t.Fatal(err)
	}
	got := Strings(m)
	want := map[string]string{"a": "x", "b": "", "c": "12", "d": "true", "e": "1.5"}
	if len(got) != len(want) {
		t.Fatalf("Strings = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Strings[%q] = %q, want %q", k, got[k], v)
		}
	}
	if Strings(map[string]any{}) != nil {
		t.Error("an empty object should be no metadata (nil)")
	}
}
