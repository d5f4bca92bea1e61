package mailcompose

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"parley/internal/golden"
	"parley/threads"
)

// TestRelayFiles: a small file goes attached, a large one as its link
// with name, type and size; the message reads back in a mail client as
// text, HTML and the file with its bytes.
func TestRelayFiles(t *testing.T) {
	c := newComposer(t, nil)
	small := []byte("%PDF-1.4 a small plan\n")
	l := line("carol", "Carol", "Here is the plan and the photo.", 5)
	l.Attachments = []threads.Attachment{
		{ID: strings.Repeat("a", 64), Name: "plan.pdf", Type: "application/pdf", Size: int64(len(small))},
		{ID: strings.Repeat("b", 64), Name: "site photo.jpg", Type: "image/jpeg", Size: 3 << 20},
	}
	link := "https://chat.example.org/f/design~x-0~1~bob~t5x2hc~aaaaaaaaaaaaaaaaaaaaaaaa/site_photo.jpg"
	r := relay(l)
	r.Files = map[string]RelayFile{
		FileKey(l.ID, 0): {Data: small},
		FileKey(l.ID, 1): {Link: link},
	}
	m, err := c.Relay(r)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "relay-files.eml", m.Bytes)
	checkWire(t, m.Bytes)
	mr, err := mail.CreateReader(bytes.NewReader(m.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := mr.Header.ContentType(); ct != "multipart/mixed" {
		t.Errorf("Content-Type = %s, want multipart/mixed", ct)
	}
	var text, htmlPart string
	var files []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			files = append(files, name+" "+ct)
			if !bytes.Equal(body, small) {
				t.Errorf("attachment %s holds %q", name, body)
			}
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			if ct == "text/plain" {
				text = string(body)
			} else {
				htmlPart = string(body)
			}
		}
	}
	if len(files) != 1 || files[0] != "plan.pdf application/pdf" {
		t.Errorf("attachments = %v, want plan.pdf only", files)
	}
	for _, want := range []string{"[attached: plan.pdf, 22 bytes]", "[file: site photo.jpg, image/jpeg, 3.0 MB]\r\n    " + link} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(htmlPart, `<a href="`+link+`"`) {
		t.Errorf("HTML lacks the link:\n%s", htmlPart)
	}
	checkHTML(t, htmlPart, roomURL, unsubURL, link)

	// A link that is no URL is refused.
	r.Files[FileKey(l.ID, 1)] = RelayFile{Link: "javascript:alert(1)"}
	if _, err := c.Relay(r); err == nil {
		t.Error("a javascript: link was taken")
	}
}
