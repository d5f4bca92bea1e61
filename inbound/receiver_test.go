package inbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/blobs"
	"parley/internal/fixtures"
	"parley/internal/testpeers/redispeer"
	"parley/threads"
)

const secret = "0123456789abcdef0123456789abcdef"

type renv struct {
	store *threads.Store
	mail  *Mail
	ctx   context.Context
	bob   string // bob's reply address for design
}

// newRenv: alice, bob (bob@example.org, away) and carol in "design".
func newRenv(t *testing.T, o Options) *renv {
	r := redispeer.New(t)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte(secret)})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org", "bob@home.example"}},
		{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"}},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob", "carol"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Auth.ReplyToken(ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.Domain = s, "parley.test"
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return &renv{store: s, mail: NewMail(o), ctx: ctx, bob: threads.ReplyAddress(tok, "parley.test")}
}

// reply builds a plain-text email.
func reply(from, to, msgID, body string, extra ...string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: [Design] chat in Design\r\nMessage-ID: <%s>\r\n"+
		"In-Reply-To: <room.design.1@parley.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", from, to, msgID)
	for _, x := range extra {
		h += x + "\r\n"
	}
	return []byte(h + "\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

// fixture reads a sample of internal/fixtures.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	return fixtures.Read(t, name)
}

func (e *renv) receive(t *testing.T, raw []byte, rcpt ...string) (Result, error) {
	t.Helper()
	return e.mail.Receive(e.ctx, Envelope{Door: "smtp", MailFrom: "bob@example.org", Rcpt: rcpt}, raw)
}

func (e *renv) lines(t *testing.T) []threads.Line {
	t.Helper()
	ls, err := e.store.Chat.Lines(e.ctx, "design", threads.Range{})
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestReplyBecomesLine(t *testing.T) {
	e := newRenv(t, Options{})
	gmail := fixture(t, "replies/github/email_1_2.txt")
	body := "Yes, ship it on Friday.\n\nOn Tue, 24 Nov 2026 at 09:14, Alice (parley) <parley@parley.test> wrote:\n> Can we ship?\n> \n\n-- \nBob Ray\nField office\n"
	res, err := e.receive(t, reply("Bob Ray <BOB@example.org>", e.bob, "r1@example.org", body), e.bob)
	if err != nil || res.Outcome != Posted || res.Room != "design" || res.Member != "bob" {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	ls := e.lines(t)
	if len(ls) != 1 || ls[0].Text != "Yes, ship it on Friday." || ls[0].Author != "bob" || ls[0].Origin != threads.FromEmail ||
		!strings.Contains(ls[0].Quote, "> Can we ship?") || !strings.Contains(ls[0].Quote, "Field office") {
		t.Fatalf("line = %+v, refused %v", ls, res.Refused)
	}
	// The same message again (a retrying server, or the other door): one line.
	res, err = e.mail.Receive(e.ctx, Envelope{Door: "imap"}, reply("bob@example.org", e.bob, "r1@example.org", body))
	if err != nil || res.Outcome != Duplicate || res.Line != ls[0].ID {
		t.Fatalf("second delivery = %+v, %v", res, err)
	}
	// A real Gmail-style reply from the fixtures, found by the To header (IMAP).
	res, err = e.mail.Receive(e.ctx, Envelope{Door: "imap"}, reply("bob@home.example", e.bob, "r2@example.org", string(gmail)))
	if err != nil || res.Outcome != Posted {
		t.Fatalf("fixture reply = %+v, %v", res, err)
	}
	ls = e.lines(t)
	// github/email_1_2: the answer between and below the quotes is kept, the
	// quoted question and the "On ... wrote:" line are cut.
	if len(ls) != 2 || !strings.Contains(ls[1].Text, "You can list the keys for the bucket") ||
		strings.Contains(ls[1].Text, "Hi folks") || strings.Contains(ls[1].Text, "Abhishek Kona wrote") {
		t.Fatalf("fixture line = %q", ls[1].Text)
	}
}

func TestRefusals(t *testing.T) {
	e := newRenv(t, Options{MaxBytes: 4096})
	forged := "reply+" + strings.Repeat("a", 32) + "@parley.test"
	cases := []struct {
		name string
		raw  []byte
		rcpt string
		want string
	}{
		{"stranger's From", reply("mallory@evil.example", e.bob, "m1@x", "hi"), e.bob, "belongs to another member"},
		{"forged token", reply("bob@example.org", forged, "m2@x", "hi"), forged, "unknown or expired reply address"},
		{"no reply address", reply("bob@example.org", "someone@parley.test", "m3@x", "hi"), "someone@parley.test", "not addressed to a parley reply address"},
		{"empty reply", reply("bob@example.org", e.bob, "m4@x", "-- \nBob\n"), e.bob, "the reply is empty"}, // only a signature (a quote alone is posted: mailparse keeps it)
		{"too large", reply("bob@example.org", e.bob, "m5@x", strings.Repeat("x", 5000)), e.bob, "too large"},
		{"not mail", []byte("\x00\x01 garbage"), e.bob, "not readable mail"},
	}
	for _, c := range cases {
		_, err := e.receive(t, c.raw, c.rcpt)
		var ie *Error
		if !errors.As(err, &ie) || ie.Temporary || !strings.Contains(ie.Reason, c.want) {
			t.Errorf("%s: %v; want a permanent refusal saying %q", c.name, err, c.want)
		}
	}
	if ls := e.lines(t); len(ls) != 0 {
		t.Fatalf("refused mail was posted: %+v", ls)
	}
	// A member who left the room.
	if err := e.store.Chat.RemoveMember(e.ctx, "design", "bob"); err != nil {
		t.Fatal(err)
	}
	_, err := e.receive(t, reply("bob@example.org", e.bob, "m6@x", "hi"), e.bob)
	if err == nil || !strings.Contains(err.Error(), "no longer a member") {
		t.Fatalf("after leaving: %v", err)
	}
}

func TestMismatchHeldForReview(t *testing.T) {
	e := newRenv(t, Options{HoldMismatched: true})
	res, err := e.receive(t, reply("mallory@evil.example", e.bob, "h1@x", "let me in"), e.bob)
	if err != nil || res.Outcome != Held {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	held, _ := e.store.Inbox.Held(e.ctx, 10)
	if len(held) != 1 || held[0].From != "mallory@evil.example" || held[0].Member != "bob" || !strings.Contains(held[0].Raw, "let me in") {
		t.Fatalf("held = %+v", held)
	}
	if ls := e.lines(t); len(ls) != 0 {
		t.Fatal("a held message was posted")
	}
}

func TestAutomaticMessagesNeverPosted(t *testing.T) {
	e := newRenv(t, Options{})
	cases := []struct {
		name  string
		extra []string
		from  string
	}{
		{"auto-generated", []string{"Auto-Submitted: auto-generated"}, "bob@example.org"},
		{"list", []string{"List-Id: <team.lists.example.org>"}, "bob@example.org"},
		{"bulk", []string{"Precedence: bulk"}, "bob@example.org"},
		{"our own mail", []string{"X-Loop: parley@parley.test"}, "bob@example.org"},
		{"from our relay", nil, "parley@parley.test"},
	}
	for i, c := range cases {
		res, err := e.receive(t, reply(c.from, e.bob, fmt.Sprintf("a%d@x", i), "automatic text", c.extra...), e.bob)
		if err != nil || res.Outcome != Ignored {
			t.Errorf("%s: %+v, %v; want ignored", c.name, res, err)
		}
	}
	if ls := e.lines(t); len(ls) != 0 {
		t.Fatalf("automatic mail was posted: %+v", ls)
	}
}

func TestVacationSetsAway(t *testing.T) {
	e := newRenv(t, Options{})
	// Out-of-office replies go to the envelope sender, parley@parley.test.
	raw := reply("bob@example.org", "parley@parley.test", "v1@x", "I am at the clinic until Friday.\nUrgent: call the office.",
		"Auto-Submitted: auto-replied")
	raw = []byte(strings.Replace(string(raw), "Subject: Re: [Design] chat in Design", "Subject: Out of Office: [Design] chat in Design", 1))
	res, err := e.receive(t, raw, "parley@parley.test")
	if err != nil || res.Outcome != AwayHint || res.Member != "bob" {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	p, _ := e.store.Chat.Presence(e.ctx, "bob")
	if p.State != threads.StateAway || p.Text() != "I am at the clinic until Friday." {
		t.Fatalf("presence = %+v %q", p, p.Text())
	}
	if ls := e.lines(t); len(ls) != 0 {
		t.Fatal("an out-of-office reply was posted")
	}
	// A status set by hand is not overwritten.
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Busy, Text: "workshop"}); err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.Replace(string(raw), "v1@x", "v2@x", 1))
	if res, err := e.receive(t, raw, "parley@parley.test"); err != nil || res.Outcome != AwayHint {
		t.Fatalf("second vacation = %+v, %v", res, err)
	}
	if p, _ := e.store.Chat.Presence(e.ctx, "bob"); p.State != threads.StateBusy {
		t.Fatalf("vacation overrode busy: %+v", p)
	}
}

func TestAttachments(t *testing.T) {
	store, err := blobs.New(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	e := newRenv(t, Options{Blobs: store})
	raw := "From: bob@example.org\r\nTo: " + e.bob + "\r\nSubject: report\r\nMessage-ID: <att1@x>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHere is the report.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgaGVsbG8=\r\n" +
		"--b\r\nContent-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename=run.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--b--\r\n"
	res, err := e.receive(t, []byte(raw), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	ls := e.lines(t)
	if len(ls) != 1 || ls[0].Text != "Here is the report." || len(ls[0].Attachments) != 1 || ls[0].Attachments[0].Name != "report.pdf" {
		t.Fatalf("line = %+v, refused %v", ls, res.Refused)
	}
	f, meta, err := store.Open(ls[0].Attachments[0].ID)
	if err != nil || meta.Size != 14 {
		t.Fatalf("stored file: %+v %v", meta, err)
	}
	f.Close()
	if len(res.Refused) != 1 || !strings.Contains(res.Refused[0], "run.exe") {
		t.Fatalf("refused = %v", res.Refused)
	}
	notices, _ := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Hour)
	if len(notices) != 1 || notices[0].To != "bob@example.org" || notices[0].Kind != "files" || !strings.Contains(notices[0].Text, "run.exe") {
		t.Fatalf("notices = %+v", notices)
	}
}

func TestCheckRecipient(t *testing.T) {
	e := newRenv(t, Options{})
	for addr, ok := range map[string]bool{
		e.bob:                strings.ToUpper(e.bob) != "",
		"parley@parley.test": true,
		"PARLEY@parley.test": true,
		"reply+" + strings.Repeat("a", 32) + "@parley.test": false,
		"bob@example.org":        false,
		"postmaster@parley.test": false,
	} {
		err := e.mail.CheckRecipient(e.ctx, addr)
		if (err == nil) != ok {
			t.Errorf("CheckRecipient(%s) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestRedisDownIsTemporary(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	m := NewMail(Options{Store: threads.New(rdb, threads.Options{Secret: []byte(secret)}), Domain: "parley.test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	addr := "reply+" + strings.Repeat("a", 32) + "@parley.test"
	for _, err := range []error{
		m.CheckRecipient(context.Background(), addr),
		func() error {
			_, err := m.Receive(context.Background(), Envelope{Rcpt: []string{addr}}, reply("bob@example.org", addr, "x@x", "hi"))
			return err
		}(),
	} {
		if ie := AsError(err); !ie.Temporary || strings.Contains(ie.Reason, "127.0.0.1") {
			t.Errorf("with Redis down: %+v; want temporary, no internals in the reason", ie)
		}
	}
}

func TestAttachmentOnlyReply(t *testing.T) {
	store, _ := blobs.New(t.TempDir(), 1<<20)
	e := newRenv(t, Options{Blobs: store})
	raw := "From: bob@example.org\r\nTo: " + e.bob + "\r\nSubject: photo\r\nMessage-ID: <att2@x>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\r\n" +
		"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=site.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n", 40) + "--b--\r\n"
	if _, err := e.receive(t, []byte(raw), e.bob); err != nil {
		t.Fatal(err)
	}
	ls := e.lines(t)
	if len(ls) != 1 || ls[0].Text != "sent site.png (3 KB)" || len(ls[0].Attachments) != 1 {
		t.Fatalf("line = %+v", ls)
	}
}

// TestIMAPRefusalIsExplained: mail read from the mailbox gets no SMTP
// bounce, so a person whose mail was refused is told why, once a day.
func TestIMAPRefusalIsExplained(t *testing.T) {
	e := newRenv(t, Options{})
	for i := range 3 {
		_, err := e.mail.Receive(e.ctx, Envelope{Door: "imap"}, reply("stranger@example.org", e.bob, fmt.Sprintf("s%d@x", i), "let me in"))
		if err == nil {
			t.Fatal("a stranger's mail was taken")
		}
	}
	// Automatic mail is never answered.
	_, _ = e.mail.Receive(e.ctx, Envelope{Door: "imap"}, reply("robot@example.org", "nobody@parley.test", "a@x", "x", "Auto-Submitted: auto-generated"))
	notices, _ := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Hour)
	if len(notices) != 1 || notices[0].To != "stranger@example.org" || notices[0].Kind != "refused" ||
		!strings.Contains(notices[0].Text, "belongs to another member") || notices[0].InReplyTo != "s0@x" {
		t.Fatalf("notices = %+v; want one explanation for three refusals", notices)
	}
}
