package outbound

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// mailEnv: alice writes in "design"; bob is away and reads email through a
// real SMTP conversation with an in-process server.
type mailEnv struct {
	store  *threads.Store
	clock  *clock
	sink   *smtppeer.Server
	worker *Worker
	ctx    context.Context
	// composer makes the emails (the clock is e's).
	composer *mailcompose.Composer
}

func newMailEnv(t *testing.T, window time.Duration) *mailEnv {
	r := redispeer.New(t)
	c := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Now: c.Now, Rand: func() float64 { return 0.5 },
		Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	for _, u := range []threads.User{
		{ID: "alice", Name: "Alice Archer", Emails: []string{"alice@example.org"}},
		{ID: "bob", Name: "Bob Ray", Emails: []string{"bob@example.org"}, TimeZone: "Europe/Berlin"},
	} {
		if _, err := s.Directory.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chat.SetStatus(ctx, "bob", threads.Status{Availability: threads.Away}); err != nil {
		t.Fatal(err)
	}
	sink := smtppeer.Start(t)
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	comp, err := mailcompose.New(mailcompose.Options{Domain: "parley.test", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	email := NewEmail(EmailOptions{Auth: s.Auth, Chat: s.Chat, Directory: s.Directory, Composer: comp, Transport: client,
		Domain: "parley.test", PublicURL: "https://chat.example.org/"})
	w := NewWorker(s.Queue, s.Directory, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: window}})
	return &mailEnv{store: s, clock: c, sink: sink, worker: w, ctx: ctx, composer: comp}
}

func (e *mailEnv) post(t *testing.T, text string) {
	t.Helper()
	if _, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: text, Origin: threads.FromWeb}); err != nil {
		t.Fatal(err)
	}
}

func parse(t *testing.T, data []byte) *mail.Message {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("relayed email does not parse: %v", err)
	}
	return m
}

func TestEmailRelayThreadedAndBatched(t *testing.T) {
	e := newMailEnv(t, 2*time.Minute)
	e.post(t, "The new header is on staging")
	step(t, e.worker)
	e.clock.Add(30 * time.Second)
	e.post(t, "Comments welcome, café ☕")
	step(t, e.worker)
	if n := len(e.sink.Messages()); n != 0 {
		t.Fatalf("%d emails inside the window", n)
	}
	e.clock.Add(91 * time.Second)
	step(t, e.worker)
	e.post(t, "A later line")
	e.clock.Add(3 * time.Minute)
	step(t, e.worker)
	step(t, e.worker)

	msgs := e.sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d emails, want 2 (one batch of two lines, then one)", len(msgs))
	}
	first, second := parse(t, msgs[0].Data), parse(t, msgs[1].Data)
	if strings.Join(msgs[0].To, ",") != "bob@example.org" {
		t.Fatalf("envelope %s -> %v", msgs[0].From, msgs[0].To)
	}
	// Each email has its own envelope sender (VERP), naming its recipient.
	btok, ok := threads.ParseBounceAddress(msgs[0].From, "parley.test")
	if !ok || msgs[0].From == msgs[1].From {
		t.Fatalf("envelope senders %s, %s", msgs[0].From, msgs[1].From)
	}
	if b, err := e.store.Auth.ResolveBounceToken(e.ctx, btok); err != nil || b.Recipient != "bob@example.org" ||
		"<"+b.MessageID+">" != first.Header.Get("Message-ID") {
		t.Fatalf("bounce token names %+v, %v", b, err)
	}
	from, _ := mail.ParseAddress(first.Header.Get("From"))
	if from.Name != "Alice Archer (parley)" || from.Address != "parley@parley.test" {
		t.Errorf("From = %q", first.Header.Get("From"))
	}
	replyTo, _ := mail.ParseAddress(first.Header.Get("Reply-To"))
	tok, ok := threads.ParseReplyAddress(replyTo.Address, "parley.test")
	if !ok {
		t.Fatalf("Reply-To %q is not a reply address", replyTo.Address)
	}
	if room, member, err := e.store.Auth.ResolveReplyToken(e.ctx, tok); err != nil || room != "design" || member != "bob" {
		t.Errorf("reply token resolves to %s/%s, %v", room, member, err)
	}
	room, _ := e.store.Chat.Room(e.ctx, "design")
	root := "<" + threads.RootMessageID(room, "parley.test") + ">"
	for i, m := range []*mail.Message{first, second} {
		if m.Header.Get("In-Reply-To") != root || !strings.Contains(m.Header.Get("References"), root) {
			t.Errorf("email %d threading: In-Reply-To %q References %q, want %s", i, m.Header.Get("In-Reply-To"), m.Header.Get("References"), root)
		}
		unsub, _ := e.store.Auth.UnsubscribeToken(e.ctx, "design", "bob")
		if !strings.Contains(m.Header.Get("List-Unsubscribe"), "https://chat.example.org/unsubscribe/"+unsub) ||
			m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("email %d unsubscribe headers: %q", i, m.Header.Get("List-Unsubscribe"))
		}
		if m.Header.Get("Auto-Submitted") != "" {
			t.Errorf("a person's line marked Auto-Submitted")
		}
	}
	if first.Header.Get("Subject") != second.Header.Get("Subject") || first.Header.Get("Message-Id") == second.Header.Get("Message-Id") {
		t.Errorf("subjects %q / %q must match, Message-IDs differ", first.Header.Get("Subject"), second.Header.Get("Subject"))
	}
	body := string(msgs[0].Data)
	for _, want := range []string{"The new header is on staging", "Comments welcome", "10:00"} { // Bob reads Berlin time
		if !strings.Contains(body, want) && !strings.Contains(strings.ReplaceAll(body, "=\r\n", ""), want) {
			t.Errorf("first email lacks %q", want)
		}
	}
}

func TestEmailSmarthostDownThenBack(t *testing.T) {
	e := newMailEnv(t, 0)
	e.sink.Stop()
	e.post(t, "sent while the smarthost is down")
	step(t, e.worker)
	if st, _ := e.store.Queue.Stats(e.ctx); st.Batches != 1 || st.Dead != 0 {
		t.Fatalf("after a refused connection: %+v", st)
	}
	e.sink.Restart(t)
	e.clock.Add(time.Minute)
	step(t, e.worker)
	step(t, e.worker)
	if n := len(e.sink.Messages()); n != 1 {
		t.Fatalf("%d emails after the smarthost came back, want exactly 1", n)
	}
}

func TestEmailTemporaryThenAccepted(t *testing.T) {
	e := newMailEnv(t, 0)
	refusals := 2
	e.sink.Refuse(func(stage string) error {
		if stage == "rcpt" && refusals > 0 {
			refusals--
			return smtppeer.Temporary
		}
		return nil
	})
	e.post(t, "greylisted first")
	for range 4 {
		step(t, e.worker)
		e.clock.Add(2 * time.Minute)
	}
	if n := len(e.sink.Messages()); n != 1 {
		t.Fatalf("%d emails, want 1 after two 451s", n)
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.EmailFailing {
		t.Fatal("4xx marked the address as failing")
	}
}

func TestEmailPermanentRefusal(t *testing.T) {
	e := newMailEnv(t, 0)
	e.sink.Refuse(func(stage string) error {
		if stage == "rcpt" {
			return smtppeer.Permanent
		}
		return nil
	})
	e.post(t, "to a dead address")
	step(t, e.worker)
	dead, _ := e.store.Queue.DeadLetters(e.ctx, 10)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "550") {
		t.Fatalf("dead letters = %+v", dead)
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); !u.EmailFailing {
		t.Fatal("bob's address not marked failing")
	}
}

func TestOutboxTransport(t *testing.T) {
	r := redispeer.New(t)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix})
	msg := "From: x@y\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nbody\r\n"
	if err := (Outbox{Queue: s.Queue}).Send(context.Background(), "x@y", []string{"bob@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Queue.Outbox(context.Background(), "", 10)
	if err != nil || len(got) != 1 || got[0].Subject != "Café" || got[0].To != "bob@example.org" || got[0].Body != msg {
		t.Fatalf("outbox = %+v, %v", got, err)
	}
}

// TestEmailSetupErrorIsRetried: a refusal that is about parley's own setup
// (the sender) is retried, never blamed on the member's address.
func TestEmailSetupErrorIsRetried(t *testing.T) {
	e := newMailEnv(t, 0)
	e.sink.Refuse(func(stage string) error {
		if stage == "mail" {
			return smtppeer.Permanent
		}
		return nil
	})
	e.post(t, "hello")
	step(t, e.worker)
	if st, _ := e.store.Queue.Stats(e.ctx); st.Dead != 0 || st.Batches != 1 {
		t.Fatalf("after a refused sender: %+v", st)
	}
	if u, _ := e.store.Directory.User(e.ctx, "bob"); u.EmailFailing {
		t.Fatal("a setup error marked bob's address failing")
	}
	e.sink.Refuse(nil)
	e.clock.Add(time.Minute)
	step(t, e.worker)
	if n := len(e.sink.Messages()); n != 1 {
		t.Fatalf("%d emails after the setup was fixed", n)
	}
}

func TestNoticesAreSent(t *testing.T) {
	e := newMailEnv(t, 0)
	if _, err := e.store.Queue.QueueNotice(e.ctx, threads.Notice{To: "stranger@example.org", Kind: "refused",
		Title: "Your message was not posted", Text: "This address only takes replies from members.", InReplyTo: "m1@example.org"}); err != nil {
		t.Fatal(err)
	}
	step(t, e.worker)
	msgs := e.sink.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "stranger@example.org" {
		t.Fatalf("sent %+v", msgs)
	}
	m := parse(t, msgs[0].Data)
	if m.Header.Get("Subject") != "Your message was not posted" || m.Header.Get("Auto-Submitted") != "auto-replied" ||
		m.Header.Get("In-Reply-To") != "<m1@example.org>" {
		t.Fatalf("notice headers: %v", m.Header)
	}
	step(t, e.worker)
	if len(e.sink.Messages()) != 1 {
		t.Fatal("notice sent twice")
	}
}

func TestSignInNoticeIsSent(t *testing.T) {
	e := newMailEnv(t, 0)
	link := "https://chat.example.org/signin/abc"
	if _, err := e.store.Queue.QueueNotice(e.ctx, threads.Notice{To: "bob@example.org", Kind: threads.NoticeSignIn,
		Name: "Bob", Link: link}); err != nil {
		t.Fatal(err)
	}
	step(t, e.worker)
	msgs := e.sink.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "bob@example.org" {
		t.Fatalf("sent %+v", msgs)
	}
	m := parse(t, msgs[0].Data)
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	if m.Header.Get("Subject") != "Your parley sign-in link" || m.Header.Get("Auto-Submitted") != "auto-generated" ||
		!strings.Contains(string(body), "\r\n"+link+"\r\n") || !strings.Contains(string(body), "within 15 minutes") {
		t.Fatalf("sign-in notice: %v\n%s", m.Header, body)
	}
}

func TestFailingAddressRecovers(t *testing.T) {
	// A failing address gets nothing until the retry time; then the next
	// email is a test send, and its success clears the mark.
	e := newMailEnv(t, 0)
	if _, err := e.store.Directory.MarkEmailFailing(e.ctx, "bob", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	e.post(t, "while bob bounces")
	step(t, e.worker)
	if n := len(e.sink.Messages()); n != 0 {
		t.Fatalf("%d emails to a failing address", n)
	}
	e.clock.Add(threads.DefaultBounceRetryAfter + time.Minute)
	e.post(t, "three days later")
	step(t, e.worker)
	if n := len(e.sink.Messages()); n != 1 {
		t.Fatalf("%d emails after the retry time, want the test send", n)
	}
	u, _ := e.store.Directory.User(e.ctx, "bob")
	if u.EmailFailing || !u.EmailRetryAt.IsZero() {
		t.Fatalf("after a delivery: failing %v, retry at %v", u.EmailFailing, u.EmailRetryAt)
	}
}
