package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
)

// TestAutoReplyBackOnSendersChannel: bob is away with a status text.
// alice writes to him by email through parley's SMTP door and gets exactly
// one auto-reply email (Auto-Submitted: auto-replied, In-Reply-To her
// message); an auto-submitted message before it and a second message
// within the period get none. carol writes to him by SMS through the
// signed webhook and gets exactly one text back from the fake Twilio,
// however often she writes within the period.
func TestAutoReplyBackOnSendersChannel(t *testing.T) {
	const (
		public = "https://parley.example.org"
		carol  = "+15550002222"
		parley = "+15550009999"
	)
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM="+parley, "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public, "PARLEY_SMS_RATE=50")
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--email", "carol@example.org", "--phone", carol)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "alice", "away")
	p.run(t, "post", "--room", room, "--as", "bob", "@alice the header is in the shared folder")
	rel := parseRelayed(t, p.waitEmail(t, "alice@example.org", "the header is in the shared folder", mailWait).Body)
	p.run(t, "presence", "set", "bob", "away", "--message", "at the clinic")
	p.run(t, "presence", "set", "carol", "available")

	send := func(id, text, extra string) {
		t.Helper()
		msg := fmt.Sprintf("From: Alice Archer <alice@example.org>\r\nTo: %s\r\nSubject: Re: %s\r\n"+
			"Message-ID: <%s@mail.example.org>\r\nIn-Reply-To: %s\r\nDate: %s\r\n%s"+
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			rel.ReplyTo, rel.Subject, id, rel.MessageID, time.Now().Format(time.RFC1123Z), extra, text)
		if err := sendPlain(p.SMTP, "alice@example.org", rel.ReplyTo, msg); err != nil {
			t.Fatalf("alice's message %s: %v", id, err)
		}
	}
	autoReplies := func() []outboxEntry {
		var out []outboxEntry
		for _, e := range p.emails(t, "alice@example.org") {
			if strings.Contains(e.Subject, "(auto-reply)") {
				out = append(out, e)
			}
		}
		return out
	}

	// An out-of-office of alice's own is never answered (nor posted).
	send("ooo-1", "I am out of the office.", "Auto-Submitted: auto-generated\r\n")
	p.waitLog(t, mailWait, `msg="smtp message accepted"`, "outcome=ignored")

	first := "m1-" + randomHex(t, 6)
	send(first, "@bob are you there?", "")
	var got outboxEntry
	waitFor(t, mailWait, "an auto-reply email to alice", func() bool {
		ars := autoReplies()
		if len(ars) > 0 {
			got = ars[0]
		}
		return len(ars) > 0
	})
	m, err := mail.ReadMessage(strings.NewReader(got.Body))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{"Auto-Submitted": "auto-replied", "In-Reply-To": "<" + first + "@mail.example.org>",
		"Subject": "Bob Ray is away (auto-reply)", "X-Auto-Response-Suppress": "All"} {
		if v := m.Header.Get(field); v != want {
			t.Errorf("auto-reply %s: %q, want %q", field, v, want)
		}
	}
	if text := plainText(t, got.Body); !containsWords(text, "Bob Ray is away and answered automatically: at the clinic") ||
		!containsWords(text, "Your message was posted in Design;") {
		t.Errorf("auto-reply text:\n%s", text)
	}

	// A second message within the period: posted and relayed, no answer.
	send("m2-"+randomHex(t, 6), "@bob hello again?", "")
	p.waitEmail(t, "bob@example.org", "hello again?", mailWait)

	// By SMS: carol's text, then another, get one text back.
	post := func(form map[string][]string) {
		t.Helper()
		req, err := twiliopeer.NewSignedRequest(context.Background(), fake.AuthToken, public+"/sms/twilio", "http://"+p.HTTP+"/sms/twilio", form)
		if err != nil {
			t.Fatal(err)
		}
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("carol's text answered %d", res.StatusCode)
		}
	}
	textsToCarol := func() []twiliopeer.Message {
		var out []twiliopeer.Message
		for _, m := range fake.Messages() {
			if m.To == carol {
				out = append(out, m)
			}
		}
		return out
	}
	post(fake.InboundParams(carol, parley, "#"+room+" @bob can you call me?"))
	waitFor(t, mailWait, "a text back to carol", func() bool { return len(textsToCarol()) > 0 })
	if got := textsToCarol()[0]; got.Body != "parley: Bob Ray is away (auto-reply, Design): at the clinic" || got.From != parley {
		t.Errorf("text back from %s: %q", got.From, got.Body)
	}
	post(fake.InboundParams(carol, parley, "#"+room+" @bob still there?"))
	p.waitEmail(t, "bob@example.org", "still there?", mailWait)

	// The worker sends notices before the batches it leases in the same
	// round; give a late one time to show.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if n := len(autoReplies()); n != 1 {
			t.Fatalf("alice got %d auto-reply emails, want exactly 1", n)
		}
		if n := len(textsToCarol()); n != 1 {
			t.Fatalf("carol got %d texts, want exactly 1: %+v", n, textsToCarol())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The auto-reply line itself is in the room, never relayed.
	for _, e := range p.emails(t, "bob@example.org") {
		if strings.Contains(plainText(t, e.Body), "(auto-reply)") {
			t.Errorf("an auto-reply line was relayed to bob: %s", e.Subject)
		}
	}
	p.stop(t, fake.AuthToken)
}
