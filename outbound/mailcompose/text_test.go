package mailcompose

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestWrap(t *testing.T) {
	cases := []struct {
		in, hang, want string
		w              int
	}{
		{"short line", "    ", "short line", 20},
		{"Alice (09:14): one two three four five", "    ", "Alice (09:14): one\n    two three four\n    five", 20},
		{"no hang for prose here", "", "no hang for\nprose here", 12},
		{"      own indent is kept when longer", "    ", "      own indent\n      is kept when\n      longer", 18},
		{"see https://example.org/a/very/long/link ok", "    ", "see\n    https://example.org/a/very/long/link\n    ok", 20},
		{"日本語のテキストです", "  ", "日本語のテ\n  キストで\n  す", 10},
		{"trailing   \n-- \nend", "", "trailing\n-- \nend", 20},
		{"a  b  c  d  e  f  g", "", "a b c d e\nf g", 10}, // runs of spaces collapse in a wrapped line
	}
	for _, c := range cases {
		if got := wrap(c.in, c.w, c.hang); got != c.want {
			t.Errorf("wrap(%q, %d) =\n%s\nwant\n%s", c.in, c.w, got, c.want)
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "日本": 4, "é": 1, "e\u0301": 1, "👍": 2, "ｱ": 1, "\u200b": 0} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestTextLines(t *testing.T) {
	cases := map[string][]string{
		"one":                        {"one"},
		"\r\n\r\n a\r\nb\rc  \n\n":   {" a", "b", "c"},
		"tab\there":                  {"tab    here"},
		"esc\x1b[31mred\x07 bell":    {"esc[31mred bell"},
		"bad \xff byte":              {"bad \uFFFD byte"},
		"line\u2028sep":              {"line", "sep"},
		"   \n  \n":                  nil,
		"a\n\nb":                     {"a", "", "b"},
		"c1\u0085control\u009bchars": {"c1controlchars"},
	}
	for in, want := range cases {
		if got := textLines(in); !slices.Equal(got, want) {
			t.Errorf("textLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"Alice", 10, "Alice"},
		{"  Al\r\nBcc: x  ", 20, "Al Bcc: x"},
		{"Bob\u202e)yelrap(", 20, "Bob)yelrap("},
		{"\x00\x1b", 10, ""},
		{"abcdefghij", 5, "abcd…"},
		{"bad\xffutf8", 20, "bad\uFFFDutf8"},
		{strings.Repeat("日", 10), 4, "日日日…"},
	}
	for _, c := range cases {
		if got := oneLine(c.in, c.max); got != c.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestFold(t *testing.T) {
	long := "<https://" + strings.Repeat("x", 100) + ">"
	cases := []struct{ key, value, want string }{
		{"Precedence", "list", "Precedence: list\r\n"},
		{"List-Unsubscribe", long + ", <mailto:a@b>", "List-Unsubscribe: " + long + ",\r\n <mailto:a@b>\r\n"},
		{"To", "\"Bob\" <bob@example.org>", "To: \"Bob\" <bob@example.org>\r\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		fold(&b, c.key, c.value)
		got := b.String()
		if got != c.want {
			t.Errorf("fold(%s) = %q, want %q", c.key, got, c.want)
		}
		if unfolded := strings.ReplaceAll(got, "\r\n", ""); unfolded != c.key+": "+c.value {
			t.Errorf("fold(%s) does not unfold to the value: %q", c.key, unfolded)
		}
	}
}

// FuzzTextFastPaths: where oneLine, wrap and textLines take their input as
// it is, the full work gives the same.
func FuzzTextFastPaths(f *testing.F) {
	for _, s := range []string{"Alice", "Design review", "a  b", " lead", "trail ", "tab\there", "é", "-- ", "line\n-- \nend ",
		strings.Repeat("x", 72), strings.Repeat("x", 73), "a\r\nb", "\x00", "a \nb"} {
		f.Add(s, 72)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 1 + int(uint(n)%120)
		if plainOneLine(s, n) {
			if got := collapseLine(s, n); got != s {
				t.Errorf("oneLine(%q, %d): plain, but the full work gives %q", s, n, got)
			}
		}
		if plainText(s) {
			if got := cleanLines(s); !slices.Equal(got, strings.Split(s, "\n")) {
				t.Errorf("textLines(%q): plain, but the full work gives %q", s, got)
			}
		}
		if fitsWidth(s, n) {
			if got := wrapLines(s, n, "    "); got != s {
				t.Errorf("wrap(%q, %d): fits, but the full work gives %q", s, n, got)
			}
		}
	})
}

// FuzzWrap: wrap gives what its first, plainer form gave (wrapReference).
func FuzzWrap(f *testing.F) {
	for _, s := range []string{"short", strings.Repeat("word ", 30), "    https://chat.example.org/unsubscribe/" + strings.Repeat("A", 60),
		"日本語のテキスト" + strings.Repeat("長", 50), "-- \nsig", "trailing   \n\n  indented " + strings.Repeat("x ", 50), "tab\tin a line"} {
		f.Add(s, 72)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 1 + int(uint(n)%120)
		if got, want := wrap(s, n, "    "), wrapReference(s, n, "    "); got != want {
			t.Errorf("wrap(%q, %d)\n = %q\nwant %q", s, n, got, want)
		}
	})
}

// wrapReference is wrap as first written, one rune and one token at a
// time.
func wrapReference(s string, w int, hang string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "-- " {
			l = strings.TrimRightFunc(l, unicode.IsSpace)
		}
		width := 0
		for _, r := range l {
			width += runeWidth(r)
		}
		if width <= w {
			out = append(out, l)
			continue
		}
		rest := strings.TrimLeft(l, " ")
		lead := l[:len(l)-len(rest)]
		cont := lead
		if len(cont) < len(hang) {
			cont = hang
		}
		cur, curW, empty := lead, len(lead), true
		for _, tok := range tokens(rest) {
			if tok.text == "" {
				continue
			}
			sep := tok.sep
			if empty {
				sep = ""
			}
			tw := 0
			for _, r := range tok.text {
				tw += runeWidth(r)
			}
			if !empty && curW+len(sep)+tw > w {
				out = append(out, cur)
				cur, curW, sep = cont, len(cont), ""
			}
			cur += sep + tok.text
			curW += len(sep) + tw
			empty = false
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}
