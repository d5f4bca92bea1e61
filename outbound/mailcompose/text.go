package mailcompose

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// wrapWidth is the column at which plain-text lines are wrapped.
const wrapWidth = 72

// oneLine makes s fit a header phrase or a one-line label: invalid UTF-8 is
// replaced, control and line-separating characters become spaces, bidi
// overrides are dropped (they could reorder "Alice (parley)"), runs of white
// space collapse, and the result is cut to at most max characters.
func oneLine(s string, max int) string {
	if plainOneLine(s, max) {
		return s
	}
	return collapseLine(s, max)
}

// collapseLine is oneLine's work on a line that is not plain.
func collapseLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case isBidiControl(r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		out = strings.TrimSpace(string([]rune(out)[:max-1])) + "…"
	}
	return out
}

// plainOneLine reports whether oneLine(s, max) is s itself: at most max
// printable ASCII characters, words parted by single spaces. Names, room
// names and subjects mostly are, and each relay formats several.
func plainOneLine(s string, max int) bool {
	if len(s) > max || s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == ' ' && s[i+1] == ' ' {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// lineEnds makes the other line ends LF, and a tab four spaces.
var lineEnds = strings.NewReplacer("\r", "\n", "\u2028", "\n", "\u2029", "\n", "\t", "    ")

// textLines prepares chat text for a body and splits it into lines:
// invalid UTF-8 is replaced, line ends become LF, a tab becomes four spaces,
// other control characters (a terminal escape, say) are dropped, trailing
// white space goes (but for the signature separator "-- "), and leading and
// trailing empty lines are removed.
func textLines(s string) []string {
	if plainText(s) {
		return strings.Split(s, "\n")
	}
	return cleanLines(s)
}

// plainText reports whether textLines has nothing to clean in s: printable
// ASCII lines, none ending in a space (but "-- "), the first and the last
// not empty. Most chat lines are.
func plainText(s string) bool {
	if s == "" || s[0] == '\n' || s[len(s)-1] == '\n' {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '\n' {
			if s[i] < ' ' || s[i] > '~' {
				return false
			}
			continue
		}
		if i > start && s[i-1] == ' ' && s[start:i] != "-- " {
			return false
		}
		start = i + 1
	}
	return true
}

// cleanLines is textLines' work on a text that is not plain.
func cleanLines(s string) []string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = lineEnds.Replace(s)
	s = strings.Map(func(r rune) rune {
		if r != '\n' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "-- " { // a signature separator keeps its space
			lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
		}
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// wrap folds every line of s that is wider than w columns at spaces, or
// between two wide (East Asian) characters, which may break anywhere. A
// continuation starts with the line's own indent, or with hang when that is
// longer: with hang "    " a wrapped chat line stays visibly one line. A
// word wider than w (a long link) is never cut. Runs of spaces in a line
// that is wrapped collapse to one. Trailing white space is removed, except
// in the signature separator "-- ".
func wrap(s string, w int, hang string) string {
	if fitsWidth(s, w) {
		return s
	}
	return wrapLines(s, w, hang)
}

// wrapLines is wrap's work on a text that does not fit.
func wrapLines(s string, w int, hang string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/w*(len(hang)+1))
	for i := 0; ; i++ {
		l, rest, more := strings.Cut(s, "\n")
		if i > 0 {
			b.WriteByte('\n')
		}
		if l != "-- " {
			l = strings.TrimRightFunc(l, unicode.IsSpace)
		}
		if displayWidth(l) <= w {
			b.WriteString(l)
		} else {
			wrapLine(&b, l, w, hang)
		}
		if !more {
			return b.String()
		}
		s = rest
	}
}

// fitsWidth reports whether wrap(s, w, ...) is s itself: ASCII lines of at
// most w characters that end in no white space but for the signature
// separator "-- ".
func fitsWidth(s string, w int) bool {
	n := 0 // bytes in the current line
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '\n' {
			if n > 0 && isASCIISpace(s[i-1]) && s[i-n:i] != "-- " {
				return false
			}
			n = 0
			continue
		}
		if s[i] >= utf8.RuneSelf {
			return false
		}
		if n++; n > w {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isASCIISpace is unicode.IsSpace for an ASCII byte.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// wrapLine writes one line folded; see wrap.
func wrapLine(b *strings.Builder, l string, w int, hang string) {
	rest := strings.TrimLeft(l, " ")
	lead := l[:len(l)-len(rest)]
	cont := lead
	if len(cont) < len(hang) {
		cont = hang
	}
	b.WriteString(lead)
	curW, empty := len(lead), true // empty: the line holds no word yet
	put := func(sep, text string) {
		if text == "" {
			return
		}
		if empty {
			sep = ""
		}
		tw := displayWidth(text)
		if !empty && curW+len(sep)+tw > w {
			b.WriteByte('\n')
			b.WriteString(cont)
			curW, sep = len(cont), ""
		}
		b.WriteString(sep)
		b.WriteString(text)
		curW += len(sep) + tw
		empty = false
	}
	if !isASCII(rest) {
		for _, tok := range tokens(rest) {
			put(tok.sep, tok.text)
		}
		return
	}
	for sep := ""; ; sep = " " { // ASCII: the tokens are the words
		word, after, more := strings.Cut(rest, " ")
		put(sep, word)
		if !more {
			return
		}
		rest = after
	}
}

// token is a piece of text that must not be broken, with the separator
// that precedes it (" ", or "" between wide characters).
type token struct{ sep, text string }

// tokens splits s at single spaces and around wide characters.
func tokens(s string) []token {
	var out []token
	for i, word := range strings.Split(s, " ") {
		sep := " "
		if i == 0 {
			sep = ""
		}
		start := 0
		prevWide := false
		for j, r := range word {
			wide := runeWidth(r) == 2
			if j > start && (wide || prevWide) {
				out = append(out, token{sep, word[start:j]})
				sep, start = "", j
			}
			prevWide = wide
		}
		out = append(out, token{sep, word[start:]})
	}
	return out
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int {
	if isASCII(s) {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is 2 for wide and fullwidth characters (CJK, most emoji), 0 for
// combining marks and format characters, 1 for the rest.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
