package mailparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// How a line ends up in ExtractReply's result.
const (
	lineKept    = iota // typed by the author
	lineQuote          // a quote, a quote header or a wrapped quote line
	lineTrailer        // from the first cut (header block, separator, signature) on
)

// replyLine is what the scan knows about one line.
type replyLine struct {
	text   string
	blank  bool
	quoted bool
	// hdrEnd is, for the first line of an "On ... wrote:" header, one past
	// the header's last line; zero otherwise.
	hdrEnd int
	// block marks the first line of a "From: / Sent: / To:" header block.
	block bool
	mark  uint8
}

// ExtractReply splits the plain text of a reply into what its author typed
// and what was cut: quoted history ("> " blocks and the "On ... wrote:" line
// above them), the unquoted original that Outlook-style clients append under
// a "From: ... Sent: ..." block or an "-----Original Message-----" line, the
// "-- " signature, "Sent from my ..." lines, mailing-list footers and a final
// "Regards, Name" sign-off. Text typed between quotes (inline replies) is
// kept; blank lines are kept as written, except that runs left behind by a
// cut are folded into one.
//
// Three shapes are kept rather than cut, so that the line is never empty
// when the message held text: in an interleaved reply, the quoted lines
// that the author answered stay above each answer as "> " lines; a
// forwarded message posts the forwarded text under one "Forwarded from
// NAME:" line (after whatever the author typed above it); and a message
// that is only a quote posts the quote.
//
// Parse also gives the rules what the message's header says: a subject
// that marks a forward ("FW:", "WG:", "TR:" ...) makes the header block,
// separator or attribution under the typed text a forward's, as Outlook
// lays its forwards out like its replies; and a last line that holds only
// the sender's name (or first name) is cut as a sign-off.
//
// ExtractReply runs in time linear in len(text): every line is examined a
// bounded number of times and every test reads a bounded part of a line.
// reply is empty only when text is blank or holds nothing but a signature.
func ExtractReply(text string) (reply, removed string) {
	return extractReply(text, replyContext{})
}

// extractReply is ExtractReply with what the message's header says.
func extractReply(text string, rc replyContext) (reply, removed string) {
	text = strings.TrimPrefix(text, "\ufeff") // a byte order mark some clients leave
	lines, cut := markLines(text, rc.From.Name)
	if len(lines) == 0 {
		return "", ""
	}
	if reply, ok := keptWhole(lines, text); ok {
		return reply, ""
	}
	forwarded := isForwardSubject(rc.Subject)
	if reply, removed, ok := forwardReply(lines, cut, forwarded); ok {
		return reply, removed
	}
	if reply, removed, ok := quotedForwardReply(lines, forwarded); ok {
		return reply, removed
	}
	keepAnsweredQuotes(lines)
	reply, removed = assemble(lines)
	if reply == "" {
		// Never post nothing when the author sent something: a message
		// that is only a quote posts the quote, anything else whole.
		reply, removed = keepSomething(lines)
	}
	return reply, removed
}

// markLines splits text into lines and marks each kept, quote or trailer;
// cut is the first line of the trailer (len(lines) when there is none).
// from is the sender's display name (see replyContext): a last line that
// holds only it, or its first name, is a sign-off.
func markLines(text string, from string) (lines []replyLine, cut int) {
	lines = scanLines(text)
	if len(lines) == 0 {
		return nil, 0
	}
	findWroteHeaders(lines)
	findBareAttributions(lines)
	findHeaderBlocks(lines)
	markQuoteContinuations(lines)
	cut = markQuotes(lines)
	cut = widenCut(lines, cut)
	for i := cut; i < len(lines); i++ {
		lines[i].mark = lineTrailer
	}
	if !dropSignOff(lines, cut) {
		dropSenderName(lines, cut, from)
	}
	return lines, cut
}

// scanLines splits text into lines (any of CRLF, CR, LF ends a line) and
// records the facts every later pass needs.
func scanLines(text string) []replyLine {
	text = strings.TrimRight(text, "\r\n")
	if trimSpace(text) == "" {
		return nil
	}
	n := strings.Count(text, "\n") + strings.Count(text, "\r") + 1
	lines := make([]replyLine, 0, n)
	for len(text) > 0 || len(lines) == 0 {
		i := lineBreak(text)
		var l string
		if i < 0 {
			l, text = text, ""
		} else {
			l = text[:i]
			if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			text = text[i+1:]
		}
		// ">:" alone is the tail of a wrapped "Name <addr\n>:" header.
		quoted := isQuoted(l) && strings.TrimSpace(l) != ">:"
		lines = append(lines, replyLine{text: l, blank: isBlank(l), quoted: quoted})
	}
	return lines
}

// lineBreak returns the index of the first CR or LF in s, or -1.
func lineBreak(s string) int {
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		i = len(s)
	}
	if cr := strings.IndexByte(s[:i], '\r'); cr >= 0 {
		return cr
	}
	if i == len(s) {
		return -1
	}
	return i
}

// hasDigitOrAt reports whether s holds an ASCII digit or an "@".
func hasDigitOrAt(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' || c == '@' {
			return true
		}
	}
	return false
}

// findWroteHeaders marks "On <date>, <name> wrote:" attributions, which
// clients wrap over up to three lines.
func findWroteHeaders(lines []replyLine) {
	for e := range lines {
		if lines[e].blank || lines[e].quoted || !mayEndWroteHeader(lines[e].text) {
			continue
		}
		start := -1
		size := 0
		dateish := false
		for w := 1; w <= 3; w++ {
			s := e - w + 1
			if s < 0 || (s < e && (lines[s].blank || lines[s].quoted)) {
				break
			}
			size += len(lines[s].text) + 1
			if size > maxHeaderWindow+8 {
				break
			}
			// Every quote header holds a digit or an "@"; a window
			// without one is not tested.
			if dateish = dateish || hasDigitOrAt(lines[s].text); !dateish {
				continue
			}
			if isWroteHeader(joinLines(lines[s : e+1])) {
				start = s
				break
			}
		}
		if start < 0 {
			continue
		}
		for start > 0 && e-start < 2 {
			above := lines[start-1]
			if above.blank || above.quoted || !continuesHeader(lines[start].text, above.text) {
				break
			}
			if len(above.text)+size > maxHeaderWindow+8 || !isWroteHeader(joinLines(lines[start-1:e+1])) {
				break
			}
			size += len(above.text) + 1
			start--
		}
		if lines[start].hdrEnd == 0 {
			lines[start].hdrEnd = e + 1
		}
	}
}

// mayEndWroteHeader is a cheap test for the last line of an attribution:
// it ends with a colon, or (rarely) with the verb itself.
func mayEndWroteHeader(s string) bool {
	t := strings.TrimRightFunc(s, func(r rune) bool { return isSpaceRune(r) || r == '-' })
	if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：") {
		return true
	}
	if len(t) > 24 {
		t = t[len(t)-24:]
	}
	var buf [96]byte
	return wroteVerbs[string(lastLowerWord(buf[:0], t, maxWroteVerb))]
}

func joinLines(ls []replyLine) string {
	if len(ls) == 1 {
		return ls[0].text
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = trimSpace(l.text)
	}
	return strings.Join(parts, " ")
}

// findHeaderBlocks marks the "From: ... / Sent: ... / To: ..." blocks that
// Outlook, Apple Mail and webmails put above an unquoted original.
func findHeaderBlocks(lines []replyLine) {
	for i := range lines {
		if lines[i].blank || lines[i].quoted {
			continue
		}
		class, value := headerKey(lines[i].text)
		if class != keyFrom && class != keyOther {
			continue
		}
		from, other := class == keyFrom, class == keyOther
		known := 1
		for j := i + 1; j < len(lines) && j <= i+6; j++ {
			if lines[j].blank || lines[j].quoted {
				break
			}
			switch c, _ := headerKey(lines[j].text); c {
			case keyFrom:
				from = true
				known++
			case keyOther:
				other = true
				known++
			}
		}
		isBlock := from && other && known >= 2
		if !isBlock && class == keyFrom && looksLikeEmail(value) {
			// A lone "From: name <addr>" line set apart by blank lines.
			isBlock = (i == 0 || lines[i-1].blank) && (i == len(lines)-1 || lines[i+1].blank)
		}
		if !isBlock {
			continue
		}
		// Take in fields written above the From line ("Message du : ...").
		s := i
		for k := 0; k < 3 && s > 0 && !lines[s-1].blank && !lines[s-1].quoted; k++ {
			if c, _ := headerKey(lines[s-1].text); c == keyNone {
				break
			}
			s--
		}
		lines[s].block = true
	}
}

// markQuoteContinuations treats unquoted lines squeezed between two quoted
// lines, with no blank line around them, as a quote that a client wrapped
// without repeating the ">".
func markQuoteContinuations(lines []replyLine) {
	for i := 1; i < len(lines); {
		if lines[i].blank || lines[i].quoted || !lines[i-1].quoted {
			i++
			continue
		}
		j := i
		for j < len(lines) && !lines[j].blank && !lines[j].quoted && lines[j].hdrEnd == 0 && !lines[j].block {
			j++
		}
		if j < len(lines) && lines[j].quoted && j > i {
			for k := i; k < j; k++ {
				lines[k].quoted = true
			}
		}
		if j == i {
			j++
		}
		i = j
	}
}

// markQuotes walks the lines once, marking quotes and quote headers, and
// returns the index of the first line of the trailer (len(lines) if none).
func markQuotes(lines []replyLine) int {
	for i := 0; i < len(lines); {
		l := &lines[i]
		if l.hdrEnd > 0 {
			k := l.hdrEnd
			for k < len(lines) && lines[k].blank {
				k++
			}
			if k < len(lines) && lines[k].quoted {
				for j := i; j < k; j++ {
					lines[j].mark = lineQuote
				}
				i = k
				continue
			}
			// The original follows unquoted (Apple Mail, Outlook mobile).
			return i
		}
		if l.quoted {
			l.mark = lineQuote
			i++
			continue
		}
		if l.block || isSigDelim(l.text) || isUnderscoreRule(l.text) || isMobileSig(l.text) ||
			isSeparator(l.text) && introducesMessage(lines, i) {
			return i
		}
		if _, ok := runTogetherForward(l.text); ok {
			return i
		}
		i++
	}
	return len(lines)
}

// introducesMessage reports whether the separator on line i puts a
// message under it. A drawn separator ("-----Original Message-----")
// always does; a phrase alone ("Original message", "Forwarded message:")
// only when a header field, a header block or a quote follows, since
// people type such phrases too.
func introducesMessage(lines []replyLine, i int) bool {
	t := trimSpace(lines[i].text)
	if r, _ := utf8.DecodeRuneInString(t); !unicode.IsLetter(r) {
		return true
	}
	for j := i + 1; j < len(lines) && j <= i+3; j++ {
		if lines[j].blank {
			continue
		}
		if lines[j].quoted || lines[j].block || lines[j].hdrEnd > 0 {
			return true
		}
		c, _ := headerKey(lines[j].text)
		return c != keyNone
	}
	return false
}

// widenCut moves the start of the trailer up over the blank lines and
// drawn rules ("-----", "=====") that clients put above it.
func widenCut(lines []replyLine, cut int) int {
	if cut >= len(lines) {
		return cut
	}
	for cut > 0 && lines[cut-1].mark == lineKept && (lines[cut-1].blank || isRule(lines[cut-1].text)) {
		cut--
	}
	return cut
}

// dropSignOff removes a closing such as "Best regards,\nJohn Doe\nCEO" from
// the end of the last paragraph group the author typed, provided text
// remains above it and the lines after the closing are short.
func dropSignOff(lines []replyLine, cut int) bool {
	last := cut - 1
	for last >= 0 && (lines[last].mark != lineKept || lines[last].blank) {
		last--
	}
	if last < 0 {
		return false
	}
	end := last + 1 // one past the segment: the next non-kept line
	for end < len(lines) && lines[end].mark == lineKept {
		end++
	}
	nonBlank := 0
	for i := last; i >= 0 && lines[i].mark == lineKept && nonBlank < 6; i-- {
		if lines[i].blank {
			continue
		}
		nonBlank++
		// A drawn rule with lines under it (and not the last line) starts
		// a signature as "-- " does: "——————\nName\nTitle".
		if isSignOff(lines[i].text) || i < last && isLongRule(lines[i].text) {
			if !keptTextAbove(lines, i) || contentBelow(lines, i+1, end) {
				return false
			}
			for k := i; k < end; k++ {
				lines[k].mark = lineTrailer
			}
			return true
		}
		if utf8.RuneCountInString(trimSpace(lines[i].text)) > 60 {
			return false
		}
	}
	return false
}

// keptTextAbove reports whether a kept, non-blank line precedes line i.
// It is called at most once per ExtractReply.
func keptTextAbove(lines []replyLine, i int) bool {
	for k := i - 1; k >= 0; k-- {
		if lines[k].mark == lineKept && !lines[k].blank {
			return true
		}
	}
	return false
}

// keptWhole returns what assemble would when every line is kept and the
// text is already as assemble writes it: lines ended by LF alone, blank
// lines empty, no blanks ending a line. The reply is then the text from its
// first non-blank line (the blank lines before it are one byte each), with
// no copy. Short replies that quote nothing are like that.
func keptWhole(lines []replyLine, text string) (reply string, ok bool) {
	text = strings.TrimRight(text, "\r\n") // as scanLines does
	if strings.IndexByte(text, '\r') >= 0 {
		return "", false
	}
	first := -1
	for i, l := range lines {
		switch {
		case l.mark != lineKept:
			return "", false
		case l.blank:
			if l.text != "" {
				return "", false
			}
		case strings.HasSuffix(l.text, " ") || strings.HasSuffix(l.text, "\t"):
			return "", false
		case first < 0:
			first = i
		}
	}
	if first < 0 {
		return "", false
	}
	return strings.TrimRight(text[first:], " \t\r\n"), true
}

// assemble joins the kept lines into the reply and the others into removed.
func assemble(lines []replyLine) (reply, removed string) {
	var kept, cut strings.Builder
	keptLen, cutLen := 0, 0
	for _, l := range lines {
		if l.mark == lineKept {
			keptLen += len(l.text) + 1
		} else {
			cutLen += len(l.text) + 1
		}
	}
	kept.Grow(keptLen)
	if cutLen > 0 {
		cut.Grow(cutLen)
	}
	// Blank lines are written when text follows them: as many as the
	// author left, or one where a cut part was between.
	blanks, gap, started := 0, false, false
	for _, l := range lines {
		if l.mark != lineKept {
			gap = true
			if cut.Len() > 0 || !l.blank {
				cut.WriteString(l.text)
				cut.WriteByte('\n')
			}
			continue
		}
		if l.blank {
			if started {
				blanks++
			}
			continue
		}
		if gap {
			blanks = min(blanks, 1)
		}
		for ; blanks > 0; blanks-- {
			kept.WriteByte('\n')
		}
		kept.WriteString(strings.TrimRight(l.text, " \t"))
		kept.WriteByte('\n')
		started, gap = true, false
	}
	return strings.TrimRight(kept.String(), " \t\r\n"), strings.TrimRight(cut.String(), " \t\r\n")
}
