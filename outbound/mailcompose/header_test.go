package mailcompose

import (
	"net/mail"
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

// FuzzAddress: address writes what net/mail writes.
func FuzzAddress(f *testing.F) {
	for _, c := range [][2]string{{"Bob", "bob@example.org"}, {"", "a.b+c@x.y"}, {`A "q"`, "a@b"}, {"Ünï", "u@x"}, {"x", ".a@b"},
		{"x", "a..b@c"}, {"back\\slash", "a@b"}, {"a, b", "reply+abc@chat.example.org"}, {"x", "no-at"}, {"x", "quo\"te@x"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, name, addr string) {
		want := (&mail.Address{Name: oneLine(name, 200), Address: addr}).String()
		if got := address(name, addr); got != want {
			t.Errorf("address(%q, %q) = %q, want %q", name, addr, got, want)
		}
	})
}

// FuzzCheckAddress: an address checkAddress takes without net/mail's
// parser, net/mail takes as it is too.
func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"bob@example.org", "a.b+c@x-y.z", "a@b", ".a@b", "a@b.", "a@-b", "a@b..c", "A@[1.2.3.4]", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		local, domain, ok := splitAddress(addr)
		if !ok || len(addr) > 254 || !dotAtom(local, "._+-") || !dotAtom(domain, ".-") {
			return
		}
		a, err := mail.ParseAddress(addr)
		if err != nil || a.Address != addr || a.Name != "" {
			t.Errorf("%q: taken as plain, but net/mail gives %+v, %v", addr, a, err)
		}
	})
}
