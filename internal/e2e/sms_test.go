package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
)

// TestSMSLoop drives the SMS loop through the real binary: a line
// mentioning carol (offline, with a phone) reaches a fake Twilio through
// twilio-go; carol's reply, signed as Twilio signs it, arrives at parley's
// webhook on its HTTP server, becomes her line in the room and is relayed
// to bob (away) by email.
func TestSMSLoop(t *testing.T) {
	const (
		public = "https://parley.example.org"
		carol  = "+15550002222"
		reply  = "Calling them at 11, the header looks fine on my phone."
	)
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM=+15550009999", "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public, "PARLEY_SMS_RATE=50")
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--email", "carol@example.org", "--phone", carol)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "bob", "away")
	p.run(t, "presence", "set", "carol", "offline", "--message", "on the road")
	p.run(t, "post", "--room", room, "--as", "alice", "@carol can you call the printer before noon?")

	var text twiliopeer.Message
	waitFor(t, mailWait, "a text to carol at the fake Twilio", func() bool {
		for _, m := range fake.Messages() {
			if m.To == carol {
				text = m
				return true
			}
		}
		return false
	})
	if text.Body != "[Design] Alice Archer: @carol can you call the printer before noon?" || text.From != "+15550009999" {
		t.Fatalf("text from %s: %q", text.From, text.Body)
	}
	if text.StatusCallback != public+"/sms/twilio/status" || text.ValidityPeriod != "14400" {
		t.Errorf("text's status callback %q, validity %q", text.StatusCallback, text.ValidityPeriod)
	}

	post := func(path string, token string, form map[string][]string) (int, string) {
		t.Helper()
		code, body, err := postWebhook(p, public, token, path, form)
		if err != nil {
			t.Fatal(err)
		}
		return code, body
	}
	if code, body := post("/sms/twilio/status", fake.AuthToken, fake.StatusParams(text, "delivered", 0)); code != http.StatusNoContent {
		t.Fatalf("status callback answered %d %s", code, body)
	}

	in := fake.InboundParams(carol, text.From, reply)
	if code, body := post("/sms/twilio", "0123456789abcdef0123456789abcdef", in); code != http.StatusForbidden {
		t.Fatalf("a forged text answered %d %s", code, body)
	}
	start := time.Now()
	code, body := post("/sms/twilio", fake.AuthToken, in)
	if code != http.StatusOK || !strings.Contains(body, "<Response/>") {
		t.Fatalf("carol's text answered %d %s", code, body)
	}
	t.Logf("webhook answered carol's text in %v", time.Since(start).Round(time.Millisecond))
	// The line is stored before Twilio gets its 200.
	ls := p.lines(t, room)
	last := ls[len(ls)-1]
	if last.Author != "carol" || last.Origin != "sms" || last.Text != reply || last.Source != "sms:"+in.Get("MessageSid") {
		t.Fatalf("last line %+v", last)
	}
	p.waitEmail(t, "bob@example.org", reply, mailWait)

	// Twilio's retry of the same text changes nothing.
	if code, _ := post("/sms/twilio", fake.AuthToken, in); code != http.StatusOK {
		t.Fatalf("retry answered %d", code)
	}
	if n := len(p.lines(t, room)); n != len(ls) {
		t.Fatalf("%d lines after a retry, want %d", n, len(ls))
	}
	p.stop(t, fake.AuthToken)
}
