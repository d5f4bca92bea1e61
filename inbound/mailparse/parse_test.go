package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// endless yields 'a' forever and counts what was read.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestParseTooLarge(t *testing.T) {
	r := &endless{}
	_, err := Parse(r, Options{MaxBytes: 1 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if r.n > 1<<20+1 {
		t.Errorf("read %d bytes of an endless message, want at most MaxBytes+1", r.n)
	}
	msg := "From: a@example.org\n\n" + strings.Repeat("x", 100)
	if _, err := Parse(strings.NewReader(msg), Options{MaxBytes: int64(len(msg))}); err != nil {
		t.Errorf("a message of exactly MaxBytes: %v", err)
	}
	if _, err := Parse(strings.NewReader(msg), Options{MaxBytes: int64(len(msg) - 1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a message one byte over: err = %v", err)
	}
}

type failingReader struct{}

var errDisk = errors.New("disk on fire")

func (failingReader) Read([]byte) (int, error) { return 0, errDisk }

func TestParseErrors(t *testing.T) {
	if _, err := Parse(failingReader{}, Options{}); !errors.Is(err, errDisk) || errors.Is(err, ErrMalformed) {
		t.Errorf("read error: err = %v, want it wrapped and not ErrMalformed", err)
	}
	for _, in := range []string{
		"",
		"\x00\x01\x02",
		"not a header at all",
		" From: a@example.org\n\nleading space",
		"Subject: no sender\n\nbody",
		"From: a@example.org", // no blank line, but a From: still fine
	} {
		m, err := Parse(strings.NewReader(in), Options{})
		if in == "From: a@example.org" {
			if err != nil || m.From.Email != "a@example.org" {
				t.Errorf("%q: %v, %+v", in, err, m)
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestParseHeaderFields(t *testing.T) {
	msg := "Return-Path: <ann@example.org>\r\n" +
		"From: =?utf-8?q?Ann_L=C3=A9e?= <ann@example.org>\r\n" +
		"Reply-To: team+r1.tok@chat.example.org\r\n" +
		"To: Bob <bob@example.org>, carol@example.org\r\n" +
		"Cc: \"Dee, D.\" <dee@example.org>\r\n" +
		"A stray line without a colon\r\n" +
		"Subject: =?iso-8859-1?q?R=E9union?= demain\r\n" +
		"Date: Fri, 12 Jan 2024 10:00:00 +0100\r\n" +
		"Message-ID: <m2@example.org>\r\n" +
		"In-Reply-To: <root@chat.example.org>\r\n" +
		"References: <root@chat.example.org>\r\n <m1@chat.example.org> bare@id\r\n" +
		"\r\n" +
		"Oui.\r\n"
	m, err := Parse(strings.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{
		MessageID:  "m2@example.org",
		InReplyTo:  "root@chat.example.org",
		References: []string{"root@chat.example.org", "m1@chat.example.org", "bare@id"},
		From:       Address{"Ann Lée", "ann@example.org"},
		ReplyTo:    []Address{{"", "team+r1.tok@chat.example.org"}},
		To:         []Address{{"Bob", "bob@example.org"}, {"", "carol@example.org"}},
		Cc:         []Address{{"Dee, D.", "dee@example.org"}},
		ReturnPath: "ann@example.org",
		Subject:    "Réunion demain",
		Text:       "Oui.",
		Reply:      "Oui.",
	}
	if !m.Date.Equal(time.Date(2024, 1, 12, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Date = %v", m.Date)
	}
	m.Date = time.Time{}
	if g, w := describe(m), describe(want); g != w {
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if got := m.From.String(); got != `"Ann Lée" <ann@example.org>` {
		t.Errorf("From.String() = %s", got)
	}
}

func describe(m *Message) string {
	return fmt.Sprintf("%q\n%q\n%q\n%+v\n%+v\n%+v\n%+v\n%q\n%q\n%q\n%q\n%v",
		m.MessageID, m.InReplyTo, m.References, m.From, m.ReplyTo, m.To, m.Cc,
		m.ReturnPath, m.Subject, m.Text, m.Reply, m.Kind)
}

func TestParseHTMLReply(t *testing.T) {
	msg := "From: Ann <ann@example.org>\n" +
		"Subject: Re: [team] lunch\n" +
		"Content-Type: multipart/alternative; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=utf-8\n\n\n--b\n" +
		"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"<div dir=3D\"ltr\">Sure, <b>noon</b> works.<br><br>Ann</div><br>" +
		"<div class=3D\"gmail_quote\"><div class=3D\"gmail_attr\">On Fri, Jan 12, 2024 at 10:00 AM Bob &lt;bob@example.org&gt; wrote:<br></div>" +
		"<blockquote class=3D\"gmail_quote\">Lunch at noon?<blockquote>nested</blockquote></blockquote></div>\n" +
		"--b--\n"
	m, err := Parse(strings.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// "Ann" alone on the last line is the sender's name: a sign-off.
	if m.Reply != "Sure, noon works." {
		t.Errorf("Reply = %q (Text %q)", m.Reply, m.Text)
	}
	if !strings.Contains(m.Removed, "Lunch at noon?") || !strings.Contains(m.Text, ">> nested") {
		t.Errorf("Removed = %q, Text = %q", m.Removed, m.Text)
	}
}

func TestParseVacation(t *testing.T) {
	msg := "From: Ann <ann@example.org>\n" +
		"Subject: Automatic reply: [team] lunch\n" +
		"Auto-Submitted: auto-replied\n" +
		"Content-Type: text/plain; charset=windows-1252\n" +
		"Content-Transfer-Encoding: quoted-printable\n\n" +
		"I am away until Monday =96 back on the 15th.\n"
	m, err := Parse(strings.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindVacation || m.Reply != "I am away until Monday – back on the 15th." {
		t.Errorf("Kind = %v, Reply = %q", m.Kind, m.Reply)
	}
}

func TestParseAttachmentLimit(t *testing.T) {
	payload := strings.Repeat("0123456789", 10)
	msg := "From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nsee file\n" +
		"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=f.bin\nContent-Transfer-Encoding: base64\n\n" +
		"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2\nNzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OQ==\n--b--\n"
	for _, tt := range []struct {
		limit   int64
		hasData bool
	}{{0, true}, {100, true}, {99, false}, {-1, false}} {
		m, err := Parse(strings.NewReader(msg), Options{MaxAttachmentBytes: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Attachments) != 1 {
			t.Fatalf("limit %d: %d attachments", tt.limit, len(m.Attachments))
		}
		a := m.Attachments[0]
		if a.Size != 100 || (a.Data != nil) != tt.hasData || tt.hasData && string(a.Data) != payload {
			t.Errorf("limit %d: size %d, data %q", tt.limit, a.Size, a.Data)
		}
	}
}

// TestParseNeedsNoRecover runs the body of Parse, which has no recover, on
// every sample and every fuzz input kept in testdata: the deferred recover
// in Parse is a last resort, not part of normal operation.
func TestParseNeedsNoRecover(t *testing.T) {
	var inputs [][]byte
	for _, name := range fixtureNames(t, "mime/deltachat", ".eml") {
		inputs = append(inputs, fixture(t, name))
	}
	corpus, _ := filepath.Glob("testdata/fuzz/*/*")
	for _, f := range corpus {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	inputs = append(inputs, []byte{}, []byte("From: a@b\n\n"), bytes.Repeat([]byte("--x\n"), 1000))
	for i, in := range inputs {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("input %d panicked: %v", i, p)
				}
			}()
			_, _ = parseBytes(in, Options{})
		}()
	}
}

func TestParseDeepNesting(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n")
	for i := 1; i < 200; i++ {
		b.WriteString("--b" + itoa(i-1) + "\nContent-Type: multipart/mixed; boundary=b" + itoa(i) + "\n\n")
	}
	b.WriteString("--b199\nContent-Type: text/plain\n\ndeep\n")
	m, err := Parse(strings.NewReader(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "" {
		t.Errorf("text below maxDepth was read: %q", m.Text)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

var _ io.Reader = (*endless)(nil)

// parseTraps are messages built to make a careless parser do quadratic
// work: each function returns about n bytes.
var parseTraps = map[string]func(n int) string{
	"encoded-word subject": func(n int) string {
		return "From: a@b.example\nSubject: " + adversarial("=?a?q?x ", n) + "\n\nbody"
	},
	"huge address list": func(n int) string {
		return "From: a@b.example\nTo: " + adversarial(`"=?utf-8?q?x?=" <a@b.example>, `, n) + "\n\nbody"
	},
	"many parameters": func(n int) string {
		return "From: a@b.example\nContent-Type: text/plain; " + adversarial(`filename*1*="=?x?q?=?"; `, n) + "\n\nbody"
	},
	"many parts": func(n int) string {
		return "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n" + adversarial("--b\nContent-Type: text/html\n\n<p>x</p>\n", n)
	},
	"deep nesting": func(n int) string {
		return "From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n" + adversarial("--b\nContent-Type: multipart/mixed; boundary=b\n\n", n)
	},
	"html quotes and links": func(n int) string {
		return "From: a@b.example\nContent-Type: text/html\n\n" + adversarial(`<blockquote><div name="quote"><a href="http://x.example/">x <li>`, n)
	},
	"base64 junk": func(n int) string {
		return "From: a@b.example\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + adversarial("QUJD!?=\n", n)
	},
	"header lines": func(n int) string {
		return "From: a@b.example\n" + adversarial("X-A: b\nno colon here\n", n) + "\nbody"
	},
	"bounce text": func(n int) string {
		return "From: MAILER-DAEMON@b.example\n\n" + adversarial("<a@b.example>:\n550 5.1.1 x\n", n)
	},
}

func TestParseLinear(t *testing.T) {
	for name, trap := range parseTraps {
		t.Run(name, func(t *testing.T) {
			small, large := trap(100<<10), trap(1<<20)
			opt := Options{MaxBytes: 2 << 20}
			ts := minDuration(3, func() { _, _ = Parse(strings.NewReader(small), opt) })
			tl := minDuration(3, func() { _, _ = Parse(strings.NewReader(large), opt) })
			t.Logf("100 KB: %v, 1 MB: %v", ts, tl)
			if tl > 2*time.Second {
				t.Fatalf("1 MB took %v", tl)
			}
			if base := max(ts, time.Millisecond); float64(tl)/float64(base) > 40 {
				t.Errorf("1 MB took %v, 100 KB %v: super-linear", tl, ts)
			}
		})
	}
}
