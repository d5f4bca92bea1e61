package smsfmt

import (
	"strings"
	"unicode"
)

// DefaultBudget is the number of segments a text may use when Options
// leaves Budget unset.
const DefaultBudget = 2

// Line is one chat line of a batch meant for one member.
type Line struct {
	// Room is the room's short name, shown as "[Room]".
	Room string
	// Name is the author's display name.
	Name string
	// Text is what the author wrote; it may hold line breaks.
	Text string
}

// Options tune Format.
type Options struct {
	// Budget is the most segments the text may use; below 1 means
	// DefaultBudget.
	Budget int
	// Link is the room's URL, appended after "… " when the lines had to be
	// cut. Empty means no link.
	Link string
}

// maxWordBackoff is how many characters Format gives up, at most, to cut
// between words rather than inside one.
const maxWordBackoff = 15

// Format renders a batch of lines as the body of one text message:
//
//	[Design] Alice: can we ship friday?
//	Bob: yes
//	[Ops] Carol: deploy is green
//
// A room's name is shown once for consecutive lines of that room, an
// author's name once for consecutive lines by that author. Each field is
// cleaned (control characters dropped, whitespace tidied, invalid UTF-8
// replaced by "?") and passed through Normalize.
//
// When the batch needs more segments than opts.Budget, it is cut: as much of
// it as fits, preferably at a space, then "… " and opts.Link, so that the
// whole text uses the budget and no more. The marker is spelled "..." when the
// text is GSM-7, because "…" alone would turn it into UCS-2 and halve the
// room left. If even the link does not fit, the text is cut without it.
// Format returns "" when no line has any text.
func Format(lines []Line, opts Options) string {
	budget := opts.Budget
	if budget < 1 {
		budget = DefaultBudget
	}
	full := assemble(lines)
	if full == "" {
		return ""
	}
	if n, _, _ := Segments(full); n <= budget {
		return full
	}
	link := strings.Join(strings.Fields(clean(opts.Link)), "")
	if link != "" {
		if out, ok := cut(full, budget, link); ok {
			return out
		}
	}
	out, _ := cut(full, budget, "")
	return out
}

// assemble joins the cleaned, normalised lines with the shared room and
// author headers elided.
func assemble(lines []Line) string {
	var b strings.Builder
	var prevRoom, prevName string
	first := true
	for _, l := range lines {
		text := Normalize(clean(l.Text))
		if text == "" {
			continue
		}
		room := Normalize(oneLine(l.Room))
		name := Normalize(oneLine(l.Name))
		sameRoom := !first && room == prevRoom
		if !first {
			b.WriteByte('\n')
		}
		if !sameRoom && room != "" {
			b.WriteString("[" + room + "] ")
		}
		if name != "" && !(sameRoom && name == prevName) {
			b.WriteString(name + ": ")
		}
		b.WriteString(text)
		prevRoom, prevName, first = room, name, false
	}
	return b.String()
}

// cut returns the longest prefix of full, followed by the cut marker and
// link, that fits in budget segments. ok is false when link is not empty and
// not even one character of full fits beside it.
func cut(full string, budget int, link string) (out string, ok bool) {
	runes := []rune(full)
	offs := make([]int, 0, len(runes)+1)
	for i := range full {
		offs = append(offs, i)
	}
	offs = append(offs, len(full))
	n := len(runes)
	candidate := func(k int) string { return withMarker(full[:offs[k]], link) }
	fits := func(k int) bool {
		c, _, _ := Segments(candidate(k))
		return c <= budget
	}

	// Prefixes before the first character outside GSM-7 are GSM-7 (unless
	// the link is not) and the longer ones UCS-2: within each range, the
	// cost grows with the prefix, so each range is searched on its own and
	// a fitting UCS-2 prefix, being longer, wins.
	firstUCS2 := n
	for i, r := range runes {
		if septets(r) == 0 {
			firstUCS2 = i
			break
		}
	}
	k := -1
	if fits(0) {
		k = lastTrue(0, firstUCS2, fits)
	}
	if firstUCS2 < n && fits(firstUCS2+1) {
		k = lastTrue(firstUCS2+1, n, fits)
	}
	if k < 0 || link != "" && k == 0 {
		return "", false
	}

	// Step back so as not to split a character from its combining marks or
	// an emoji sequence, then to a space if one is near.
	if j := graphemeBoundary(runes, k); j != k && fits(j) {
		k = j
	}
	for j := k; j > 0 && j > k-maxWordBackoff; j-- {
		if unicode.IsSpace(runes[j]) {
			if fits(j) {
				k = j
			}
			break
		}
	}
	return candidate(k), true
}

// lastTrue returns the largest k in [lo, hi] for which pred holds, given
// that pred(lo) holds and pred, once false, stays false.
func lastTrue(lo, hi int, pred func(int) bool) int {
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if pred(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// withMarker ends a cut prefix with the marker and the link.
func withMarker(prefix, link string) string {
	p := strings.TrimRightFunc(prefix, unicode.IsSpace)
	marker := "…"
	if IsGSM7(p) && IsGSM7(link) {
		marker = "..."
	}
	if link == "" {
		return p + marker
	}
	if link[0] == ' ' || link[0] == '\n' {
		return p + marker + link // FormatWithFiles: the link and the files
	}
	return p + marker + " " + link
}

// graphemeBoundary moves a cut position k back until it does not split a
// base character from what extends it: combining marks, variation
// selectors, emoji modifiers, a zero-width joiner and what it joins, or the
// two halves of a flag.
func graphemeBoundary(runes []rune, k int) int {
	for k > 0 && k < len(runes) && (extends(runes[k]) || runes[k-1] == '\u200d') {
		k--
	}
	if k > 0 && k < len(runes) && regionalIndicator(runes[k]) && regionalIndicator(runes[k-1]) {
		start := k - 1
		for start > 0 && regionalIndicator(runes[start-1]) {
			start--
		}
		if (k-start)%2 == 1 {
			k--
		}
	}
	return k
}

// extends reports whether r attaches to the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200d' ||
		r >= '\ufe00' && r <= '\ufe0f' ||
		r >= 0x1f3fb && r <= 0x1f3ff || // skin tones
		r >= 0xe0020 && r <= 0xe007f // tag sequences
}

// regionalIndicator reports whether r is one of the letters that pair up
// into a flag.
func regionalIndicator(r rune) bool {
	return r >= 0x1f1e6 && r <= 0x1f1ff
}

// clean makes a field safe to send: invalid UTF-8 becomes "?", CR LF and CR
// become LF, tabs become spaces, other control characters are dropped,
// trailing spaces on each line and blank lines beyond one are removed, and
// the whole is trimmed.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	b.Grow(len(s))
	prevCR := false
	for _, r := range s {
		switch {
		case r == '\n' && prevCR:
		case r == '\r' || r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r >= 0x7f && r < 0xa0:
		default:
			b.WriteRune(r)
		}
		prevCR = r == '\r'
	}
	parts := strings.Split(b.String(), "\n")
	kept := parts[:0]
	blank := false
	for _, p := range parts {
		p = strings.TrimRightFunc(p, unicode.IsSpace)
		if p == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		kept = append(kept, p)
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// oneLine cleans a field that must stay on one line, such as a name.
func oneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
