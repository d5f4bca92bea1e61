package threads

import (
	"regexp"
	"strings"
	"testing"
)

// idRule is the rule isID implements by hand.
var idRule = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// TestIsID: isID says what the regexp of its rule says.
func TestIsID(t *testing.T) {
	for _, id := range []string{"", "a", "bob", "m00", "o.brien_x-2", "9lives", ".bob", "_bob", "-bob", "Bob", "bo b",
		"bob\n", "böb", strings.Repeat("a", 64), strings.Repeat("a", 65), "a/b", "a:b"} {
		if got, want := isID(id), idRule.MatchString(id); got != want {
			t.Errorf("isID(%q) = %v, the rule says %v", id, got, want)
		}
	}
}

func FuzzIsID(f *testing.F) {
	f.Add("bob")
	f.Add("-x")
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := isID(id), idRule.MatchString(id); got != want {
			t.Fatalf("isID(%q) = %v, the rule says %v", id, got, want)
		}
	})
}
