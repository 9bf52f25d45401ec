// Package redact keeps a cloud's secrets out of everything the gateway
// shows: caller errors, log lines and (later) spans. Vendors and the WAFs in
// front of them echo requests back in their error texts (a 400 quoting the
// login body, a fault repeating the X-Auth-Token header), and adapters copy
// those texts into driver.Error.VendorMessage and their debug logs. Every
// adapter registers its secrets with one Set (the password, API keys, the
// appkey) and its tokensource registers each token it obtains; the adapter
// passes every error it returns through Set.Error and logs through
// Set.Handler, so the scrubbing is done in one place for every dialect.
package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/computegw/computegw/driver"
)

// Mask replaces every secret.
const Mask = "[REDACTED]"

// RecentTokens is how many tokens a Set remembers: the current one and the
// ones before it, which may still be quoted by answers to calls in flight.
const RecentTokens = 8

// MinLen is the shortest secret masked: masking a shorter one would garble
// ordinary words in every message, and no real password, key or token is
// that short.
const MinLen = 4

// Set is one cloud's secrets. The zero value and nil are usable (nil
// redacts nothing).
type Set struct {
	mu     sync.RWMutex
	fixed  []string
	tokens []string // the last RecentTokens, oldest first
	r      *strings.Replacer
}

// New returns a Set holding secrets (those shorter than MinLen are ignored).
func New(secrets ...string) *Set {
	s := &Set{}
	for _, v := range secrets {
		s.Add(v)
	}
	return s
}

// Add registers a long-lived secret (a password, an API key, an appkey).
func (s *Set) Add(secret string) {
	if s == nil || len(secret) < MinLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.fixed, secret) {
		s.fixed = append(s.fixed, secret)
		s.rebuild()
	}
}

// AddToken registers a token; the oldest of more than RecentTokens is
// forgotten.
func (s *Set) AddToken(token string) {
	if s == nil || len(token) < MinLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.tokens, token) {
		return
	}
	s.tokens = append(s.tokens, token)
	if len(s.tokens) > RecentTokens {
		s.tokens = slices.Delete(s.tokens, 0, len(s.tokens)-RecentTokens)
	}
	s.rebuild()
}

// rebuild makes the replacer for every secret in the forms an echo shows
// it: as is, JSON-escaped (inside a quoted body), and URL-escaped (in a
// query or a path). Longer forms come first so that a secret containing
// another is masked whole.
func (s *Set) rebuild() {
	var forms []string
	add := func(v string) {
		if v != "" && !slices.Contains(forms, v) {
			forms = append(forms, v)
		}
	}
	for _, v := range slices.Concat(s.fixed, s.tokens) {
		add(v)
		if b, err := json.Marshal(v); err == nil { // <, >, & as \u003c...
			add(string(b[1 : len(b)-1]))
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) == nil {
			b := bytes.TrimSpace(buf.Bytes())
			add(string(b[1 : len(b)-1]))
		}
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
	}
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	s.r = strings.NewReplacer(pairs...)
}

// String returns text with every secret masked.
func (s *Set) String(text string) string {
	if s == nil || text == "" {
		return text
	}
	s.mu.RLock()
	r := s.r
	s.mu.RUnlock()
	if r == nil {
		return text
	}
	return r.Replace(text)
}

// Error returns err with every secret masked in every text a caller or a
// log can see. A *driver.Error (found with errors.As) comes back as a
// scrubbed copy, its classification intact; its cause keeps its place in
// the chain for errors.Is/As but shows only scrubbed text.
func (s *Set) Error(err error) error {
	if s == nil || err == nil {
		return err
	}
	if de, ok := errors.AsType[*driver.Error](err); ok {
		cp := *de
		cp.Message = s.String(de.Message)
		cp.VendorCode = s.String(de.VendorCode)
		cp.VendorMessage = s.String(de.VendorMessage)
		if len(de.Violations) > 0 {
			cp.Violations = slices.Clone(de.Violations)
			for i := range cp.Violations {
				cp.Violations[i].Description = s.String(cp.Violations[i].Description)
			}
		}
		if de.Err != nil {
			cp.Err = s.cause(de.Err)
		}
		return &cp
	}
	return s.cause(err)
}

func (s *Set) cause(err error) error {
	if text := err.Error(); s.String(text) != text {
		return &scrubbed{text: s.String(text), err: err}
	}
	return err
}

// scrubbed is an error whose text has been redacted; it unwraps to the
// original so that errors.Is and errors.As still see the cause.
type scrubbed struct {
	text string
	err  error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.err }

// Handler returns a slog.Handler that masks s's secrets in every record's
// message and attribute values before h sees them.
func (s *Set) Handler(h slog.Handler) slog.Handler {
	if s == nil {
		return h
	}
	if rh, ok := h.(*handler); ok && rh.s == s {
		return h
	}
	return &handler{s: s, h: h}
}

type handler struct {
	s *Set
	h slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	cp := make([]slog.Attr, len(as))
	for i, a := range as {
		cp[i] = h.attr(a)
	}
	return &handler{s: h.s, h: h.h.WithAttrs(cp)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{s: h.s, h: h.h.WithGroup(name)}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		cp := make([]any, len(g))
		for i, ga := range g {
			cp[i] = h.attr(ga)
		}
		return slog.Group(a.Key, cp...)
	case slog.KindAny:
		var text string
		if err, ok := v.Any().(error); ok {
			text = err.Error()
		} else {
			text = fmt.Sprint(v.Any())
		}
		if r := h.s.String(text); r != text {
			return slog.String(a.Key, r)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
