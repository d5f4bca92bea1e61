package inbound

import (
	"fmt"
	"strings"
	"testing"

	"parley/threads"
)

// TestTwoNaiveResponders: bob's and carol's mailboxes answer every email
// with the same text and none of the RFC 3834 headers. Each answer is
// relayed to the other, who answers again. Within a minute the room gets
// at most 5 lines, and the admin log says why the rest were dropped.
func TestTwoNaiveResponders(t *testing.T) {
	tests := []struct {
		name string
		text func(who string, round int) string
	}{
		{"the same text each time", func(who string, _ int) string { return who + " is out of the office." }},
		// A responder that quotes a counter never repeats: the rate stops it.
		{"a new text each time", func(who string, round int) string { return fmt.Sprintf("%s is out (ticket %d).", who, round) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRenv(t, Options{})
			carolTok, err := e.store.Auth.ReplyToken(e.ctx, "design", "carol")
			if err != nil {
				t.Fatal(err)
			}
			addr := map[string]string{"bob": e.bob, "carol": threads.ReplyAddress(carolTok, "parley.test")}
			for round := 0; round < 40; round++ { // 80 emails in well under a minute
				for _, who := range []string{"bob", "carol"} {
					raw := reply(who+"@example.org", addr[who], fmt.Sprintf("auto%d.%s@x", round, who), tt.text(who, round))
					if _, err := e.mail.Receive(e.ctx, Envelope{Door: "smtp", MailFrom: who + "@example.org", Rcpt: []string{addr[who]}}, raw); err != nil {
						t.Fatalf("round %d, %s: %v", round, who, err)
					}
				}
			}
			n := len(e.lines(t))
			if n > 5 && tt.name == "the same text each time" || n > 2*threads.DefaultEmailLinesPerMinute {
				t.Fatalf("%d lines posted by two responders in a minute", n)
			}
			t.Logf("%s: %d lines posted of 80 emails", tt.name, n)
			entries, err := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{})
			if err != nil || len(entries) == 0 || !strings.Contains(fmt.Sprint(entries), "mail.loop") {
				t.Fatalf("admin log %+v, %v", entries, err)
			}
		})
	}
}

func TestRedeliveryIsNoRepeat(t *testing.T) {
	// The same message twice is a duplicate (one line), not a loop.
	e := newRenv(t, Options{})
	raw := reply("bob@example.org", e.bob, "once@x", "see you at ten")
	for i, want := range []Outcome{Posted, Duplicate} {
		if res, err := e.receive(t, raw, e.bob); err != nil || res.Outcome != want {
			t.Fatalf("delivery %d: %+v, %v", i, res, err)
		}
	}
}

func TestNullSenderNonReportNotPosted(t *testing.T) {
	e := newRenv(t, Options{})
	raw := reply("bob@example.org", e.bob, "null1@x", "posted from <>")
	res, err := e.mail.Receive(e.ctx, Envelope{Door: "smtp", MailFrom: "", Rcpt: []string{e.bob}}, raw)
	if err != nil || res.Outcome != Ignored || len(e.lines(t)) != 0 {
		t.Fatalf("Receive = %+v, %v; %d lines", res, err, len(e.lines(t)))
	}
}
