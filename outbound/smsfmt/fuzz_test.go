package smsfmt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzFormat(f *testing.F) {
	f.Add("Design", "Alice", "hello", "more", uint8(2), "https://p.example/r/1")
	f.Add("", "", strings.Repeat("€", 200), "", uint8(1), "")
	f.Add("R", "N", strings.Repeat("😀", 100), "a\xff\r\n", uint8(3), "https://x/ü")
	f.Add("[{", "\t", "👩\u200d👩\u200d👧 🇫🇷", "‘’“”…", uint8(0), strings.Repeat("~", 300))
	f.Fuzz(func(t *testing.T, room, name, text, text2 string, budget uint8, link string) {
		b := int(budget % 6)
		lines := []Line{{room, name, text}, {room, "Other", text2}, {"Room2", name, text}}
		out := Format(lines, Options{Budget: b, Link: link})
		if b == 0 {
			b = DefaultBudget
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Format() = %q, not valid UTF-8", out)
		}
		if c, _, _ := Segments(out); c > b {
			t.Fatalf("Format() = %q uses %d segments, budget %d", out, c, b)
		}
		if out == "" && (strings.TrimSpace(text) != "" && utf8.ValidString(text) && IsGSM7(text)) {
			t.Fatalf("Format() dropped text %q", text)
		}
	})
}
