package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// TestMeetEveryDoor drives /meet through the real binary from each door:
// alice types /meet in the web composer (the API), bob answers a relay
// email with only "/meet ...", carol texts "MEET ...". Each meeting's link
// reaches every member exactly once: alice (online) in the room, bob and
// dave (away) by one email each, carol (offline) by one text; the sender
// gets it as the door's answer (the API's, a notice email, a text).
func TestMeetEveryDoor(t *testing.T) {
	const (
		public = "https://parley.example.org"
		carol  = "+15550002222"
		from   = "+15550009999"
	)
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, append(trustedReplies, "TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken,
		"PARLEY_SMS_FROM="+from, "PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL="+public, "PARLEY_SMS_RATE=50")...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--email", "carol@example.org", "--phone", carol)
	p.run(t, "user", "add", "--id", "dave", "--name", "Dave Dunn", "--email", "dave@example.org")
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol,dave")
	p.run(t, "presence", "set", "bob", "away")
	p.run(t, "presence", "set", "dave", "away")
	p.run(t, "presence", "set", "carol", "offline", "--message", "on the road")
	online := func() { p.run(t, "presence", "heartbeat", "alice") }
	online()

	// Bob needs a relay email to answer, carol a text to answer.
	p.run(t, "post", "--room", room, "--as", "alice", "@carol @bob a meeting later?")
	rel := parseRelayed(t, p.waitEmail(t, "bob@example.org", "a meeting later?", mailWait).Body)
	waitFor(t, mailWait, "carol's first text", func() bool { return len(textsTo(fake, carol, "a meeting later?")) == 1 })

	// The web: alice's /meet through the API, with her API token.
	st := threads.New(rd.Client, threads.Options{Prefix: rd.Prefix})
	secret, _, err := st.Auth.NewAPIToken(context.Background(), "alice", "meet test")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"text": "/meet web sync"})
	req, _ := http.NewRequest("POST", "http://"+p.HTTP+"/api/rooms/"+room+"/lines", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/meet from the web answered %d %s", res.StatusCode, answer)
	}
	web := meetingLink(t, p, "web sync")
	if !strings.Contains(string(answer), web) {
		t.Errorf("the web's answer lacks the link %s: %s", web, answer)
	}

	// Email: bob answers his relay email with only /meet.
	online()
	msg := fmt.Sprintf("From: Bob Ray <bob@example.org>\r\nTo: %s\r\nSubject: Re: [Design] chat in Design\r\nMessage-ID: <meet-%s@example.org>\r\n"+
		"In-Reply-To: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n/meet email review\r\n",
		rel.ReplyTo, randomHex(t, 6), rel.MessageID, time.Now().Format(time.RFC1123Z))
	if err := sendPlain(p.SMTP, "bob@example.org", rel.ReplyTo, msg); err != nil {
		t.Fatalf("bob's /meet by email: %v", err)
	}
	email := meetingLink(t, p, "email review")

	// SMS: carol texts MEET.
	online()
	code, twiml, err := postWebhook(p, public, fake.AuthToken, "/sms/twilio", fake.InboundParams(carol, from, "MEET sms standup"))
	if err != nil || code != http.StatusOK {
		t.Fatalf("carol's MEET answered %d %s (%v)", code, twiml, err)
	}
	sms := meetingLink(t, p, "sms standup")

	// A last line to everyone: once it has reached bob, dave and carol,
	// every meeting before it has too (one queue per member, in order).
	p.run(t, "post", "--room", room, "--as", "alice", "@bob @carol @dave end of meetings")
	for _, to := range []string{"bob@example.org", "dave@example.org"} {
		p.waitEmail(t, to, "end of meetings", mailWait)
	}
	waitFor(t, mailWait, "carol's last text", func() bool { return len(textsTo(fake, carol, "end of meetings")) == 1 })

	emailsWith := func(to, link string) int {
		n := 0
		for _, e := range p.emails(t, to) {
			if strings.Contains(plainText(t, e.Body), link) {
				n++
			}
		}
		return n
	}
	for _, m := range []struct{ door, link string }{{"web", web}, {"email", email}, {"sms", sms}} {
		got := map[string]int{
			"alice email": emailsWith("alice@example.org", m.link),
			"bob email":   emailsWith("bob@example.org", m.link),
			"dave email":  emailsWith("dave@example.org", m.link),
			"carol email": emailsWith("carol@example.org", m.link),
			"carol sms":   len(textsTo(fake, carol, m.link)),
		}
		lines := 0
		for _, l := range p.lines(t, room) {
			if strings.Contains(l.Source, m.link) {
				lines++
			}
		}
		// The sender too: bob by the notice, carol by the answer to MEET.
		want := map[string]int{"alice email": 0, "bob email": 1, "dave email": 1, "carol email": 0, "carol sms": 1}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("/meet from %s: %s got the link %d times, want %d (all: %v)", m.door, k, got[k], w, got)
			}
		}
		if lines != 1 {
			t.Errorf("/meet from %s: %d meeting lines in the room, want 1", m.door, lines)
		}
	}
	p.stop(t, fake.AuthToken)
}

// meetingLink waits for the meeting line whose text holds topic and
// returns its link.
func meetingLink(t *testing.T, p *parley, topic string) string {
	t.Helper()
	var link string
	waitFor(t, mailWait, "the meeting line "+topic, func() bool {
		for _, l := range p.lines(t, room) {
			if rest, ok := strings.CutPrefix(l.Source, "meet:"); ok && strings.Contains(l.Text, topic) {
				_, link, _ = strings.Cut(rest, " ")
				return link != ""
			}
		}
		return false
	})
	return link
}

// textsTo returns the texts the fake Twilio took for to that hold s.
func textsTo(fake *twiliopeer.Server, to, s string) []twiliopeer.Message {
	var out []twiliopeer.Message
	for _, m := range fake.Messages() {
		if m.To == to && strings.Contains(m.Body, s) {
			out = append(out, m)
		}
	}
	return out
}
