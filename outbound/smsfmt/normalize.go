package smsfmt

import "strings"

// Normalize replaces typographic punctuation and unusual spaces (curly
// quotes, dashes, ellipsis, non-breaking and other wide spaces, bullets,
// zero-width characters, tabs, Unicode line separators) with their plain
// GSM-7 equivalents and turns CR LF and lone CR into LF, but only when the
// result is GSM-7. If some other character outside GSM-7 remains (an emoji,
// Cyrillic, an accented letter GSM-7 lacks) the text travels as UCS-2 anyway
// and is returned unchanged, with the characters its author chose.
//
// Letters are never transliterated: "á" does not become "a".
func Normalize(text string) string {
	if IsGSM7(text) && !strings.ContainsRune(text, '\r') {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	prevCR := false
	for _, r := range text {
		if prevCR && r == '\n' {
			// CR LF is one line break; LF alone costs one septet less.
			prevCR = false
			continue
		}
		prevCR = r == '\r'
		if r == '\r' {
			b.WriteByte('\n')
			continue
		}
		if septets(r) > 0 {
			b.WriteRune(r)
			continue
		}
		plain, ok := plainEquivalent(r)
		if !ok {
			return text
		}
		b.WriteString(plain)
	}
	return b.String()
}

// plainEquivalent returns the GSM-7 spelling of a typographic character, or
// false when r has none.
func plainEquivalent(r rune) (string, bool) {
	switch r {
	case '‘', '’', '‚', '‛', '′', '‹', '›', '`', '´', 'ʼ':
		return "'", true
	case '“', '”', '„', '‟', '″', '«', '»':
		return `"`, true
	case '‐', '‑', '‒', '–', '—', '―', '−', '⁃':
		return "-", true
	case '…':
		return "...", true
	case '•', '∙':
		return "-", true
	case '\t', '\u00a0', '\u2000', '\u2001', '\u2002', '\u2003', '\u2004',
		'\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
		'\u202f', '\u205f', '\u3000':
		return " ", true
	case '\u2028', '\u2029', '\v':
		return "\n", true
	case '\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		// Soft hyphen and zero-width characters: invisible, dropped.
		return "", true
	case '×':
		return "x", true
	case '⁄', '∕':
		return "/", true
	}
	return "", false
}
