package transcript

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/threads"
)

// mboxRenderer writes an mbox (RFC 4155, the mboxrd variant): one message
// per chat line, each starting with a "From " separator line, body lines
// that start with ">*From " quoted with one more ">", LF line ends. Every
// message replies to the room's thread root, as relay emails do, so a mail
// client shows the room as one thread.
type mboxRenderer struct{ o Options }

// asctime is the separator line's date format, in UTC.
const asctime = "Mon Jan _2 15:04:05 2006"

func (r *mboxRenderer) head(io.Writer) error           { return nil }
func (r *mboxRenderer) day(io.Writer, time.Time) error { return nil }
func (r *mboxRenderer) footRoom() int64                { return 1024 }

func (r *mboxRenderer) sender() string { return "parley@" + r.o.Domain }

func (r *mboxRenderer) subject() string {
	n := roomName(r.o.Room)
	if r.o.Room.Kind == threads.Direct {
		return "[" + n + "] direct chat"
	}
	return "[" + n + "] chat in " + n
}

func (r *mboxRenderer) line(w io.Writer, l threads.Line) error {
	var h mail.Header
	h.SetDate(l.Time.In(r.o.Loc))
	h.SetAddressList("From", []*mail.Address{{Name: name(l), Address: r.sender()}})
	h.SetSubject(r.subject())
	h.SetMessageID("line." + r.o.Room.ID + "." + l.ID + "@" + r.o.Domain)
	root := threads.RootMessageID(r.o.Room, r.o.Domain)
	h.SetMsgIDList("In-Reply-To", []string{root})
	h.SetMsgIDList("References", []string{root})
	h.Set("X-Parley-Room", r.o.Room.ID)
	h.Set("X-Parley-Author", oneLine(l.Author))
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	mw, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return fmt.Errorf("mbox message for %s: %w", l.ID, err)
	}
	body := strings.Join(cleanLines(l.Text), "\n")
	for _, a := range l.Attachments {
		body += "\n[attached: " + attachment(a) + "]"
	}
	if _, err := io.WriteString(mw, strings.ReplaceAll(body, "\n", "\r\n")+"\r\n"); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	var out strings.Builder
	out.WriteString("From " + r.sender() + " " + l.Time.UTC().Format(asctime) + "\n")
	msg := strings.TrimRight(strings.ReplaceAll(buf.String(), "\r\n", "\n"), "\n")
	for _, ln := range strings.Split(msg, "\n") {
		if strings.HasPrefix(strings.TrimLeft(ln, ">"), "From ") {
			out.WriteString(">")
		}
		out.WriteString(ln + "\n")
	}
	out.WriteString("\n")
	_, err = io.WriteString(w, out.String())
	return err
}

// foot writes nothing: an mbox has no trailer. A cut mbox ends with one
// more message saying so, so the reader sees it in their mail client.
func (r *mboxRenderer) foot(w io.Writer, lines int, cut bool) error {
	if !cut {
		return nil
	}
	note := threads.Line{ID: "cut", Author: r.o.Brand, Name: r.o.Brand, Origin: threads.FromSystem, Time: r.o.Now(),
		Text: fmt.Sprintf("The transcript was cut here at the size limit after %d %s: ask for a shorter time range for the rest.", lines, plural(lines, "line", "lines"))}
	return r.line(w, note)
}
