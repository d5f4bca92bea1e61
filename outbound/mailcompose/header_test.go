package mailcompose

import (
	"regexp"
	"strings"
	"testing"
)

// TestByteChecksMatchTheirPatterns holds urlSafe and isIDPart, written
// out for the relay's speed, to the patterns they replaced.
func TestByteChecksMatchTheirPatterns(t *testing.T) {
	badURL := regexp.MustCompile(`[\x00-\x20<>"\x7f-\x{10FFFF}]`)
	idPattern := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	for _, s := range []string{"", "https://chat.example.org/r/design", "https://x.org/u\r\nBcc: e@x", "https://x.org/a b",
		"https://x.org/<", "https://x.org/\"", "https://x.org/\x7f", "https://x.org/é", "https://x.org/\xff", "\t",
		"1764057600000-0", "abc_DEF-9", strings.Repeat("a", 64), strings.Repeat("a", 65), "a.b", "a/b", "a b"} {
		if got, want := urlSafe(s), !badURL.MatchString(s); got != want {
			t.Errorf("urlSafe(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := isIDPart(s), idPattern.MatchString(s); got != want {
			t.Errorf("isIDPart(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}
