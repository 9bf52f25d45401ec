package nova

import (
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	for body, want := range map[string]Fault{
		`{"itemNotFound": {"code": 404, "message": "gone"}}`:                                   {Name: "itemNotFound", Message: "gone"},
		`{"error": {"code": 401, "title": "Unauthorized", "message": "no"}}`:                   {Name: "Unauthorized", Message: "no"},
		`{"overLimit": {"code": 413, "message": "quota", "retryAfter": 12}}`:                   {Name: "overLimit", Message: "quota", RetryAfter: 12 * time.Second},
		`{"overLimit": {"code": 413, "message": "quota", "retryAfter": " 37 "}}`:               {Name: "overLimit", Message: "quota", RetryAfter: 37 * time.Second},
		`{"overLimit": {"code": 413, "message": "quota", "retryAfter": "soon"}}`:               {Name: "overLimit", Message: "quota"},
		`{"NeutronError": {"type": "PortInUse", "message": "Port x is in use", "detail": ""}}`: {Name: "NeutronError", Message: "Port x is in use"},
		`{"buildInProgress": {"code": 409}}`:                                                   {Name: "buildInProgress"},
		`{"request_id": "req-1", "badRequest": {"code": 400, "message": "bad"}}`:               {Name: "badRequest", Message: "bad"},
		`{"message": "not a fault object"}`:                                                    {Message: `{"message": "not a fault object"}`},
		"  plain text\n":                                                                       {Message: "plain text"},
		`<html><body>Bad Gateway</body></html>`:                                                {},
		``:                                                                                     {},
	} {
		if got := ParseFault([]byte(body)); got != want {
			t.Errorf("ParseFault(%s) = %+v, want %+v", body, got, want)
		}
	}
}

func TestExcerptIsShort(t *testing.T) {
	got := Excerpt([]byte(strings.Repeat("x", 500)))
	if want := strings.Repeat("x", maxExcerpt) + "…"; got != want {
		t.Errorf("Excerpt of 500 bytes = %d bytes, want %d", len(got), len(want))
	}
}
