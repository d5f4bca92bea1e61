package mailparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds what the message's header tells the reply rules: the
// subject marks a forward that is laid out like a reply, and the sender's
// name on a line of its own ends the message as a sign-off does.

// replyContext is what Parse knows of a message beyond its text.
type replyContext struct {
	// Subject is the decoded subject; "FW: ..." and its translations
	// mark a forward.
	Subject string
	// From is the sender; a last line holding only their name (or first
	// name) is a sign-off.
	From Address
}

// maxSubjectPrefix bounds the bytes read for a subject's "FW:" prefix.
const maxSubjectPrefix = 24

// isForwardSubject reports a subject whose first prefix marks a forward
// ("FW:", "Fwd:", "WG:", "TR:", "[EXT] Fwd:"); "Re: Fwd:" is a reply.
func isForwardSubject(subject string) bool {
	s := trimSpace(subject)
	// Skip tags that mail systems put first: "[EXTERNAL] FW: ...".
	for n := 0; n < 3 && strings.HasPrefix(s, "["); n++ {
		end := strings.IndexByte(s, ']')
		if end < 0 || end > 40 {
			return false
		}
		s = trimSpace(s[end+1:])
	}
	limit := min(len(s), maxSubjectPrefix)
	colon := strings.IndexAny(s[:limit], ":：")
	if colon <= 0 {
		return false
	}
	var buf [4 * maxSubjectPrefix]byte
	return forwardPrefix[string(appendLower(buf[:0], trimSpace(s[:colon])))]
}

// senderNames returns the names a sender signs with: the display name
// and, when it has more than one word, the first name ("Ann" of "Ann
// Lee", and of "Lee, Ann" as Outlook writes it). Names shorter than two
// letters are left out: an initial alone is too often something else.
func (rc replyContext) senderNames() []string {
	name := trimSpace(strings.Trim(rc.From.Name, "\"' "))
	if utf8.RuneCountInString(name) < 2 || strings.IndexByte(name, '@') >= 0 {
		return nil
	}
	names := []string{name}
	if last, first, ok := strings.Cut(name, ","); ok {
		// "Lee, Ann": also "Ann Lee" and "Ann".
		last, first = trimSpace(last), trimSpace(first)
		if first != "" && last != "" {
			name = first + " " + last
			names = append(names, name)
		}
	}
	if f := strings.Fields(name); len(f) > 1 && utf8.RuneCountInString(f[0]) >= 2 {
		names = append(names, f[0])
	}
	return names
}

// dropSenderName cuts the last line the author typed when it holds only
// the sender's name ("Ann", "— Ann Lee"), as a sign-off, provided text
// remains above it. It is conservative: the line must be the name and
// nothing else, punctuation aside.
func dropSenderName(lines []replyLine, cut int, names []string) {
	if len(names) == 0 {
		return
	}
	last := cut - 1
	for last >= 0 && (lines[last].mark != lineKept || lines[last].blank) {
		last--
	}
	if last < 0 || !isSenderName(lines[last].text, names) || !keptTextAbove(lines, last) {
		return
	}
	lines[last].mark = lineTrailer
}

// isSenderName reports whether line is one of names, ignoring case and
// the dashes, commas and stops around it.
func isSenderName(line string, names []string) bool {
	t := trimSpace(line)
	if len(t) > 80 {
		return false
	}
	t = strings.TrimFunc(t, func(r rune) bool {
		return isSpaceRune(r) || strings.ContainsRune("-–—~,.!", r)
	})
	for _, n := range names {
		if strings.EqualFold(t, n) {
			return true
		}
	}
	return false
}

// attributionName returns the name in an "On DATE, NAME <addr> wrote:"
// attribution, in the orders that clients write it: the quoted name
// before the address, else the capitalised words before it; the address
// when there is no name.
func attributionName(header string) string {
	at := strings.IndexByte(header, '@')
	if at < 0 {
		return ""
	}
	open := strings.LastIndexAny(header[:at], "<([ \t")
	if open < 0 {
		return ""
	}
	addr := header[open+1:]
	if end := strings.IndexAny(addr, ">)] \t"); end >= 0 {
		addr = addr[:end]
	}
	before := strings.TrimRight(header[:open], " \t(<")
	// A quoted name: "John Doe", «John Doe», „John Doe”.
	if r, size := utf8.DecodeLastRuneInString(before); size > 0 && strings.ContainsRune("\"'»”“", r) {
		inner := before[:len(before)-size]
		if i := strings.LastIndexAny(inner, "\"'«„“"); i >= 0 {
			_, open := utf8.DecodeRuneInString(inner[i:])
			if name := trimSpace(inner[i+open:]); name != "" {
				return cleanName(name)
			}
		}
	}
	// Otherwise the capitalised words just before the address.
	words := strings.Fields(before)
	start := len(words)
	for start > 0 && len(words)-start < 4 {
		w := words[start-1]
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) || strings.ContainsAny(w, "0123456789,:") {
			break
		}
		start--
	}
	if start < len(words) {
		return cleanName(strings.Join(words[start:], " "))
	}
	return cleanName(strings.TrimPrefix(addr, "mailto:"))
}

// cleanName bounds a name taken from text and keeps it valid UTF-8.
func cleanName(name string) string {
	name = trimSpace(strings.Trim(name, "\"'«»„“” "))
	if utf8.RuneCountInString(name) > 80 {
		name = string([]rune(name)[:80])
	}
	return strings.ToValidUTF8(name, "")
}

// runTogetherForward splits a line on which a forward separator and the
// header fields under it were run together, as Yahoo's plain text does:
// "----- Forwarded Message ----- From: Ann <ann@example.org>To: ...".
// It returns the text after the separator.
func runTogetherForward(s string) (rest string, ok bool) {
	t := trimSpace(s)
	if len(t) < 8 || t[0] != '-' || len(t) > 2000 {
		return "", false
	}
	// The separator: dashes, a few words, dashes.
	i := strings.IndexFunc(t, func(r rune) bool { return !isDash(r) })
	if i < 2 {
		return "", false
	}
	j := strings.Index(t[i:], "--")
	if j < 0 || j > 60 {
		return "", false
	}
	j += i
	k := j + strings.IndexFunc(t[j:], func(r rune) bool { return !isDash(r) })
	if k <= j || !isForwardSeparator(t[:k]) {
		return "", false
	}
	rest = trimSpace(t[k:])
	if c, _ := headerKey(rest); c != keyFrom {
		return "", false
	}
	return rest, true
}

// dedentLines removes from the non-blank lines of ls the indentation they
// all share (Outlook for Mac indents a forwarded original), and the
// spaces before the first line's text.
func dedentLines(ls []replyLine) {
	common := -1
	for _, l := range ls {
		if l.blank {
			continue
		}
		n := len(l.text) - len(strings.TrimLeft(l.text, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	first := true
	for i := range ls {
		if ls[i].blank {
			continue
		}
		if common > 0 {
			ls[i].text = ls[i].text[common:]
		}
		if first {
			ls[i].text = strings.TrimLeft(ls[i].text, " \t")
			first = false
		}
	}
}
