package redact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/computegw/computegw/driver"
)

func TestStringMasksEveryForm(t *testing.T) {
	s := New(`pa"ss/w?rd&1`, "AbCdEf012345", "ab") // "ab" is too short to mask
	s.AddToken("tok-0123456789")
	for _, in := range []string{
		`{"password":"pa\"ss/w?rd&1"}`,        // JSON-escaped
		`password=pa%22ss%2Fw%3Frd%261`,       // query-escaped
		`/appkeys/AbCdEf012345/instances`,     // as is
		`X-Auth-Token: tok-0123456789`,        // a token
		`pa%22ss%2Fw%3Frd&1 and pa"ss/w?rd&1`, // path-escaped and raw
	} {
		out := s.String(in)
		for _, leak := range []string{"pa\"ss", "pa\\\"ss", "pa%22ss", "AbCdEf012345", "tok-0123456789"} {
			if strings.Contains(out, leak) {
				t.Errorf("%q → %q still holds %q", in, out, leak)
			}
		}
		if !strings.Contains(out, Mask) {
			t.Errorf("%q → %q: nothing masked", in, out)
		}
	}
	if got := s.String("a cab stays"); got != "a cab stays" {
		t.Errorf("short secret masked: %q", got)
	}
	var nilSet *Set
	if nilSet.String("x") != "x" || nilSet.Error(nil) != nil {
		t.Error("nil Set must pass text through")
	}
}

func TestRecentTokensAreKept(t *testing.T) {
	s := New()
	for i := range RecentTokens + 2 {
		s.AddToken(fmt.Sprintf("token-%02d", i))
	}
	if got := s.String("token-00 token-01"); got != "token-00 token-01" {
		t.Errorf("tokens older than the last %d still masked: %q", RecentTokens, got)
	}
	for i := 2; i < RecentTokens+2; i++ {
		tok := fmt.Sprintf("token-%02d", i)
		if strings.Contains(s.String("x "+tok), tok) {
			t.Errorf("recent %s not masked", tok)
		}
	}
}

func TestErrorScrubsEveryText(t *testing.T) {
	s := New("hunter2-password")
	cause := errors.New(`Bad request: {"password":"hunter2-password"}`)
	in := &driver.Error{Code: driver.CodeInvalidArgument, Message: "create: hunter2-password",
		VendorCode: "hunter2-password", VendorMessage: "echo hunter2-password",
		Violations: []driver.FieldViolation{{Field: "x", Description: "was hunter2-password"}}, Err: cause}
	out := s.Error(fmt.Errorf("wrapped: %w", in))
	de, ok := errors.AsType[*driver.Error](out)
	if !ok || de.Code != driver.CodeInvalidArgument {
		t.Fatalf("classification lost: %#v", out)
	}
	if strings.Contains(out.Error(), "hunter2") || strings.Contains(de.Violations[0].Description, "hunter2") {
		t.Errorf("secret left: %v / %+v", out, de.Violations)
	}
	if !errors.Is(out, cause) {
		t.Error("the cause is no longer in the chain")
	}
	if in.VendorMessage != "echo hunter2-password" {
		t.Error("the original error was modified instead of copied")
	}
	plain := s.Error(errors.New("dial: hunter2-password"))
	if strings.Contains(plain.Error(), "hunter2") {
		t.Errorf("plain error: %v", plain)
	}
}

func TestHandlerMasksMessagesAndAttrs(t *testing.T) {
	s := New("hunter2-password")
	var buf bytes.Buffer
	log := slog.New(s.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log = log.With("pre", "hunter2-password")
	log.WithGroup("g").DebugContext(context.Background(), "login hunter2-password",
		"body", "hunter2-password", "err", errors.New("x hunter2-password"),
		slog.Group("inner", "v", "hunter2-password"), "n", 3, "any", []string{"hunter2-password"})
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), Mask) || !strings.Contains(buf.String(), `"n":3`) {
		t.Errorf("log line: %s", buf.String())
	}
}
