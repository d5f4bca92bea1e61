package mailcompose

import (
	"fmt"
	"strings"
	"time"

	"parley/threads"
)

// Names of the digest templates.
const (
	tmplDigestSubject = "email-digest-subject.txt"
	tmplDigestText    = "email-digest.txt"
	tmplDigestHTML    = "email-digest.html"
)

// Digest is one member's digest: what they missed, per room, newest room
// first. It is one email with a reply address per room (replying to it
// posts in that room only) and its own reply address, which posts nowhere.
type Digest struct {
	// To is the member, at To.Email().
	To threads.User
	// Period names the period the digest covers (threads.DigestPeriod):
	// the same member and period always get the same Message-ID.
	Period string
	// Rooms are the rooms with unseen lines, newest first; at least one.
	Rooms []DigestRoom
	// ReplyTo is the digest's own address (threads.DigestAddress): a reply
	// to it is answered with an explanation, never posted.
	ReplyTo string
	// UnsubscribeURL is the https link that turns digests off with one
	// click (RFC 8058).
	UnsubscribeURL string
	// Links are the member's links to the lines' files, by FileKey
	// (RelayFile.Link; a digest attaches nothing).
	Links map[string]RelayFile
}

// DigestRoom is one room of a digest with its addresses.
type DigestRoom struct {
	threads.DigestRoom
	// ReplyTo is the member's reply address for the room
	// (threads.ReplyAddress).
	ReplyTo string
	// URL links to the room (optional).
	URL string
}

// DigestData is what the digest templates receive.
type DigestData struct {
	// Subject is the rendered subject line.
	Subject string
	// Member is the member's name.
	Member string
	// Loc is the member's time zone.
	Loc *time.Location
	// Lines and RoomCount count the unseen lines and their rooms.
	Lines, RoomCount int
	// Rooms are the rooms, newest first.
	Rooms []DigestRoomData
	// UnsubscribeURL turns digests off ("" when there is no link).
	UnsubscribeURL string
}

// DigestRoomData is one room as the digest templates see it.
type DigestRoomData struct {
	// Name and Topic are the room's, each on one line.
	Name, Topic string
	// Count is the number of unseen lines; Omitted those not shown.
	Count, Omitted int
	// First are the first lines shown (all when not summarised), Last the
	// last few of a summarised room.
	First, Last []DigestLine
	// People are the names of those who wrote.
	People []string
	// ReplyTo is the room's reply address; URL its link ("" when none).
	ReplyTo, URL string
}

// DigestSubjectData is what email-digest-subject.txt receives.
type DigestSubjectData struct {
	Lines, RoomCount int
	// Rooms are the room names, newest first.
	Rooms []string
	Brand string
}

// Digest composes a digest email. It refuses an empty digest.
func (c *Composer) Digest(d Digest) (Message, error) {
	if err := c.checkDigest(d); err != nil {
		return Message{}, fmt.Errorf("compose digest for %s: %w", d.To.ID, err)
	}
	m, err := c.digest(d)
	if err != nil {
		return Message{}, fmt.Errorf("compose digest for %s: %w", d.To.ID, err)
	}
	return m, nil
}

func (c *Composer) checkDigest(d Digest) error {
	if len(d.Rooms) == 0 {
		return invalid("a digest needs at least one room with lines")
	}
	if !isIDPart(d.To.ID) || !isIDPart(strings.ReplaceAll(d.Period, ".", "-")) {
		return invalid("member %q or period %q is not id-safe", d.To.ID, d.Period)
	}
	if _, err := checkAddress("member address", d.To.Email()); err != nil {
		return err
	}
	if _, err := checkAddress("digest reply address", d.ReplyTo); err != nil {
		return err
	}
	if d.UnsubscribeURL != "" {
		if err := checkURL("unsubscribe link", d.UnsubscribeURL, "https"); err != nil {
			return err
		}
	}
	for _, r := range d.Rooms {
		if err := threads.ValidID("room", r.Room.ID); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		// A confidential room shows its count only (outbound/confidential.go).
		if r.Count == 0 || len(r.First) == 0 && !r.Room.Confidential {
			return invalid("room %s has no lines", r.Room.ID)
		}
		if _, err := checkAddress("room reply address", r.ReplyTo); err != nil {
			return err
		}
		if r.URL != "" {
			if err := checkURL("room link", r.URL, "https", "http"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Composer) digest(d Digest) (Message, error) {
	if err := checkRelayFiles(Relay{Files: d.Links}); err != nil {
		return Message{}, err
	}
	loc := d.To.Location()
	data := DigestData{Member: label(d.To.Name, d.To.ID, 100), Loc: loc, RoomCount: len(d.Rooms), UnsubscribeURL: d.UnsubscribeURL}
	sd := DigestSubjectData{RoomCount: len(d.Rooms), Brand: c.brand}
	for _, r := range d.Rooms {
		rd := DigestRoomData{
			Name:    label(r.Room.Name, r.Room.ID, 100),
			Topic:   oneLine(r.Room.Topic, 200),
			Count:   r.Count,
			Omitted: r.Omitted(),
			First:   digestLines(r.First, loc, d.Links),
			Last:    digestLines(r.Last, loc, d.Links),
			ReplyTo: r.ReplyTo,
			URL:     r.URL,
		}
		for _, p := range r.People {
			rd.People = append(rd.People, label(p, "someone", 100))
		}
		data.Lines += r.Count
		data.Rooms = append(data.Rooms, rd)
		sd.Rooms = append(sd.Rooms, rd.Name)
	}
	sd.Lines = data.Lines
	subj, err := c.tmpl.Render(tmplDigestSubject, sd)
	if err != nil {
		return Message{}, err
	}
	data.Subject = oneLine(subj, 200)
	text, err := c.tmpl.Render(tmplDigestText, data)
	if err != nil {
		return Message{}, err
	}
	html, err := c.tmpl.Render(tmplDigestHTML, data)
	if err != nil {
		return Message{}, err
	}
	id := c.DigestID(d.To.ID, d.Period)
	to := d.To.Email()
	fields := []field{
		{"Date", date(c.now().In(loc))},
		{"From", address(c.brand+" digest", c.from)},
		{"Reply-To", address(c.brand+" digest", d.ReplyTo)},
		{"To", address(data.Member, to)},
		{"Subject", subject(data.Subject)},
		{"Message-ID", msgIDs(id)},
		{"List-Id", listID(c.brand+" digest", "digest."+c.domain)},
	}
	if d.UnsubscribeURL != "" {
		fields = append(fields, field{"List-Unsubscribe", "<" + d.UnsubscribeURL + ">"},
			field{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"})
	}
	fields = append(fields, field{"Precedence", "bulk"}, field{"Auto-Submitted", "auto-generated"},
		field{"X-Auto-Response-Suppress", "All"}, field{"X-Loop", c.LoopID()})
	b, err := c.write(fields, id, wrap(text, wrapWidth, "    "), html)
	if err != nil {
		return Message{}, err
	}
	return Message{From: c.from, To: []string{to}, MessageID: id, Bytes: b}, nil
}

// DigestLine is a line as the digest templates see it.
type DigestLine struct {
	LineData
	// Stamp is the weekday and time in the member's zone: "Wed 10:14".
	Stamp string
}

// digestLines turns lines into template data.
func digestLines(ls []threads.Line, loc *time.Location, links map[string]RelayFile) []DigestLine {
	out := make([]DigestLine, 0, len(ls))
	for _, l := range ls {
		ld := LineData{Name: label(l.Name, l.Author, 100), Time: l.Time, System: l.Origin == threads.FromSystem,
			TextLines: textLines(l.Text)}
		ld.Text = strings.Join(ld.TextLines, "\n")
		for _, a := range l.Attachments {
			ld.Attachments = append(ld.Attachments, label(a.Name, a.ID, 200))
		}
		lineFiles(links, l, &ld)
		out = append(out, DigestLine{LineData: ld, Stamp: l.Time.In(loc).Format("Mon 15:04")})
	}
	return out
}

// DigestID is the Message-ID a member's digest for period gets.
func (c *Composer) DigestID(member, period string) string {
	return "digest." + member + "." + digest(member, period) + "@" + c.domain
}
