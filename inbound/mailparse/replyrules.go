package mailparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the single-line tests that reply.go combines: what a
// quote header, a header block, a separator or a signature looks like in
// the languages and clients we have seen. Every test reads at most a bounded
// prefix or suffix of a line, so that a scan over all lines stays linear.

const (
	// maxHeaderWindow bounds the text an "On ... wrote:" header may span.
	maxHeaderWindow = 600
	// maxKeyBytes bounds how far into a line we look for a "Key:" colon.
	maxKeyBytes = 48
)

// maxWroteVerb is the length in bytes of the longest of wroteVerbs
// (TestWroteVerbsFit checks it): a longer word is none of them.
const maxWroteVerb = 16

// trimSpace trims ASCII white space and the invisible spaces mail clients
// leave around text (no-break, zero-width, BOM, ideographic).
func trimSpace(s string) string {
	// Most lines begin and end with a visible ASCII character.
	if s != "" && isVisibleASCII(s[0]) && isVisibleASCII(s[len(s)-1]) {
		return s
	}
	return strings.TrimFunc(s, isSpaceRune)
}

func isVisibleASCII(c byte) bool { return '!' <= c && c <= '~' }

func isSpaceRune(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', '\u00a0', '\u200b', '\ufeff', '\u3000', '\u202f',
		// Invisible characters that clients leave on a line of their own:
		// joiners, word joiner, soft hyphen, Mongolian vowel separator,
		// Hangul fillers, braille blank, and the "ᐧ" of tracking pixels.
		'\u200c', '\u200d', '\u2060', '\u00ad', '\u180e', '\u3164', '\uffa0', '\u2800', '\u1427', '\u034f',
		// Direction marks and embeddings, which Gmail wraps around
		// right-to-left attributions ("\u202bבתאריך ... מאת ...:\u202c").
		'\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
		'\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return false
}

func isBlank(s string) bool { return trimSpace(s) == "" }

// isQuoted reports whether a line is part of a ">" quoted block.
func isQuoted(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t':
			continue
		case '>':
			return true
		}
		return false
	}
	return false
}

// isSigDelim reports the "-- " signature delimiter (trailing space is often
// lost, so "--" counts too).
func isSigDelim(s string) bool {
	return strings.HasPrefix(s, "--") && strings.TrimRight(s, " \t\r") == "--"
}

// isUnderscoreRule reports a line of underscores, used by Outlook above the
// original message and by mailing lists above their footer.
func isUnderscoreRule(s string) bool {
	t := trimSpace(s)
	return len(t) >= 2 && t[0] == '_' && strings.Trim(t, "_") == ""
}

// isRule reports a line made only of drawing characters ("-----", "====").
func isRule(s string) bool {
	t := trimSpace(s)
	return len(t) >= 2 && strings.Trim(t, "-_=*~#+—–－─━") == ""
}

// isLongRule reports a rule of at least three characters: a lone "—" is
// too often the author's own.
func isLongRule(s string) bool {
	return isRule(s) && utf8.RuneCountInString(trimSpace(s)) >= 3
}

// isSeparator reports lines such as "-----Original Message-----",
// "---------- Forwarded message ---------" or "Begin forwarded message:",
// after which clients put the earlier message unquoted.
func isSeparator(s string) bool {
	t := trimSpace(s)
	if len(t) > 120 {
		return false
	}
	// Most lines are rejected by their first byte: an ASCII byte that
	// starts no introduction, draws no dash and is no markup.
	if t == "" || !mayStartSeparator(t[0]) {
		return false
	}
	// Markup left by HTML-to-text: "*-----Original Message-----*".
	t = foldDottedI(strings.Trim(t, "*_ \t"))
	if t == "" || !mayStartSeparator(t[0]) {
		return false
	}
	phrase := t
	for {
		if strings.HasSuffix(phrase, "：") {
			phrase = phrase[:len(phrase)-len("：")]
		} else if n := len(phrase); n > 0 && (phrase[n-1] == ' ' || phrase[n-1] == ':') {
			phrase = phrase[:n-1]
		} else {
			break
		}
	}
	candidates := introOther
	if phrase != "" && phrase[0] < utf8.RuneSelf {
		candidates = introASCII[lowerASCII(phrase[0])]
	}
	for _, p := range candidates {
		if strings.EqualFold(phrase, p) {
			return true
		}
	}
	inner := strings.TrimFunc(t, isDash)
	if len(inner) == len(t) || !isDashRune(t) || !isDashRune(reverseLast(t)) {
		return false
	}
	inner = strings.ToLower(trimSpace(inner))
	if inner == "" || len(inner) > 60 {
		return false
	}
	for w, rest := nextWord(inner); w != ""; w, rest = nextWord(rest) {
		if separatorWords[w] {
			return true
		}
	}
	for _, m := range separatorMarks {
		if strings.Contains(inner, m) {
			return true
		}
	}
	return false
}

// foldDottedI writes Turkish "İ" as "I", whose lower case is the "i" the
// table is written with (strings.ToLower gives "i" and a combining dot).
func foldDottedI(s string) string {
	if strings.IndexByte(s, "İ"[0]) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "İ", "I")
}

// mayStartSeparator reports whether a separator line may begin with c.
func mayStartSeparator(c byte) bool {
	switch {
	case c >= utf8.RuneSelf:
		return true // "————", or an introduction in another script
	case c == '-' || c == '=' || c == '~' || c == '*' || c == '_':
		return true
	}
	return len(introASCII[lowerASCII(c)]) > 0
}

// introASCII and introOther hold forwardPhrases by first byte, as
// mobileASCII does the mobile prefixes.
var introASCII, introOther = splitByFirstByte(forwardPhrases)

// isDash reports the characters separators are drawn with.
func isDash(r rune) bool {
	switch r {
	case '-', '—', '–', '=', '~', '－':
		return true
	}
	return false
}

// isDashRune reports whether s begins with two dash characters.
func isDashRune(s string) bool {
	n := 0
	for _, r := range s {
		if !isDash(r) {
			break
		}
		if n++; n == 2 {
			return true
		}
	}
	return false
}

// reverseLast returns the last two characters of s, for isDashRune.
func reverseLast(s string) string {
	i := len(s)
	for n := 0; n < 2 && i > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

// isMobileSig reports "Sent from my iPhone" and its kin: a short line with
// a known prefix and no sentence punctuation, so that "Sent from my desk,
// is much easier" stays.
func isMobileSig(s string) bool {
	t := trimSpace(s)
	if len(t) > 160 {
		return false
	}
	// Drop a trailing link such as "<https://aka.ms/o0ukef>".
	if i := strings.IndexByte(t, '<'); i > 0 && strings.HasSuffix(t, ">") {
		t = t[:i]
	}
	// Every prefix begins with a letter (TestMobilePrefixes), which an
	// ASCII character that is none cannot match.
	if len(t) > 80 || t == "" || t[0] < utf8.RuneSelf && !isASCIILetter(t[0]) {
		return isMobileSuffix(t)
	}
	// Most lines are rejected by their first byte: an ASCII letter folds
	// only to itself and its other case.
	candidates := mobileOther
	if t[0] < utf8.RuneSelf {
		candidates = mobileASCII[lowerASCII(t[0])]
	}
	for _, p := range candidates {
		if len(t) >= len(p) && strings.EqualFold(t[:len(p)], p) {
			if hasSentencePunct(t) {
				return false
			}
			rest := countWords(t[len(p):])
			return rest >= 1 && rest <= 6
		}
	}
	return isMobileSuffix(t)
}

// mobileASCII holds the mobile prefixes by their first byte when it is an
// ASCII letter; mobileOther holds the others.
var mobileASCII, mobileOther = splitByFirstByte(mobilePrefixes)

func splitByFirstByte(list []string) (ascii [utf8.RuneSelf][]string, other []string) {
	for _, p := range list {
		if p[0] < utf8.RuneSelf {
			ascii[p[0]] = append(ascii[p[0]], p)
		} else {
			other = append(other, p)
		}
	}
	return ascii, other
}

// isMobileSuffix reports a device signature written verb last
// ("iPhoneから送信", "iPhone'umdan gönderildi"): a line of a few words that
// ends with a known suffix and names a device in Latin letters.
func isMobileSuffix(t string) bool {
	if len(t) > 60 || len(t) < 4 {
		return false
	}
	// Every suffix ends with a byte of a multi-byte character or a
	// lower-case ASCII letter; cheap tests first, as most lines get here.
	last := t[len(t)-1]
	if last < utf8.RuneSelf && !('a' <= last && last <= 'z') && last != '.' {
		return false
	}
	t = strings.TrimRight(t, ".。 ")
	for _, suf := range mobileSuffixes {
		if strings.HasSuffix(t, suf) {
			return !hasSentencePunct(t) && countWords(t) <= 4 && latinRun(t) >= 3
		}
	}
	return false
}

// latinRun returns the length of the longest run of ASCII letters in s.
func latinRun(s string) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if isASCIILetter(s[i]) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// hasSentencePunct reports whether s holds one of ",;!?".
func hasSentencePunct(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', '!', '?':
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isSignOff reports a closing such as "Best regards," on a line of its own.
func isSignOff(s string) bool {
	t := trimSpace(s)
	if len(t) > 60 {
		return false
	}
	if isSlashName(t) {
		return true
	}
	t = strings.TrimRight(t, ",.!-–—、。， ")
	var buf [240]byte
	return signOffs[string(appendLower(buf[:0], t))]
}

// isSlashName reports the "/Name" sign-off of Scandinavian and German
// mail: a slash and one or two words of letters.
func isSlashName(t string) bool {
	if len(t) < 2 || t[0] != '/' {
		return false
	}
	words := 0
	for w, rest := nextWord(t[1:]); w != ""; w, rest = nextWord(rest) {
		words++
	}
	return words >= 1 && words <= 2 && strings.IndexFunc(t[1:], func(r rune) bool {
		return !unicode.IsLetter(r) && r != ' ' && r != '.' && r != '-'
	}) < 0
}

// Header-key classes returned by headerKey.
const (
	keyNone    = iota
	keyFrom    // From:, De :, Von:
	keyOther   // Sent:, To:, Subject:, Objet :
	keyGeneric // any other short "Words:" prefix
)

// headerKey classifies a line that starts like a header field, tolerating
// leading spaces and the "*From:*" bold of Outlook's HTML-to-text. It
// returns the class and the value after the colon.
func headerKey(s string) (class int, value string) {
	t := strings.TrimLeftFunc(s, isSpaceRune)
	t = strings.TrimLeft(t, "*")
	limit := len(t)
	if limit > maxKeyBytes {
		limit = maxKeyBytes
	}
	// The first ':' or '：' that starts before limit. A byte search finds
	// the same colon as decoding rune by rune would: neither the ASCII
	// colon nor the lead byte of '：' can be part of another character.
	colon, width := strings.IndexByte(t[:limit], ':'), 1
	end := limit
	if colon >= 0 {
		end = colon
	}
	// A '：' that starts before end; most lines have no 0xEF byte for it.
	if w := t[:min(end+len("：")-1, len(t))]; strings.IndexByte(w, "："[0]) >= 0 {
		if wide := strings.Index(w, "："); wide >= 0 {
			colon, width = wide, len("：")
		}
	}
	if colon <= 0 {
		return keyNone, ""
	}
	var buf [4 * maxKeyBytes]byte
	key := appendLower(buf[:0], strings.TrimFunc(t[:colon], func(r rune) bool { return isSpaceRune(r) || r == '*' }))
	value = strings.TrimLeft(t[colon+width:], "* \t\u00a0")
	if len(key) == 0 {
		return keyNone, ""
	}
	if fromKeys[string(key)] {
		return keyFrom, value
	}
	if otherKeys[string(key)] {
		return keyOther, value
	}
	words := 0
	inWord := false
	for _, r := range string(key) {
		switch {
		case unicode.IsLetter(r) || r == '-' || r == '\'':
			if !inWord {
				words++
				inWord = true
			}
		case r == ' ' || r == '\u00a0':
			inWord = false
		default:
			return keyNone, ""
		}
	}
	if words == 0 || words > 3 || utf8.RuneCount(key) > 25 {
		return keyNone, ""
	}
	return keyGeneric, value
}

// looksLikeEmail reports whether s holds something@domain.tld.
func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.IndexByte(s[at:], '.') > 0
}

// isWroteHeader reports whether t, the text of one to three joined lines,
// is an "On <date>, <name> wrote:" style attribution line.
func isWroteHeader(t string) bool {
	t = trimSpace(t)
	if len(t) < 6 || len(t) > maxHeaderWindow {
		return false
	}
	// Zimbra prefixes the header with "- ", Zoho wraps it in "----".
	t = trimSpace(strings.TrimLeft(t, "-"))
	dashed := strings.HasSuffix(t, "--")
	t = trimSpace(strings.TrimRight(t, "-"))
	colon := false
	if strings.HasSuffix(t, ":") {
		colon = true
		t = trimSpace(strings.TrimSuffix(t, ":"))
	} else if strings.HasSuffix(t, "：") {
		colon = true
		t = trimSpace(strings.TrimSuffix(t, "："))
	}
	hasDigit := strings.ContainsAny(t, "0123456789")
	hasAt := strings.IndexByte(t, '@') >= 0
	if !hasDigit && !hasAt {
		return false
	}
	// The words of the lower-cased text: is any a verb, is the last one.
	firstWord, rest := nextWord(strings.ToLower(t))
	if firstWord == "" {
		return false
	}
	verb, verbLast := false, false
	for w := firstWord; w != ""; w, rest = nextWord(rest) {
		verbLast = wroteVerbs[w]
		verb = verb || verbLast
	}
	if !verb {
		for _, m := range wroteMarkers {
			if strings.Contains(t, m) {
				verb, verbLast = true, strings.HasSuffix(t, m)
				break
			}
		}
	}
	if colon {
		if verb {
			return true
		}
		// Gmail's "2014-03-20 8:48 GMT+01:00 Name <addr@example.com>:".
		if hasDigit && strings.HasSuffix(t, ">") {
			if lt := strings.LastIndexByte(t, '<'); lt >= 0 && looksLikeEmail(t[lt:]) {
				return true
			}
		}
		return false
	}
	// No colon: "On Wed, 14 Nov 2018 ... <john@doe.com> wrote" (and Zoho's
	// "---- On ... wrote ----") need every other sign of a header.
	return verb && verbLast && leadWords[firstWord] && hasDigit && (hasAt || dashed)
}

// nextWord returns the first run of letters in s and what follows it, or
// "" when s has no letter; lower-cased text is thus split into the words
// that the lists above are matched with.
func nextWord(s string) (word, rest string) {
	start := -1
	for i, r := range s {
		switch letter := unicode.IsLetter(r); {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			return s[start:i], s[i:]
		}
	}
	if start < 0 {
		return "", ""
	}
	return s[start:], ""
}

// lastLowerWord appends to dst the last word (see nextWord) of strings.ToLower(s)
// and returns it; nothing when s has no letter, or when the word is longer
// than max bytes. It allocates nothing while dst has room:
// mayEndWroteHeader calls it on every line.
func lastLowerWord(dst []byte, s string, max int) []byte {
	// The common case is found from the end: ASCII bytes that are not
	// letters, then the ASCII letters of the word, after an ASCII byte or
	// at the start. An ASCII byte is always a whole character and lowers
	// to itself or to a letter of the other case.
	end := len(s)
	for end > 0 && s[end-1] < utf8.RuneSelf && !isASCIILetter(s[end-1]) {
		end--
	}
	start := end
	for start > 0 && isASCIILetter(s[start-1]) && end-start <= max {
		start--
	}
	if end-start > max {
		return dst // whatever comes before, the word is too long
	}
	if end == 0 {
		return dst // no letter at all
	}
	if start < end && (start == 0 || s[start-1] < utf8.RuneSelf) {
		for i := start; i < end; i++ {
			dst = append(dst, lowerASCII(s[i]))
		}
		return dst
	}
	// Otherwise lower-case rune by rune as strings.ToLower does (invalid
	// bytes become U+FFFD, which is no letter) and keep the last run.
	word := dst
	inWord := false
	for _, r := range s {
		r = unicode.ToLower(r)
		if !unicode.IsLetter(r) {
			inWord = false
			continue
		}
		if !inWord {
			word, inWord = word[:len(dst)], true
		}
		word = utf8.AppendRune(word, r)
	}
	if len(word)-len(dst) > max {
		return dst
	}
	return word
}

// appendLower appends strings.ToLower(s) to dst, so that a lower-cased key
// can be looked up in a map without allocating a string.
func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// continuesHeader reports whether line is the tail of a header that began
// on the line above: Gmail and Outlook wrap long attributions before the
// address ("... Corey Donohoe\n<reply@example.com>\nwrote:").
func continuesHeader(line, above string) bool {
	t := trimSpace(line)
	if t == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	if r == '<' || r == '(' || unicode.IsLower(r) {
		return true
	}
	// A line that starts like a header ("On ...", "Le ...", a date) is
	// the start itself, whatever the line above ends with.
	if unicode.IsDigit(r) {
		return false
	}
	end := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(t)
	}
	if leadWords[strings.ToLower(t[:end])] {
		return false
	}
	a := trimSpace(above)
	return strings.HasSuffix(a, ",") || strings.HasSuffix(a, "<") || strings.HasSuffix(a, "(")
}
