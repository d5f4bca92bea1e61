package inbound

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/internal/golden"
	"parley/templates"
)

// TestNoticesGolden pins every notice the receiver writes, as rendered
// from the built-in templates (before email-notice.txt wraps them).
func TestNoticesGolden(t *testing.T) {
	m := NewMail(Options{Domain: "parley.test", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var b strings.Builder
	for _, c := range []struct {
		kind string
		data NoticeData
	}{
		{noticeFiles, NoticeData{Files: []string{"run.exe (type application/x-msdownload is not allowed)", "big.pdf (too large)"}}},
		{noticeRefused, NoticeData{Reason: "this reply address belongs to another member; reply from your own address"}},
		{noticeStatusAway, NoticeData{Status: "away until Fri 2 Jan 17:00 CET: at the clinic", StatusAddress: m.statusAddress()}},
		{noticeStatusBack, NoticeData{Status: "available", StatusAddress: m.statusAddress()}},
		{noticeDigestReply, NoticeData{}},
	} {
		n, ok := m.newNotice(c.kind, "bob@example.org", "m1@x", c.data)
		if !ok || n.Title == "" || n.Text == "" || n.Kind != c.kind || n.To != "bob@example.org" || n.InReplyTo != "m1@x" {
			t.Errorf("%s: %+v, %v", c.kind, n, ok)
		}
		fmt.Fprintf(&b, "== %s\nSubject: %s\n%s\n", c.kind, n.Title, n.Text)
	}
	golden.Check(t, "notices.txt", []byte(b.String()))
}

// TestNoticeOverride: a file in the templates folder replaces one notice;
// one that names a field notices do not have is refused at load.
func TestNoticeOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "email-notice-refused.txt"), []byte("Not posted, because {{.Reason}}.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMail(Options{Domain: "parley.test", Templates: set})
	n, ok := m.newNotice(noticeRefused, "a@example.org", "", NoticeData{Reason: "no"})
	if !ok || n.Title != "Your message was not posted" || n.Text != "Not posted, because no." {
		t.Fatalf("notice %+v", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "email-notice-files.txt"), []byte("{{.Filenames}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := templates.Load(dir); err == nil || !strings.Contains(err.Error(), "email-notice-files.txt") ||
		!strings.Contains(err.Error(), "can't evaluate field Filenames") {
		t.Fatalf("Load with an unknown field: %v", err)
	}
}
