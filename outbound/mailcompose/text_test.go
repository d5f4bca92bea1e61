package mailcompose

import (
	"bytes"
	"slices"
	"strings"
	"testing"
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
