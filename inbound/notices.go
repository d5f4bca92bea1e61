package inbound

import (
	"strings"

	"parley/templates"
	"parley/threads"
)

// NoticeData is the data of the notices the email receiver writes to
// senders (templates/files/email-notice-*.txt, a subject and a text per
// kind). Each template uses the fields it needs; the others are empty. The
// rendered subject and text become the notice's Title and Text, which
// email-notice-subject.txt and email-notice.txt then put in an email.
type NoticeData struct {
	// Files are the files not posted, each "name (why)".
	Files []string
	// Reason says why a message was not posted.
	Reason string
	// Status is the member's status as set ("away until Fri 2 Jan 17:00
	// CET: at the clinic", "available").
	Status string
	// StatusAddress is where members write to set their status.
	StatusAddress string
}

// Kinds of the notices the receiver writes; each has the templates
// email-notice-KIND-subject.txt and email-notice-KIND.txt, but the two
// status kinds, which share email-notice-status-subject.txt.
const (
	noticeFiles       = "files"
	noticeRefused     = "refused"
	noticeStatusAway  = "status-away"
	noticeStatusBack  = "status-back"
	noticeDigestReply = "digest-reply"
)

func noticeTemplates(kind string) (subject, text string) {
	subject = "email-notice-" + kind + "-subject.txt"
	if strings.HasPrefix(kind, "status-") {
		subject = "email-notice-status-subject.txt"
	}
	return subject, "email-notice-" + kind + ".txt"
}

func init() {
	full := NoticeData{Files: []string{"run.exe (type application/x-msdownload is not allowed)", "big.pdf (too large)"},
		Reason: "this reply address belongs to another member; reply from your own address",
		Status: "away until Fri 2 Jan 17:00 CET: at the clinic", StatusAddress: "status@parley.example.org"}
	for _, kind := range []string{noticeFiles, noticeRefused, noticeStatusAway, noticeStatusBack, noticeDigestReply, noticeEncrypted} {
		subject, text := noticeTemplates(kind)
		templates.Declare(subject, NoticeData{}, full)
		templates.Declare(text, NoticeData{}, full)
	}
}

// newNotice renders a notice of kind to the sender of the message
// inReplyTo. A template that fails (which Load's checks make unlikely) is
// logged and no notice is written.
func (m *Mail) newNotice(kind, to, inReplyTo string, data NoticeData) (threads.Notice, bool) {
	subject, text := noticeTemplates(kind)
	n := threads.Notice{To: to, Kind: kind, InReplyTo: inReplyTo}
	var err error
	if n.Title, err = m.o.Templates.Render(subject, data); err == nil {
		n.Text, err = m.o.Templates.Render(text, data)
	}
	if err != nil {
		m.log.Error("notice not rendered", "kind", kind, "err", err)
		return n, false
	}
	n.Title, n.Text = strings.TrimSpace(n.Title), strings.TrimSpace(n.Text)
	return n, true
}
