package novajson

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeShapes(t *testing.T) {
	utc := func(s, ns int) time.Time { return time.Date(2020, 2, 25, 1, 22, s, ns, time.UTC) }
	for in, want := range map[string]time.Time{
		`"2020-02-25T01:22:23Z"`:       utc(23, 0),
		`"2020-02-25T01:22:23.000000"`: utc(23, 0),
		`"2020-02-25T01:22:23.250000"`: utc(23, 250000000),
		`"2020-02-25T01:22:23"`:        utc(23, 0),
		`"2020-02-25T10:22:23+09:00"`:  utc(23, 0),
		`"2020-02-25T01:22:23.5Z"`:     utc(23, 500000000),
		`"2020-02-25T01:22:23\u005a"`:  utc(23, 0),
		`"yesterday"`:                  {},
		`""`:                           {},
		`null`:                         {},
		`1582593743`:                   {},
		`{"not": "a time"}`:            {},
	} {
		var v struct {
			T Time `json:"t"`
		}
		if err := json.Unmarshal([]byte(`{"t": `+in+`}`), &v); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !v.T.Equal(want) {
			t.Errorf("%s: %v, want %v", in, v.T.Time, want)
		}
	}
}

func TestRefShapes(t *testing.T) {
	for in, want := range map[string]string{
		`{"id": "abc", "links": [{"href": "x", "rel": "bookmark"}]}`: "abc",
		`""`:                      "",
		`"abc"`:                   "abc",
		`null`:                    "",
		`{"links": []}`:           "",
		`{"id": "\u00e9t\u00e9"}`: "été",
	} {
		var v struct {
			R Ref `json:"r"`
		}
		if err := json.Unmarshal([]byte(`{"r": `+in+`}`), &v); err != nil || v.R.ID != want {
			t.Errorf("%s: %q %v, want %q", in, v.R.ID, err, want)
		}
	}
	var v struct {
		R Ref `json:"r"`
	}
	if err := json.Unmarshal([]byte(`{"r": {"id": 5}}`), &v); err == nil {
		t.Error("a numeric id decoded without error")
	}
}

func TestSimpleString(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `""`: ""} {
		if got, ok := simpleString([]byte(in)); !ok || got != want {
			t.Errorf("%s: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{`"a\"b"`, `"a\u0041"`, "\"\xff\"", "\"a\tb\"", `abc`, `"`} {
		if _, ok := simpleString([]byte(in)); ok {
			t.Errorf("%q taken as a simple string", in)
		}
	}
}

func TestIntShapes(t *testing.T) {
	for in, want := range map[string]Int{`4`: 4, `"6"`: 6, `null`: 0, `"x"`: 0, `4.5`: 0} {
		var v struct {
			N Int `json:"n"`
		}
		if err := json.Unmarshal([]byte(`{"n": `+in+`}`), &v); err != nil || v.N != want {
			t.Errorf("%s: %d %v, want %d", in, v.N, err, want)
		}
	}
}
