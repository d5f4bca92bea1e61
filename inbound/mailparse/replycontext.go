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

// dropSenderName cuts the last line the author typed when it holds only
// the sender's name ("Ann", "— Ann Lee"), as a sign-off, provided text
// remains above it. It is conservative: the line must be the name and
// nothing else, punctuation aside.
func dropSenderName(lines []replyLine, cut int, from string) {
	if from == "" {
		return
	}
	last := cut - 1
	for last >= 0 && (lines[last].mark != lineKept || lines[last].blank) {
		last--
	}
	if last < 0 || !isSenderName(lines[last].text, from) || !keptTextAbove(lines, last) {
		return
	}
	lines[last].mark = lineTrailer
}

// isSenderName reports whether line, ignoring case and the dashes, commas
// and stops around it, is the sender's display name from, or its first
// name ("Ann" of "Ann Lee", and of "Lee, Ann" as Outlook writes it). A
// name of one letter, or an address, is no name to sign with.
func isSenderName(line, from string) bool {
	t := trimSpace(line)
	if len(t) > 80 || len(t) < 2 {
		return false
	}
	t = strings.TrimFunc(t, func(r rune) bool {
		return isSpaceRune(r) || strings.ContainsRune("-–—~,.!", r)
	})
	name := trimSpace(strings.Trim(from, "\"' "))
	if utf8.RuneCountInString(name) < 2 || strings.IndexByte(name, '@') >= 0 {
		return false
	}
	if strings.EqualFold(t, name) {
		return true
	}
	first := name
	if last, given, ok := strings.Cut(name, ","); ok {
		// "Lee, Ann": "Ann Lee" and "Ann".
		last, given = trimSpace(last), trimSpace(given)
		if given == "" || last == "" {
			return false
		}
		if len(t) == len(given)+1+len(last) && strings.EqualFold(t[:len(given)], given) &&
			t[len(given)] == ' ' && strings.EqualFold(t[len(given)+1:], last) {
			return true
		}
		first = given
	}
	if i := strings.IndexFunc(first, unicode.IsSpace); i > 0 {
		first = first[:i]
	} else if first == name {
		return false // one word: compared whole above
	}
	return utf8.RuneCountInString(first) >= 2 && strings.EqualFold(t, first)
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
