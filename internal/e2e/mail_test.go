package e2e

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
)

// relayed is what a member's mail client sees of a relayed email.
type relayed struct {
	From       *mail.Address // "Alice Archer (parley)" <parley@parley.test>
	ReplyTo    string        // reply+TOKEN@parley.test
	MessageID  string        // <...>
	References string        // <...> ...
	Subject    string
	Date       time.Time
	Text       string // the text/plain part, decoded, LF line ends
}

// parseRelayed reads a relayed email as a mail client would.
func parseRelayed(t *testing.T, raw string) relayed {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("relayed email: %v\n%s", err, raw)
	}
	var r relayed
	h := m.Header
	if r.From, err = mail.ParseAddress(h.Get("From")); err != nil {
		t.Fatalf("relayed email From %q: %v", h.Get("From"), err)
	}
	rt, err := mail.ParseAddress(h.Get("Reply-To"))
	if err != nil {
		t.Fatalf("relayed email Reply-To %q: %v", h.Get("Reply-To"), err)
	}
	r.ReplyTo = rt.Address
	r.MessageID = strings.TrimSpace(h.Get("Message-ID"))
	r.References = strings.Join(strings.Fields(h.Get("References")), " ")
	if r.Subject, err = new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil {
		t.Fatalf("relayed email Subject %q: %v", h.Get("Subject"), err)
	}
	if r.Date, err = h.Date(); err != nil {
		t.Fatalf("relayed email Date: %v", err)
	}
	r.Text = plainText(t, raw)
	return r
}

// plainText returns the decoded text/plain parts of a message, joined,
// with LF line ends.
func plainText(t *testing.T, raw string) string {
	t.Helper()
	e, err := message.Read(strings.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatalf("read email: %v\n%s", err, raw)
	}
	var out strings.Builder
	err = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if ct, _, _ := part.Header.ContentType(); ct == "text/plain" || ct == "" && part.MultipartReader() == nil {
			b, err := io.ReadAll(part.Body)
			if err != nil {
				return err
			}
			out.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk email: %v\n%s", err, raw)
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// quoted is text as a mail client quotes it: "> " before each line, a
// bare ">" for an empty one.
func quoted(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

// crlf turns LF line ends into CRLF, as SMTP and IMAP carry mail.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}

// qp encodes s as quoted-printable with CRLF line ends.
func qp(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	if _, err := io.WriteString(w, strings.ReplaceAll(s, "\n", "\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// reply is what a member writes back to a relayed email.
type reply struct {
	From      string // "Bob Ray <bob@example.org>"
	To        string // the relay's Reply-To address
	MessageID string // <...>
	Typed     string // the text the member typed
	Signature string // the lines after "-- "
}

// threading returns the header fields every reply client writes.
func (r reply) threading(rel relayed, date time.Time) string {
	return fmt.Sprintf("From: %s\nDate: %s\nMessage-ID: %s\nSubject: Re: %s\nTo: %s\nIn-Reply-To: %s\nReferences: %s\nMIME-Version: 1.0\n",
		r.From, date.Format(time.RFC1123Z), r.MessageID, mime.QEncoding.Encode("utf-8", rel.Subject), r.To, rel.MessageID,
		strings.TrimSpace(rel.References+" "+rel.MessageID))
}

// gmailReply is r as Gmail on the web sends it: multipart/alternative,
// the typed text on top, then the signature ("-- "), then the attribution
// ("On <date> <name> <\n<addr>> wrote:", wrapped inside the address as
// Gmail does) and the relay's text quoted with "> ". Both parts are
// quoted-printable.
func gmailReply(t *testing.T, r reply, rel relayed) []byte {
	t.Helper()
	when := rel.Date.UTC().Format("Mon, Jan 2, 2006 at 3:04 PM")
	attribution := fmt.Sprintf("On %s %s <\n%s> wrote:", when, rel.From.Name, rel.From.Address)
	plain := r.Typed + "\n\n-- \n" + r.Signature + "\n\n" + attribution + "\n\n" + quoted(rel.Text) + "\n"

	htmlLines := func(s string) string {
		return strings.ReplaceAll(html.EscapeString(strings.TrimRight(s, "\n")), "\n", "<br>")
	}
	htmlPart := fmt.Sprintf(`<div dir="ltr"><div>%s</div><br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>`+
		`<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">%s</div></div><br>`+
		`<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On %s %s &lt;<a href="mailto:%s">%s</a>&gt; wrote:<br></div>`+
		`<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">%s</blockquote></div>`+"\n",
		htmlLines(r.Typed), htmlLines(r.Signature), when, html.EscapeString(rel.From.Name), rel.From.Address, rel.From.Address, htmlLines(rel.Text))

	boundary := "000000000000" + randomHex(t, 7)
	msg := r.threading(rel, time.Now()) +
		"Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\n\n" +
		"--" + boundary + "\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
		qp(t, plain) + "\n" +
		"--" + boundary + "\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
		qp(t, htmlPart) + "\n" +
		"--" + boundary + "--\n"
	return crlf(msg)
}

// plainReply is r as a plain-text client with bottom signatures sends it
// (Thunderbird's "signature below the quote"): the typed text, the
// attribution and the quote, then the signature last; text/plain,
// quoted-printable. delivery is prepended as it is (the header fields a
// delivery agent writes).
func plainReply(t *testing.T, r reply, rel relayed, delivery string) []byte {
	t.Helper()
	attribution := fmt.Sprintf("On %s, %s wrote:", rel.Date.UTC().Format("1/2/06 15:04"), rel.From.Name)
	body := r.Typed + "\n\n" + attribution + "\n" + quoted(rel.Text) + "\n-- \n" + r.Signature + "\n"
	msg := delivery + r.threading(rel, time.Now()) +
		"User-Agent: Mozilla Thunderbird\nContent-Language: en-US\n" +
		"Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: quoted-printable\n\n" +
		qp(t, body)
	return crlf(msg)
}
