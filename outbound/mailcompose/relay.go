package mailcompose

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"parley/threads"
)

// Relay is one batch of a room's lines for one member.
type Relay struct {
	// Room is the room the lines were posted in.
	Room threads.Room
	// Lines are the lines to carry, oldest first; at least one, all of Room.
	Lines []threads.Line
	// To is the member who receives the email, at To.Email().
	To threads.User
	// ReplyTo is the member's reply address for the room
	// (threads.ReplyAddress); replies to it are posted in the room.
	ReplyTo string
	// RoomURL links to the room in the web page (optional).
	RoomURL string
	// UnsubscribeURL is the https link that stops these emails with one
	// click (RFC 8058: it receives a POST "List-Unsubscribe=One-Click").
	UnsubscribeURL string
	// UnsubscribeMailto is an address, or a mailto: URL, that stops these
	// emails when written to (optional).
	UnsubscribeMailto string
	// Files are how the lines' files reach the member, by FileKey: as an
	// attachment or a link. A file not in it is only named.
	Files map[string]RelayFile
	// Subject is the subject of the member's relay emails from the room:
	// RelaySubject of their first batch, kept (threads.Chat.ThreadSubject)
	// so that every later batch has the same one. When empty, the subject is
	// rendered from this batch.
	Subject string
}

// RelayData is what the relay templates (email-relay.txt, email-relay.html)
// receive.
type RelayData struct {
	// Room is the room, its name and topic on one line each.
	Room threads.Room
	// Subject is the rendered subject line.
	Subject string
	// Member is the name of the member the email is for.
	Member string
	// Loc is the member's time zone: pass it to clock, day and datetime.
	Loc *time.Location
	// Lines are the lines of the batch, oldest first.
	Lines []LineData
	// Authors are the people who wrote lines of the batch, in order of their
	// first line.
	Authors []string
	// ManyDays: the lines fall on more than one day in the member's time
	// zone, and LineData.NewDay marks where each day starts.
	ManyDays bool
	// ReplyTo is the member's reply address.
	ReplyTo string
	// RoomURL links to the room ("" when there is no link).
	RoomURL string
	// UnsubscribeURL stops these emails ("" when there is no link).
	UnsubscribeURL string
}

// LineData is one line as the templates see it.
type LineData struct {
	// Name is the author's display name, on one line.
	Name string
	// Time is when the line was posted.
	Time time.Time
	// NewDay: the line is the first of its day (only set when ManyDays).
	NewDay bool
	// System: parley wrote the line (a notice), not a person.
	System bool
	// Text is the line's text, cleaned; TextLines is the same split at line
	// breaks (empty for a line that only carries attachments).
	Text      string
	TextLines []string
	// Attachments are the names of the files the line refers to.
	Attachments []string
	// Files are the same files with their type, size and link, or
	// whether they are attached to this email.
	Files []FileData
}

// SubjectData is what email-relay-subject.txt receives: the room and the
// first line of the member's first batch. The subject rendered from it is
// kept per member and room (Relay.Subject), so it does not change from
// batch to batch: a stable subject keeps the room's emails in one thread in
// clients that thread by subject (Gmail among them).
type SubjectData struct {
	// Room is the room, its name and topic on one line each.
	Room threads.Room
	// Brand is the product name, as in From: "Alice (parley)".
	Brand string
	// Name is the display name of the author of the batch's first line
	// from a person, on one line ("" when only parley spoke).
	Name string
	// Words are the first words of that line, on one line, cut at a word
	// boundary to about SubjectWords characters with "…" ("" when the line
	// holds only attachments).
	Words string
}

// SubjectWords is about how many characters of a line a relay subject
// quotes.
const SubjectWords = 50

// RelaySubject renders the subject of r's email from its first line: the
// subject of a member's first relay email from a room, which the caller
// keeps for the later ones (Relay.Subject).
func (c *Composer) RelaySubject(r Relay) (string, error) {
	if len(r.Lines) == 0 {
		return "", fmt.Errorf("compose relay subject for %s: %w", r.Room.ID, invalid("no lines"))
	}
	room := r.Room
	room.Name = label(r.Room.Name, r.Room.ID, 100)
	room.Topic = oneLine(r.Room.Topic, 500)
	return c.relaySubject(room, r.Lines)
}

func (c *Composer) relaySubject(room threads.Room, lines []threads.Line) (string, error) {
	first := lines[0]
	for _, l := range lines {
		if l.Origin != threads.FromSystem {
			first = l
			break
		}
	}
	d := SubjectData{Room: room, Brand: c.brand, Words: firstWords(textLines(first.Text), SubjectWords)}
	if first.Origin != threads.FromSystem {
		d.Name = label(first.Name, first.Author, 100)
	}
	if d.Words == "" && len(first.Attachments) > 0 {
		d.Words = firstWords([]string{label(first.Attachments[0].Name, first.Attachments[0].ID, 200)}, SubjectWords)
	}
	subj, err := c.bodies.subject(d, func(d SubjectData) (string, error) {
		return c.tmpl.Render(tmplRelaySubject, d)
	})
	if err != nil {
		return "", err
	}
	return oneLine(subj, 200), nil
}

// firstWords is the first non-blank line of lines on one line, cut at a
// word boundary to at most max characters, "…" included.
func firstWords(lines []string, max int) string {
	var s string
	for _, l := range lines {
		if s = oneLine(l, 4*max); s != "" {
			break
		}
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	r = r[:max-1]
	if i := lastSpace(r); i >= max/2 {
		r = r[:i]
	}
	return strings.TrimRightFunc(string(r), func(c rune) bool { return unicode.IsSpace(c) || unicode.IsPunct(c) }) + "…"
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ' ' {
			return i
		}
	}
	return -1
}

// Relay composes the email that carries r.Lines to r.To.
func (c *Composer) Relay(r Relay) (Message, error) {
	if err := threads.ValidID("room", r.Room.ID); err != nil {
		return Message{}, fmt.Errorf("compose relay: %w: %w", ErrInvalid, err)
	}
	if len(r.Lines) == 0 {
		return Message{}, fmt.Errorf("compose relay for %s: %w", r.Room.ID, invalid("no lines"))
	}
	if err := c.checkRelay(r); err != nil {
		return Message{}, fmt.Errorf("compose relay for %s in %s: %w", r.To.ID, r.Room.ID, err)
	}
	m, err := c.relay(r)
	if err != nil {
		return Message{}, fmt.Errorf("compose relay for %s in %s: %w", r.To.ID, r.Room.ID, err)
	}
	return m, nil
}

func (c *Composer) checkRelay(r Relay) error {
	for _, l := range r.Lines {
		if l.Room != r.Room.ID {
			return invalid("line %q belongs to room %q", l.ID, l.Room)
		}
		if !isIDPart(l.ID) {
			return invalid("line id %q is not a stream id", l.ID)
		}
	}
	if _, err := checkAddress("member address", r.To.Email()); err != nil {
		return err
	}
	if _, err := checkAddress("reply address", r.ReplyTo); err != nil {
		return err
	}
	if r.RoomURL != "" {
		if err := checkURL("room link", r.RoomURL, "https", "http"); err != nil {
			return err
		}
	}
	if r.UnsubscribeURL != "" {
		if err := checkURL("unsubscribe link", r.UnsubscribeURL, "https"); err != nil {
			return err
		}
	}
	if r.UnsubscribeMailto != "" {
		if err := checkURL("unsubscribe address", mailtoURL(r.UnsubscribeMailto), "mailto"); err != nil {
			return err
		}
	}
	return checkRelayFiles(r)
}

func mailtoURL(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "mailto:") {
		return s
	}
	return "mailto:" + s
}

func (c *Composer) relay(r Relay) (Message, error) {
	loc := r.To.Location()
	data := RelayData{
		Room:           r.Room,
		Member:         label(r.To.Name, r.To.ID, 100),
		Loc:            loc,
		ReplyTo:        r.ReplyTo,
		RoomURL:        r.RoomURL,
		UnsubscribeURL: r.UnsubscribeURL,
	}
	data.Room.Name = label(r.Room.Name, r.Room.ID, 100)
	data.Room.Topic = oneLine(r.Room.Topic, 500)
	system := true
	seen := map[string]bool{}
	var files []attached
	for i, l := range r.Lines {
		ld := LineData{
			Name:      label(l.Name, l.Author, 100),
			Time:      l.Time,
			System:    l.Origin == threads.FromSystem,
			TextLines: textLines(l.Text),
		}
		ld.Text = strings.Join(ld.TextLines, "\n")
		for _, a := range l.Attachments {
			ld.Attachments = append(ld.Attachments, label(a.Name, a.ID, 200))
		}
		files = append(files, relayFiles(r, l, &ld)...)
		if i > 0 && !sameDay(l.Time, r.Lines[i-1].Time, loc) {
			data.ManyDays = true
		}
		if !ld.System {
			system = false
			if !seen[ld.Name] {
				seen[ld.Name] = true
				data.Authors = append(data.Authors, ld.Name)
			}
		}
		data.Lines = append(data.Lines, ld)
	}
	if data.ManyDays {
		for i := range data.Lines {
			data.Lines[i].NewDay = i == 0 || !sameDay(r.Lines[i].Time, r.Lines[i-1].Time, loc)
		}
	}

	data.Subject = oneLine(r.Subject, 200)
	if data.Subject == "" {
		subj, err := c.relaySubject(data.Room, r.Lines)
		if err != nil {
			return Message{}, err
		}
		data.Subject = subj
	}
	bodies := c.bodies
	if len(r.Files) > 0 {
		bodies = nil // file links are the member's own: rendered in full
	}
	text, html, err := bodies.render(data, c.renderRelay)
	if err != nil {
		return Message{}, err
	}

	root := threads.RootMessageID(r.Room, c.domain)
	id := c.relayID(r)
	to := r.To.Email()
	fields := []field{
		{"Date", date(c.now().In(loc))},
		{"From", address(c.fromName(data.Authors), c.from)},
		{"Reply-To", address(data.Room.Name+" ("+c.brand+")", r.ReplyTo)},
		{"To", address(data.Member, to)},
		{"Subject", subject(data.Subject)},
		{"Message-ID", msgIDs(id)},
		{"In-Reply-To", msgIDs(root)},
		{"References", msgIDs(root)},
		{"List-Id", listID(data.Room.Name, r.Room.ID+".rooms."+c.domain)},
	}
	if r.RoomURL != "" {
		fields = append(fields, field{"List-Archive", "<" + r.RoomURL + ">"})
	}
	var unsub []string
	if r.UnsubscribeURL != "" {
		unsub = append(unsub, "<"+r.UnsubscribeURL+">")
	}
	if r.UnsubscribeMailto != "" {
		unsub = append(unsub, "<"+mailtoURL(r.UnsubscribeMailto)+">")
	}
	if len(unsub) > 0 {
		fields = append(fields, field{"List-Unsubscribe", strings.Join(unsub, ", ")})
	}
	if r.UnsubscribeURL != "" {
		fields = append(fields, field{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"})
	}
	fields = append(fields, field{"Precedence", "list"})
	if system {
		// Only parley spoke: RFC 3834 says so, and nobody's vacation
		// responder should answer. People's lines are not marked, since
		// some filters hide auto-submitted mail.
		fields = append(fields, field{"Auto-Submitted", "auto-generated"})
	}
	fields = append(fields, field{"X-Auto-Response-Suppress", "All"}, field{"X-Loop", c.LoopID()})

	write := c.write
	if len(files) > 0 {
		write = func(fields []field, id, text, html string) ([]byte, error) {
			return c.writeWithFiles(fields, id, text, html, files)
		}
	}
	b, err := write(fields, id, wrap(text, wrapWidth, "    "), html)
	if err != nil {
		return Message{}, err
	}
	return Message{From: c.from, To: []string{to}, MessageID: id, Bytes: b}, nil
}

// renderRelay renders the text and HTML bodies of a relay.
func (c *Composer) renderRelay(data RelayData) (text, html string, err error) {
	if text, err = c.tmpl.Render(tmplRelayText, data); err != nil {
		return "", "", err
	}
	if html, err = c.tmpl.Render(tmplRelayHTML, data); err != nil {
		return "", "", err
	}
	return text, html, nil
}

// relayID is the Message-ID of a relay: the room, the first line and a hash
// of every line id and the member. The same batch for the same member gets
// the same id, so a resend is recognisably the same message; a batch that
// grew gets a new one, so a client that drops duplicate ids loses nothing.
func (c *Composer) relayID(r Relay) string {
	parts := []string{r.Room.ID, r.To.ID}
	for _, l := range r.Lines {
		parts = append(parts, l.ID)
	}
	return "line." + r.Room.ID + "." + r.Lines[0].ID + "." + digest(parts...) + "@" + c.domain
}

// fromName names the authors of a batch: "Alice (parley)", "Alice, Bob
// (parley)" or "Alice and 2 others (parley)"; just "parley" when only parley
// spoke.
func (c *Composer) fromName(authors []string) string {
	switch n := len(authors); {
	case n == 0:
		return c.brand
	case n <= 2:
		return oneLine(strings.Join(authors, ", "), 120) + " (" + c.brand + ")"
	default:
		return oneLine(authors[0], 80) + " and " + strconv.Itoa(n-1) + " others (" + c.brand + ")"
	}
}

// label is name on one line, or fallback when name is blank, or "someone".
func label(name, fallback string, max int) string {
	if n := oneLine(name, max); n != "" {
		return n
	}
	if n := oneLine(fallback, max); n != "" {
		return n
	}
	return "someone"
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	ya, ma, da := a.In(loc).Date()
	yb, mb, db := b.In(loc).Date()
	return ya == yb && ma == mb && da == db
}
