package outbound

import (
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/postfixpeer"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// TestEmailThroughSmtpSink relays a batch through Postfix's smtp-sink and
// reads what it captured: envelope, threading headers, batching and text.
func TestEmailThroughSmtpSink(t *testing.T) {
	sink := postfixpeer.StartSink(t, true)
	e := newMailEnv(t, 2*time.Minute)
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, LocalName: "parley.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	comp, _ := mailcompose.New(mailcompose.Options{Domain: "parley.test", Now: e.clock.Now})
	email := NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: comp,
		Transport: client, Domain: "parley.test", PublicURL: "https://chat.example.org"})
	e.worker = NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "w", Log: quiet})

	e.post(t, "First line")
	step(t, e.worker)
	e.clock.Add(time.Minute)
	e.post(t, "Second line")
	step(t, e.worker)
	e.clock.Add(61 * time.Second)
	step(t, e.worker)

	got := sink.Messages(t)
	if len(got) != 1 {
		t.Fatalf("smtp-sink captured %d messages, want 1 batch", len(got))
	}
	m := got[0]
	room, _ := e.store.Chat.Room(e.ctx, "design")
	for _, want := range []string{
		"X-Mail-Args: <bounces+", // VERP: bounces+TOKEN@parley.test
		"X-Rcpt-Args: <bob@example.org>",
		"From: \"Alice Archer (parley)\" <parley@parley.test>",
		"In-Reply-To: <" + threads.RootMessageID(room, "parley.test") + ">",
		"References: <" + threads.RootMessageID(room, "parley.test") + ">",
		"Subject: [Design] Alice Archer: First line",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Alice Archer (Wed 10:00 CET): First line",
		"Alice Archer (Wed 10:01 CET): Second line",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("captured message lacks %q:\n%s", want, m)
		}
	}
}
