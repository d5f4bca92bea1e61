package mailparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the rules that keep text which a plain cut would lose:
// the quoted questions of an interleaved reply, a forwarded message, a
// message that is only a quote, and a sign-off followed by more text.

// forwardHeader starts the line that stands for a forward's header block.
const forwardHeader = "Forwarded from "

// maxForwardFields bounds the header fields read under a forward separator.
const maxForwardFields = 12

// forwardReply recognises a forwarded message at the cut: a forward
// separator ("---------- Forwarded message ---------", "Begin forwarded
// message:"), or a header block under which the author typed nothing. It
// returns what the author typed above, a blank line, "Forwarded from
// NAME:" and the forwarded text; removed holds the separator and the
// forwarded header fields. forwarded says that the subject marks a
// forward: then any header block, separator or attribution at the cut
// introduces the forwarded message, as in Outlook's forwards, which are
// laid out like its replies.
func forwardReply(lines []replyLine, cut int, forwarded bool) (reply, removed string, ok bool) {
	// iOS puts "Sent from my iPhone" above "Begin forwarded message:".
	f := cut
	for f < len(lines) && (lines[f].blank || isRule(lines[f].text) || isMobileSig(lines[f].text)) {
		f++
	}
	if f >= len(lines) {
		return "", "", false
	}
	hdr := f
	name, body := "", -1
	if rest, ok := runTogetherForward(lines[f].text); ok {
		// Yahoo: "----- Forwarded Message ----- From: Ann <...>To: ...".
		_, value := headerKey(rest)
		name, body = senderName(value), f+1
	}
	switch {
	case body >= 0:
	case isForwardSeparator(lines[f].text):
		hdr = f + 1
	case (lines[f].block || isSeparator(lines[f].text)) && (forwarded || !typedBefore(lines, cut)):
		// Nothing typed above someone else's message: a forward too.
		if !lines[f].block {
			hdr = f + 1
		}
	case forwarded && lines[f].hdrEnd > f:
		// Outlook for Mac forwards under an attribution.
		name, body = attributionName(joinLines(lines[f:lines[f].hdrEnd])), lines[f].hdrEnd
	case forwarded:
		if c, _ := headerKey(lines[f].text); c != keyFrom {
			return "", "", false
		}
	default:
		return "", "", false
	}
	if body < 0 {
		for hdr < len(lines) && lines[hdr].blank {
			hdr++
		}
		unquoted := hdr < len(lines) && lines[hdr].quoted
		if unquoted {
			// Apple Mail quotes the forwarded header and text under
			// "Begin forwarded message:".
			lines = append(lines[:hdr:hdr], unquoteLines(lines[hdr:])...)
		}
		body = hdr
		for n := 0; body < len(lines) && n < maxForwardFields && !lines[body].blank; n++ {
			class, value := headerKey(lines[body].text)
			if class == keyNone {
				if body == hdr || !startsWithSpace(lines[body].text) {
					break // not a header line, nor a folded one
				}
			}
			if class == keyFrom && name == "" {
				name = senderName(value)
			}
			body++
		}
		if body == hdr && hdr == f {
			return "", "", false
		}
		// Missive quotes the forwarded text under the header fields.
		k := body
		for k < len(lines) && lines[k].blank {
			k++
		}
		if !unquoted && k < len(lines) && lines[k].quoted {
			lines = append(lines[:k:k], unquoteLines(lines[k:])...)
		}
	}
	keepAnsweredQuotes(lines[:cut])
	typed, typedCut := assemble(lines[:cut])
	var b strings.Builder
	if typed != "" {
		b.WriteString(typed)
		b.WriteString("\n\n")
	}
	if name == "" {
		name = "an unknown sender"
	}
	b.WriteString(forwardHeader + name + ":")
	fwd := make([]replyLine, len(lines)-body)
	copy(fwd, lines[body:])
	for i := range fwd {
		fwd[i].mark = lineKept
	}
	dedentLines(fwd)
	if text, _ := assemble(fwd); text != "" {
		b.WriteByte('\n')
		b.WriteString(text)
	}
	hdrLines := make([]replyLine, body-cut)
	copy(hdrLines, lines[cut:body])
	for i := range hdrLines {
		hdrLines[i].mark = lineKept
	}
	cutHdr, _ := assemble(hdrLines)
	removed = cutHdr
	if typedCut != "" {
		removed = typedCut + "\n" + cutHdr
	}
	return b.String(), removed, true
}

// quotedForwardReply recognises a forward that a client quoted whole, as
// Gmail's HTML does: the first quoted line, one level down, is a forward
// separator. It returns what forwardReply makes of the text with the
// quote taken off.
func quotedForwardReply(lines []replyLine, forwarded bool) (reply, removed string, ok bool) {
	q := -1
	for i := range lines {
		if lines[i].mark == lineQuote && lines[i].quoted {
			q = i
			break
		}
	}
	if q < 0 {
		return "", "", false
	}
	first := unquoteOnce(lines[q].text)
	if !isForwardSeparator(first) {
		// With a forward's subject, a quoted header block is the
		// forwarded message (Outlook's HTML forward).
		if c, _ := headerKey(first); !forwarded || c != keyFrom {
			return "", "", false
		}
	}
	all := append(lines[:q:q], unquoteLines(lines[q:])...)
	return forwardReply(all, q, forwarded)
}

// unquoteOnce takes one level of "> " off a line.
func unquoteOnce(s string) string {
	t := strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(t, ">") {
		return s
	}
	return strings.TrimPrefix(t[1:], " ")
}

// unquoteLines returns a copy of ls with one level of quote taken off each
// quoted line, every line kept.
func unquoteLines(ls []replyLine) []replyLine {
	out := make([]replyLine, len(ls))
	for i, l := range ls {
		if l.quoted {
			t := unquoteOnce(l.text)
			l = replyLine{text: t, blank: isBlank(t), quoted: isQuoted(t)}
		}
		l.mark = lineKept
		out[i] = l
	}
	return out
}

// isForwardSeparator reports a separator that introduces a forwarded
// message, as opposed to the "Original Message" of a reply.
func isForwardSeparator(s string) bool {
	if !isSeparator(s) {
		return false
	}
	t := strings.ToLower(foldDottedI(trimSpace(s)))
	for _, w := range forwardWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func startsWithSpace(s string) bool {
	return s != "" && (s[0] == ' ' || s[0] == '\t')
}

// typedBefore reports whether a kept, non-blank line precedes line end.
func typedBefore(lines []replyLine, end int) bool {
	for i := 0; i < end; i++ {
		if lines[i].mark == lineKept && !lines[i].blank {
			return true
		}
	}
	return false
}

// senderName returns the display name of a "From:" value ("Ann Lee
// <ann@example.org>", "Ann Lee [mailto:ann@example.org]", "\"Ann\"
// <ann@...>"), or the address when there is no name.
func senderName(v string) string {
	v = trimSpace(v)
	name := v
	if i := strings.IndexAny(v, "<["); i >= 0 {
		name = v[:i]
	}
	name = strings.Trim(trimSpace(name), "\"'*, ")
	if name == "" {
		addr := v
		if i := strings.IndexAny(addr, "<["); i >= 0 {
			addr = addr[i+1:]
		}
		if i := strings.IndexAny(addr, ">]"); i >= 0 {
			addr = addr[:i]
		}
		name = trimSpace(strings.TrimPrefix(trimSpace(addr), "mailto:"))
	}
	if utf8.RuneCountInString(name) > 80 {
		r := []rune(name)
		name = string(r[:80])
	}
	return strings.ToValidUTF8(name, "")
}

// keepAnsweredQuotes keeps, in an interleaved reply, each quoted block that
// the author answered right under it, so the answers keep their questions.
// A single answered block with no more than a greeting above it is a
// bottom-posted reply: its quote goes. Only the quoted lines of a block are kept; the
// "On ... wrote:" line above it is still cut.
func keepAnsweredQuotes(lines []replyLine) {
	first := -1
	for i := range lines {
		if lines[i].mark == lineQuote {
			first = i
			break
		}
	}
	if first < 0 {
		return // most messages: nothing quoted, or only a trailer
	}
	typedWords := 0
	for i := 0; i < first && typedWords <= 3; i++ {
		if lines[i].mark == lineKept && !lines[i].blank {
			typedWords += countWords(lines[i].text)
		}
	}
	type run struct{ start, end int }
	var answered []run
	for i := first; i < len(lines); {
		if lines[i].mark != lineQuote {
			i++
			continue
		}
		start := i
		for i < len(lines) && lines[i].mark == lineQuote {
			i++
		}
		j := i
		for j < len(lines) && lines[j].mark == lineKept && lines[j].blank {
			j++
		}
		if j < len(lines) && lines[j].mark == lineKept && saysSomething(lines[start:i]) {
			answered = append(answered, run{start, i})
		}
	}
	// A greeting ("Hi,") above the quote does not make it interleaved.
	if len(answered) == 0 || len(answered) == 1 && typedWords <= 3 {
		return
	}
	for _, r := range answered {
		for k := r.start; k < r.end; k++ {
			if lines[k].quoted {
				lines[k].mark = lineKept
			}
		}
	}
}

// saysSomething reports whether a quoted line of ls holds a letter or a
// digit: a block of bare ">" is no question.
func saysSomething(ls []replyLine) bool {
	for _, l := range ls {
		if !l.quoted {
			continue
		}
		for _, r := range l.text {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return true
			}
		}
	}
	return false
}

// keepSomething is the reply of a message from which every line was cut.
// A message that is only a quote posts its quoted lines, or, when the quote
// holds a forwarded message, the forward; any other message posts every
// line but its signature ("-- " and below, "Sent from my ..."), which may
// leave nothing.
func keepSomething(lines []replyLine) (reply, removed string) {
	hasQuote := false
	for _, l := range lines {
		if l.mark == lineQuote && l.quoted {
			hasQuote = true
			break
		}
	}
	if hasQuote {
		if reply, removed, ok := quotedForward(lines); ok {
			return reply, removed
		}
		for i := range lines {
			if lines[i].mark == lineQuote && lines[i].quoted {
				lines[i].mark = lineKept
			}
		}
		return assemble(lines)
	}
	sig := false
	for i := range lines {
		sig = sig || isSigDelim(lines[i].text)
		if sig || isMobileSig(lines[i].text) {
			lines[i].mark = lineTrailer
		} else {
			lines[i].mark = lineKept
		}
	}
	return assemble(lines)
}

// quotedForward reads the quoted lines of a message that is only a quote
// (as webmails quote a forward in HTML) one level down, and returns the
// forward they hold, if any.
func quotedForward(lines []replyLine) (reply, removed string, ok bool) {
	var b strings.Builder
	var cut strings.Builder
	for _, l := range lines {
		if l.mark != lineQuote || !l.quoted {
			cut.WriteString(l.text)
			cut.WriteByte('\n')
			continue
		}
		t := strings.TrimLeft(l.text, " \t")
		t = strings.TrimPrefix(strings.TrimPrefix(t, ">"), " ")
		b.WriteString(t)
		b.WriteByte('\n')
	}
	inner, innerCut := markLines(b.String(), "")
	reply, removed, ok = forwardReply(inner, innerCut, false)
	if !ok {
		return "", "", false
	}
	if c := strings.TrimSpace(cut.String()); c != "" {
		removed = c + "\n" + removed
	}
	return reply, removed, true
}

// contentBelow reports whether one of lines[from:end] carries content
// rather than a signature: a sentence, a question, a postscript.
func contentBelow(lines []replyLine, from, end int) bool {
	for i := from; i < end; i++ {
		if lines[i].blank || lines[i].mark != lineKept {
			continue
		}
		if isContentLine(lines[i].text) {
			return true
		}
	}
	return false
}

// isContentLine reports a line that reads as text the author wrote to say
// something, not as a name, a title or a phone number.
func isContentLine(s string) bool {
	t := trimSpace(s)
	for _, ps := range []string{"p.s", "ps:", "ps "} {
		if len(t) >= len(ps) && strings.EqualFold(t[:len(ps)], ps) {
			return true
		}
	}
	words := countWords(t)
	if words >= 7 {
		return true
	}
	if t == "" {
		return false
	}
	switch t[len(t)-1] {
	case '?':
		return words >= 2
	case '.':
		return words >= 5
	}
	return false
}

// countWords returns len(strings.Fields(s)) without allocating.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		space := unicode.IsSpace(r)
		if !space && !in {
			n++
		}
		in = !space
	}
	return n
}

// findBareAttributions marks as quote headers the short attributions that
// findWroteHeaders leaves because they hold no date and no address ("Ann
// Lee wrote:", "Ann <ann@example.org>:"), when a quote follows them: such a
// line means nothing once the quote is cut.
func findBareAttributions(lines []replyLine) {
	for i := 1; i < len(lines); i++ {
		if !lines[i].quoted || lines[i-1].quoted {
			continue
		}
		p := i - 1
		if lines[p].blank && p > 0 {
			p--
		}
		if lines[p].blank || lines[p].quoted || lines[p].hdrEnd > 0 || coveredByHeader(lines, p) {
			continue
		}
		if isBareAttribution(lines[p].text) {
			lines[p].hdrEnd = p + 1
		}
	}
}

// coveredByHeader reports whether line p is inside a header that begins
// on one of the two lines above it.
func coveredByHeader(lines []replyLine, p int) bool {
	for k := p - 1; k >= 0 && k >= p-2; k-- {
		if lines[k].hdrEnd > p {
			return true
		}
	}
	return false
}

// isBareAttribution reports a short line ending in a "wrote" verb and a
// colon, or in an address and a colon.
func isBareAttribution(s string) bool {
	t := trimSpace(s)
	if len(t) > 200 {
		return false
	}
	switch {
	case strings.HasSuffix(t, ":"):
		t = trimSpace(strings.TrimSuffix(t, ":"))
	case strings.HasSuffix(t, "："):
		t = trimSpace(strings.TrimSuffix(t, "："))
	default:
		return false
	}
	if strings.HasSuffix(t, ">") {
		if lt := strings.LastIndexByte(t, '<'); lt >= 0 && looksLikeEmail(t[lt:]) {
			return true
		}
	}
	var buf [96]byte
	if wroteVerbs[string(lastLowerWord(buf[:0], t, maxWroteVerb))] {
		return true
	}
	// "كتب Ann:", "נכתב על ידי Ann:": the verb first, in a short line.
	if first, _ := nextWord(t); wroteOpeners[first] && len(t) <= 120 {
		return true
	}
	for _, m := range wroteMarkers {
		if strings.HasSuffix(t, m) {
			return true
		}
	}
	return false
}
