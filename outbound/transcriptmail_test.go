package outbound

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/internal/golden"
	"parley/outbound/mailcompose"
	"parley/templates"
	"parley/threads"
)

// attachmentOf returns the text part and the attached file of a message.
func attachmentOf(t *testing.T, raw string) (text, name, file string) {
	t.Helper()
	r, err := mail.CreateReader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			text = string(b)
		case *mail.AttachmentHeader:
			name, _ = h.Filename()
			file = string(b)
		}
	}
}

// TestTranscriptMailed: a request queued by inbound is rendered in the
// member's zone and mailed back as an attachment by the worker; a long
// room is cut at the size limit and the email says so.
func TestTranscriptMailed(t *testing.T) {
	e := newDenv(t)
	comp, err := mailcompose.New(mailcompose.Options{Domain: "chat.example.org", Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	email := NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: comp,
		Transport: e.mail, Domain: "chat.example.org", MaxTranscriptBytes: 6 << 10})
	w := NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "w", Log: quiet, Lease: time.Minute})
	e.post(t, "The new header is on staging.")
	e.clock.Add(time.Hour)
	e.post(t, "Comments by Friday, please.")

	queue := func(r threads.TranscriptRequest) {
		t.Helper()
		if ok, err := e.store.Queue.QueueTranscript(e.ctx, r); !ok || err != nil {
			t.Fatalf("queue: %v %v", ok, err)
		}
	}
	queue(threads.TranscriptRequest{Room: "design", Member: "kiwi", To: "kiwi@example.org", InReplyTo: "ask@example.org",
		Since: e.clock.Now().Add(-30 * time.Minute)})
	if _, err := w.Step(e.ctx); err != nil {
		t.Fatal(err)
	}
	got := e.mail.to("kiwi@example.org")
	if len(got) != 1 {
		t.Fatalf("kiwi got %d emails", len(got))
	}
	text, name, file := attachmentOf(t, got[0])
	if name != "design-transcript-2026-11-25.html" || !strings.Contains(text, "Design since Wednesday 25 November\r\n2026 22:30") ||
		!strings.Contains(text, "1 line, times in Pacific/Auckland") {
		t.Errorf("text %q, file %q", text, name)
	}
	if !strings.Contains(file, "Comments by Friday") || strings.Contains(file, "new header") || !strings.Contains(file, "@page { size: A4") {
		t.Errorf("attached transcript:\n%.400s", file)
	}

	// A long room: cut, and said so.
	for i := 0; i < 80; i++ {
		e.post(t, strings.Repeat("a long line ", 10))
	}
	queue(threads.TranscriptRequest{Room: "design", Member: "hana", To: "hana@example.org"})
	// Olaf left the room: the request is dropped, nothing sent.
	if err := e.store.Chat.RemoveMember(e.ctx, "design", "olaf"); err != nil {
		t.Fatal(err)
	}
	queue(threads.TranscriptRequest{Room: "design", Member: "olaf", To: "olaf@example.org"})
	if _, err := w.Step(e.ctx); err != nil {
		t.Fatal(err)
	}
	hana := e.mail.to("hana@example.org")
	if len(hana) != 1 {
		t.Fatalf("hana got %d emails", len(hana))
	}
	text, _, file = attachmentOf(t, hana[0])
	if !strings.Contains(text, "cut at the size limit") || len(file) > 6<<10 || !strings.Contains(file, "size limit") {
		t.Errorf("cut transcript: text %q, %d bytes", text, len(file))
	}
	if n := len(e.mail.to("olaf@example.org")); n != 0 {
		t.Error("a member who left got the transcript")
	}
	if left, _ := e.store.Queue.ClaimTranscripts(e.ctx, "x", 10, 0); len(left) != 0 {
		t.Errorf("requests left: %+v", left)
	}
}

// TestTranscriptTextGolden pins the transcript email's subject and text,
// as rendered from the built-in templates (before they are wrapped).
func TestTranscriptTextGolden(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	set := templates.Default()
	var b strings.Builder
	for _, d := range []TranscriptText{
		{Room: "Design", Loc: auckland, Lines: 1},
		{Room: "Design", Since: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC), Loc: auckland, Lines: 40, Cut: true, LimitMB: 2},
	} {
		for _, name := range []string{"email-transcript-subject.txt", "email-transcript.txt"} {
			s, err := set.Render(name, d)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "== %s\n%s\n", name, strings.TrimSpace(s))
		}
	}
	golden.Check(t, "transcript-text.txt", []byte(b.String()))
}
