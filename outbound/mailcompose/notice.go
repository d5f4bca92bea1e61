package mailcompose

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

// Notice is an email parley writes on its own: an explanation to a sender
// whose mail could not be posted, a sign-in link, a bounce. It is marked
// Auto-Submitted so that no responder answers it.
type Notice struct {
	// To is the recipient; To.Name may be empty.
	To mail.Address
	// Subject names the template of the subject line (for example
	// "email-notice-subject.txt").
	Subject string
	// Body names the text template of the body ("email-notice.txt"). When
	// the set also has an HTML template of the same name ending in .html,
	// that becomes the HTML alternative.
	Body string
	// Data is what both templates receive.
	Data any
	// InReplyTo is the Message-ID (without angle brackets) of the message
	// this notice answers, if any; the notice then threads under it and is
	// marked auto-replied rather than auto-generated (RFC 3834).
	InReplyTo string
}

// NoticeText is the data of the generic notice templates
// (email-notice-subject.txt and email-notice.txt).
type NoticeText struct {
	// Title is the subject line.
	Title string
	// Text is the body: one or more paragraphs.
	Text string
	// Link, when set, is put on a line of its own below the text.
	Link string
}

// Notice composes a notice email.
func (c *Composer) Notice(n Notice) (Message, error) {
	m, err := c.notice(n)
	if err != nil {
		return Message{}, fmt.Errorf("compose notice %s to %s: %w", n.Body, n.To.Address, err)
	}
	return m, nil
}

func (c *Composer) notice(n Notice) (Message, error) {
	fields, id, to, text, html, err := c.noticeParts(n)
	if err != nil {
		return Message{}, err
	}
	b, err := c.write(fields, id, text, html)
	if err != nil {
		return Message{}, err
	}
	return Message{From: c.from, To: []string{to}, MessageID: id, Bytes: b}, nil
}

// noticeParts renders a notice: its header fields, Message-ID, recipient,
// wrapped text and HTML alternative ("" when none).
func (c *Composer) noticeParts(n Notice) (fields []field, id, to, text, html string, err error) {
	to, err = checkAddress("recipient", n.To.Address)
	if err != nil {
		return nil, "", "", "", "", err
	}
	if n.InReplyTo != "" {
		if !msgIDPattern.MatchString(n.InReplyTo) || len(n.InReplyTo) > maxURL {
			return nil, "", "", "", "", invalid("in-reply-to %q is not a Message-ID", n.InReplyTo)
		}
	}
	subj, err := c.tmpl.Render(n.Subject, n.Data)
	if err != nil {
		return nil, "", "", "", "", err
	}
	text, err = c.tmpl.Render(n.Body, n.Data)
	if err != nil {
		return nil, "", "", "", "", err
	}
	if name := strings.TrimSuffix(n.Body, ".txt") + ".html"; name != n.Body && c.names[name] {
		if html, err = c.tmpl.Render(name, n.Data); err != nil {
			return nil, "", "", "", "", err
		}
	}
	now := c.now()
	id = "notice." + digest(to, n.Subject, n.Body, subj, text, now.UTC().Format(dateLayout)) + "@" + c.domain
	fields = []field{
		{"Date", date(now)},
		{"From", address(c.brand, c.from)},
		{"To", address(n.To.Name, to)},
		{"Subject", subject(subj)},
		{"Message-ID", msgIDs(id)},
	}
	submitted := "auto-generated"
	if n.InReplyTo != "" {
		fields = append(fields, field{"In-Reply-To", msgIDs(n.InReplyTo)}, field{"References", msgIDs(n.InReplyTo)})
		submitted = "auto-replied"
	}
	fields = append(fields, field{"Auto-Submitted", submitted}, field{"X-Auto-Response-Suppress", "All"}, field{"X-Loop", c.LoopID()})
	// The same cleaning as chat text: no terminal escapes reach a reader.
	text = strings.Join(textLines(text), "\n")
	return fields, id, to, wrap(text, wrapWidth, ""), html, nil
}

// msgIDPattern is a Message-ID in its usual dot-atom form, without the
// angle brackets.
var msgIDPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
