package server

import (
	"strings"
	"time"
	"unicode"

	"github.com/computegw/computegw/driver"
)

// parseFilter parses ListInstances' filter: terms joined by AND, each
// `field = value` (or `update_time >= value`), value bare or double-quoted.
// It is a small subset of AIP-160, chosen so every term can be checked on
// every dialect.
func parseFilter(s string) (driver.InstanceFilter, error) {
	var f driver.InstanceFilter
	toks, err := tokenize(s)
	if err != nil {
		return f, err
	}
	bad := func(why string) error { return driver.InvalidArgument("filter", why) }
	seen := map[string]bool{}
	for i := 0; i < len(toks); {
		if i > 0 {
			if !strings.EqualFold(toks[i].text, "AND") || toks[i].quoted {
				return f, bad("terms must be joined by AND, found \"" + toks[i].text + "\"")
			}
			i++
		}
		if i+3 > len(toks) {
			return f, bad("incomplete term at the end; expected field = value")
		}
		field, op, val := toks[i], toks[i+1], toks[i+2]
		i += 3
		if field.quoted || op.quoted {
			return f, bad("expected field = value")
		}
		key := strings.ToLower(field.text)
		if seen[key] {
			return f, bad("field " + field.text + " appears twice")
		}
		seen[key] = true
		wantOp := "="
		if key == "update_time" || key == "updatetime" {
			wantOp = ">="
		}
		if op.text != wantOp {
			return f, bad("field " + field.text + " supports only the " + wantOp + " operator")
		}
		switch key {
		case "display_name", "displayname":
			f.Name = val.text
		case "state":
			st, ok := driver.ParseState(strings.ToUpper(val.text))
			if !ok || st == driver.StateUnspecified {
				return f, bad("unknown state \"" + val.text + "\"")
			}
			f.State = st
		case "flavor":
			f.FlavorID = val.text
		case "image":
			f.ImageID = val.text
		case "zone":
			f.Zone = val.text
		case "update_time", "updatetime":
			t, err := time.Parse(time.RFC3339, val.text)
			if err != nil {
				return f, bad("update_time needs an RFC 3339 time, e.g. \"2026-01-02T15:04:05Z\"")
			}
			f.ChangesSince = t
		default:
			return f, bad("unknown field \"" + field.text + "\"; use display_name, state, flavor, image, zone or update_time")
		}
	}
	return f, nil
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var out []token
	r := []rune(s)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(r) && r[j] != '"' {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
				j++
			}
			if j >= len(r) {
				return nil, driver.InvalidArgument("filter", "unterminated quoted string")
			}
			out = append(out, token{text: b.String(), quoted: true})
			i = j + 1
		case c == '=':
			out = append(out, token{text: "="})
			i++
		case c == '>' && i+1 < len(r) && r[i+1] == '=':
			out = append(out, token{text: ">="})
			i += 2
		default:
			j := i
			for j < len(r) && !unicode.IsSpace(r[j]) && r[j] != '=' && r[j] != '"' && r[j] != '>' {
				j++
			}
			if j == i {
				return nil, driver.InvalidArgument("filter", "unexpected character '"+string(c)+"'")
			}
			out = append(out, token{text: string(r[i:j])})
			i = j
		}
	}
	return out, nil
}
