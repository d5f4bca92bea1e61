package inbound

import (
	"strings"
	"testing"

	"parley/threads"
)

// noID builds a plain-text reply without a Message-ID.
func noID(from, to, date, body string) []byte {
	h := "From: " + from + "\r\nTo: " + to + "\r\nSubject: Re: [Design] chat in Design\r\n"
	if date != "" {
		h += "Date: " + date + "\r\n"
	}
	return []byte(h + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

// TestDedupeWithoutMessageID: a reply without a Message-ID delivered twice
// is one line; another Date or another text is another line.
func TestDedupeWithoutMessageID(t *testing.T) {
	const date = "Tue, 24 Nov 2026 09:14:00 +0100"
	e := newRenv(t, Options{})
	first := noID("bob@example.org", e.bob, date, "Ship it.\n")
	for _, tc := range []struct {
		name string
		raw  []byte
		want Outcome
	}{
		{"first delivery", first, Posted},
		{"the same bytes again", first, Duplicate},
		{"the same date written in another zone", noID("bob@example.org", e.bob, "Tue, 24 Nov 2026 08:14:00 +0000", "Ship it.\n"), Duplicate},
		// Not a duplicate, but the same text within the hour: the loop
		// breaker drops it.
		{"another date", noID("bob@example.org", e.bob, "Tue, 24 Nov 2026 10:00:00 +0100", "Ship it.\n"), Ignored},
		{"another text", noID("bob@example.org", e.bob, date, "Ship it on Monday.\n"), Posted},
		{"no date, twice: first", noID("bob@example.org", e.bob, "", "Thanks\n"), Posted},
		{"no date, twice: again", noID("bob@example.org", e.bob, "", "Thanks\n"), Duplicate},
	} {
		res, err := e.receive(t, tc.raw, e.bob)
		if err != nil || res.Outcome != tc.want {
			t.Errorf("%s: Receive = %+v, %v; want %v", tc.name, res, err, tc.want)
		}
	}
	if n := len(e.lines(t)); n != 3 {
		t.Errorf("room holds %d lines, want 3", n)
	}
}

// TestDedupeByAuthor: a Message-ID another member used first does not
// suppress bob's reply (anyone may write any Message-ID; issue 20).
func TestDedupeByAuthor(t *testing.T) {
	e := newRenv(t, Options{})
	tok, err := e.store.Auth.ReplyToken(e.ctx, "design", "alice")
	if err != nil {
		t.Fatal(err)
	}
	alice := threads.ReplyAddress(tok, "parley.test")
	res, err := e.mail.Receive(e.ctx, Envelope{Door: "smtp", MailFrom: "alice@example.org", Rcpt: []string{alice}},
		reply("alice@example.org", alice, "bobs-next@example.org", "first with bob's id"))
	if err != nil || res.Outcome != Posted {
		t.Fatalf("alice: %+v, %v", res, err)
	}
	if res, err := e.receive(t, reply("bob@example.org", e.bob, "bobs-next@example.org", "bob's own reply"), e.bob); err != nil || res.Outcome != Posted {
		t.Fatalf("bob's reply with the Message-ID alice used first: %+v, %v; want posted", res, err)
	}
	if res, err := e.receive(t, reply("bob@example.org", e.bob, "bobs-next@example.org", "bob's own reply"), e.bob); err != nil || res.Outcome != Duplicate {
		t.Fatalf("bob's reply again: %+v, %v; want a duplicate", res, err)
	}
}
