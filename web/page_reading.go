package web

import (
	"context"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/threads"
)

// The room page's reading aids: the room list with unread counts, day
// separators, lines grouped by author, links and mentions in line text.

// groupWithin is how close in time two lines by one author must be to be
// shown as one group (the second without the name).
const groupWithin = 5 * time.Minute

// roomEntry is one room in the room list.
type roomEntry struct {
	ID, Name string
	Kind     threads.RoomKind
	threads.Unread
	// Current: the room on screen.
	Current bool
}

// roomList reads the member's rooms with their unread counts (from the
// read markers in Redis, the same on every device), and the sum of the
// unread lines.
func (h *handler) roomList(ctx context.Context, me *who, current string) ([]roomEntry, int, error) {
	rooms, err := h.store.Chat.RoomsOf(ctx, me.user.ID)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	unread, err := h.store.Chat.Unread(ctx, me.user.ID, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]roomEntry, len(rooms))
	total := 0
	for i, r := range rooms {
		out[i] = roomEntry{ID: r.ID, Name: r.Name, Kind: r.Kind, Unread: unread[r.ID], Current: r.ID == current}
		total += out[i].Lines
	}
	return out, total, nil
}

// withUnread puts the unread count before a page title, as the tab shows it.
func withUnread(title string, n int) string {
	if n == 0 {
		return title
	}
	return "(" + itoa(n) + ") " + title
}

func itoa(n int) string {
	if n > threads.UnreadCap {
		return "99+"
	}
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// dayLabel names the day of t in loc as a reader there says it: "Today",
// "Yesterday", else "Mon 7 Dec" (with the year when not this year). The
// page script relabels it in the browser's own language.
func dayLabel(t time.Time, loc *time.Location, now time.Time) string {
	lt, ln := t.In(loc), now.In(loc)
	d := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, loc) }
	switch days := d(ln).Sub(d(lt)).Hours() / 24; {
	case days < 0.5 && days > -0.5:
		return "Today"
	case days > 0.5 && days < 1.5:
		return "Yesterday"
	}
	if lt.Year() == ln.Year() {
		return lt.Format("Mon 2 Jan")
	}
	return lt.Format("Mon 2 Jan 2006")
}

// dayOf is the reader's calendar day of t, as 2006-01-02.
func dayOf(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// dayMark is a day separator: its label and its date (2006-01-02).
type dayMark struct{ Label, Date string }

// layoutLines works out, for lines oldest first, where a day separator goes
// (line id -> label) and which lines continue their author's group.
func layoutLines(lines []threads.Line, loc *time.Location, now time.Time) (days map[string]dayMark, cont map[string]bool) {
	days, cont = map[string]dayMark{}, map[string]bool{}
	for i, l := range lines {
		if i == 0 || dayOf(lines[i-1].Time, loc) != dayOf(l.Time, loc) {
			days[l.ID] = dayMark{Label: dayLabel(l.Time, loc, now), Date: dayOf(l.Time, loc)}
			continue
		}
		p := lines[i-1]
		if p.Author == l.Author && p.Origin == l.Origin && l.Time.Sub(p.Time) < groupWithin && !l.Origin.Automatic() {
			cont[l.ID] = true
		}
	}
	return days, cont
}

// linkPattern finds web addresses in line text.
var linkPattern = regexp.MustCompile(`\bhttps?://[^\s<>"]+`)

// richText renders a line's text as HTML: escaped, web addresses as links
// that open apart (rel=noopener), and mentions of the reader marked.
func richText(text, me string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		end := m[1]
		// Trailing punctuation ends a sentence, not the address.
		for end > m[0] && strings.ContainsRune(".,;:!?)]}'", rune(text[end-1])) {
			end--
		}
		u, err := url.Parse(text[m[0]:end])
		if err != nil || u.Host == "" {
			continue
		}
		b.WriteString(markMentions(text[last:m[0]], me))
		b.WriteString(`<a href="` + template.HTMLEscapeString(u.String()) + `" rel="noopener noreferrer" target="_blank">` +
			template.HTMLEscapeString(text[m[0]:end]) + `</a>`)
		last = end
	}
	b.WriteString(markMentions(text[last:], me))
	return template.HTML(b.String())
}

// markMentions escapes text and wraps each "@me" (a whole mention, as
// threads.Mentions reads them) in <mark>.
func markMentions(text, me string) string {
	if me == "" {
		return template.HTMLEscapeString(text)
	}
	var b strings.Builder
	want := strings.ToLower(me)
	last := 0
	for j := 0; j+len(me) < len(text); j++ {
		end := j + 1 + len(me)
		if text[j] != '@' || !strings.EqualFold(text[j+1:end], me) || !mentionStart(text[:j]) {
			continue
		}
		if m := threads.Mentions(text[j:]); len(m) == 0 || m[0] != want {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[last:j]))
		b.WriteString(`<mark class="me">` + template.HTMLEscapeString(text[j:end]) + `</mark>`)
		last = end
		j = end - 1
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return b.String()
}

// mentionStart reports whether a mention may start after before (the rule
// of threads.Mentions: not after a letter, digit, '_', '@' or '.').
func mentionStart(before string) bool {
	r, n := utf8.DecodeLastRuneInString(before)
	return n == 0 || !(r == '@' || r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}
