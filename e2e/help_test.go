package e2e

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHelpListsEveryFlag: `gateway --help` exits 0 with the usage on stdout
// (issue 13 finding 8: it exited 2), and every flag it lists is documented
// in the README; a bad flag still exits 2 with a one-line hint.
func TestHelpListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{"--help", "-h"} {
		out, err := gatewayCmd(nil, arg).Output()
		if err != nil {
			t.Fatalf("gateway %s: %v", arg, err)
		}
		flags := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(string(out), -1)
		if len(flags) < 5 {
			t.Fatalf("gateway %s lists %d flags:\n%s", arg, len(flags), out)
		}
		for _, f := range flags {
			if !strings.Contains(string(readme), "--"+f[1]) {
				t.Errorf("flag --%s is not documented in README.md", f[1])
			}
		}
	}
	if out, code := runFor(t, gatewayCmd(nil, "--no-such-flag"), 20*time.Second); code != 2 || !strings.Contains(out, "--help") {
		t.Errorf("bad flag: exit %d\n%s", code, out)
	}
}
