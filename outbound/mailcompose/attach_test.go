package mailcompose

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
)

func TestNoticeWithFile(t *testing.T) {
	c := newComposer(t, nil)
	data := []byte("<!DOCTYPE html><p>" + strings.Repeat("Transcript é ", 500) + "</p>\n")
	m, err := c.NoticeWithFile(Notice{To: addr("Bob", "bob@example.org"), Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: NoticeText{Title: "Transcript of Design", Text: "Here it is."}, InReplyTo: "req@example.org"},
		File{Name: "design-transcript.html", ContentType: "text/html; charset=utf-8", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.Bytes)
	r, err := mail.CreateReader(bytes.NewReader(m.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := r.Header.ContentType(); ct != "multipart/mixed" || r.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("Content-Type %s, Auto-Submitted %q", ct, r.Header.Get("Auto-Submitted"))
	}
	var text string
	var file []byte
	var fname string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			text = string(body)
		case *mail.AttachmentHeader:
			fname, _ = h.Filename()
			file = body
		}
	}
	if !strings.Contains(text, "Here it is.") || fname != "design-transcript.html" || !bytes.Equal(file, data) {
		t.Errorf("text %q, file %q (%d bytes)", text, fname, len(file))
	}
	_, err = c.NoticeWithFile(Notice{To: addr("", "bob@example.org"), Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: NoticeText{Title: "x"}}, File{Name: "../etc/passwd\r\n", ContentType: "text/plain", Data: nil})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("bad file name: %v", err)
	}
}
