package server

import (
	"strings"
	"testing"
)

// Every one-character change to a token is rejected, including in the
// last character of each base64 part, whose low bits carry no data: a
// lenient decoder would read some of those changes as the same token.
func TestEveryModifiedPageTokenIsRejected(t *testing.T) {
	p := pageTokens{key: []byte("0123456789abcdef0123456789abcdef")}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for _, st := range []pageState{
		{Kind: "instances", Parent: "clouds/-", Cursors: []cursor{{Cloud: "a", Marker: "m-1"}}},
		{Kind: "flavors", Parent: "clouds/a", Offset: 20},
		{Kind: "keyPairs", Parent: "clouds/b", Filter: "f0", Offset: 7},
	} {
		token := p.encode(st)
		if _, ok, err := p.decode(token, st.Kind, st.Parent, st.Filter); !ok || err != nil {
			t.Fatalf("unmodified token rejected: %v", err)
		}
		accepted := 0
		for i := range len(token) {
			for _, c := range alphabet {
				if byte(c) == token[i] {
					continue
				}
				mod := token[:i] + string(c) + token[i+1:]
				if _, _, err := p.decode(mod, st.Kind, st.Parent, st.Filter); err == nil {
					accepted++
					if accepted <= 3 {
						t.Errorf("modified token accepted: position %d of %d, %q → %q", i, len(token), token[i], c)
					}
				}
			}
		}
		if accepted > 0 {
			t.Errorf("%s: %d one-character modifications accepted", st.Kind, accepted)
		}
		// Truncated and extended tokens too.
		for _, mod := range []string{token[:len(token)-1], token + "A", strings.Replace(token, ".", "", 1)} {
			if _, _, err := p.decode(mod, st.Kind, st.Parent, st.Filter); err == nil {
				t.Errorf("token %q accepted", mod)
			}
		}
	}
}
