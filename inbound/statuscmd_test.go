package inbound

import (
	"strings"
	"testing"
	"time"

	"parley/threads"
)

func TestParseStatusCommand(t *testing.T) {
	cases := []struct {
		in     string
		strict bool
		ok     bool
		want   StatusCommand
	}{
		{in: "BACK", strict: true, ok: true, want: StatusCommand{Back: true}},
		{in: "  BACK.\n", strict: true, ok: true, want: StatusCommand{Back: true}},
		{in: "back", ok: true, want: StatusCommand{Back: true}},
		{in: "back", strict: true},
		{in: "Back tomorrow, will look then", strict: true},
		{in: "BACK tomorrow", strict: true},
		{in: "AWAY at the clinic", strict: true, ok: true, want: StatusCommand{Text: "at the clinic"}},
		{in: "AWAY: at the clinic", strict: true, ok: true, want: StatusCommand{Text: "at the clinic"}},
		{in: "AWAY", strict: true, ok: true, want: StatusCommand{}},
		{in: "AWAY until Friday: at the clinic", strict: true, ok: true,
			want: StatusCommand{Until: "Friday", HasUntil: true, Text: "at the clinic"}},
		{in: "AWAY until 15:00: at the clinic, back at three", strict: true, ok: true,
			want: StatusCommand{Until: "15:00", HasUntil: true, Text: "at the clinic, back at three"}},
		{in: "AWAY until 15:00", strict: true, ok: true, want: StatusCommand{Until: "15:00", HasUntil: true}},
		{in: "AWAY until 2026-11-30 17:45: off", strict: true, ok: true,
			want: StatusCommand{Until: "2026-11-30 17:45", HasUntil: true, Text: "off"}},
		{in: "Away until friday:\nat the clinic\nall week", ok: true,
			want: StatusCommand{Until: "friday", HasUntil: true, Text: "at the clinic all week"}},
		{in: "Away from my desk until 3", strict: true},
		{in: "AWAY\nat the clinic", strict: true},
		{in: "AWAYS", strict: true},
		{in: "awayish", ok: false},
		{in: "", strict: true},
		{in: "AWAY " + strings.Repeat("x", 300), strict: true, ok: true, want: StatusCommand{Text: strings.Repeat("x", 199) + "…"}},
	}
	for _, c := range cases {
		got, ok := ParseStatusCommand(c.in, c.strict)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseStatusCommand(%q, strict %v) = %+v, %v; want %+v, %v", c.in, c.strict, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParseStatusCommand(f *testing.F) {
	for _, s := range []string{"BACK", "AWAY until Friday: at the clinic", "away until 15:00: x", "AWAY: \xff", "AWAY until :"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, strict bool) {
		cmd, ok := ParseStatusCommand(s, strict)
		if !ok {
			return
		}
		if len([]rune(cmd.Text)) > maxStatusText || strings.ContainsAny(cmd.Text, "\r\n") {
			t.Errorf("ParseStatusCommand(%q): text %q too long or on several lines", s, cmd.Text)
		}
		if cmd.Back && (cmd.Text != "" || cmd.HasUntil) {
			t.Errorf("ParseStatusCommand(%q): BACK with more: %+v", s, cmd)
		}
		if cmd.HasUntil {
			_, _ = threads.ParseUntil(cmd.Until, time.Now(), time.UTC) // must not panic
		}
	})
}

// TestStatusByEmail sets and clears a status through the Receiver: at
// status@ and as the whole text of a reply.
func TestStatusByEmail(t *testing.T) {
	e := newRenv(t, Options{})
	const status = "status@parley.test"
	if err := e.mail.CheckRecipient(e.ctx, "Status@Parley.test"); err != nil {
		t.Fatalf("CheckRecipient(status@): %v", err)
	}
	presence := func() threads.Presence {
		p, err := e.store.Chat.Presence(e.ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	res, err := e.receive(t, reply("Bob <bob@home.example>", status, "s1@x", "AWAY until 2099-01-01: at the clinic\n\n-- \nBob"), status)
	if err != nil || res.Outcome != StatusSet || res.Member != "bob" || res.Note != "away until Thu 1 Jan 00:00 UTC: at the clinic" {
		t.Fatalf("AWAY at status@ = %+v, %v", res, err)
	}
	if p := presence(); p.State != threads.StateAway || p.Text() != "at the clinic" || p.Status.Until.Year() != 2099 {
		t.Fatalf("presence after AWAY: %+v", p)
	}
	ns, err := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Minute)
	if err != nil || len(ns) != 1 || ns[0].To != "bob@home.example" || !strings.Contains(ns[0].Text, "at the clinic") {
		t.Fatalf("confirmation notices %+v, %v", ns, err)
	}

	// The engine answers alice with bob's text.
	p, err := e.store.Chat.Post(e.ctx, threads.NewLine{Room: "design", Author: "alice", Text: "@bob ok?", Origin: threads.FromWeb})
	if err != nil || len(p.AutoReplies) != 1 || p.AutoReplies[0].Text != "at the clinic (until Thu 1 Jan 00:00 UTC)" {
		t.Fatalf("auto-reply after AWAY by email: %+v, %v", p.AutoReplies, err)
	}

	// BACK as the whole reply in the room: the status ends, nothing is posted.
	before := len(e.lines(t))
	res, err = e.receive(t, reply("bob@example.org", e.bob, "s2@x", "BACK\n\nOn Tue, 24 Nov 2026 at 09:14, Alice (parley) <parley@parley.test> wrote:\n> ok?"), e.bob)
	if err != nil || res.Outcome != StatusSet || res.Room != "design" {
		t.Fatalf("BACK reply = %+v, %v", res, err)
	}
	if p := presence(); p.State == threads.StateAway || p.Status == nil || p.Status.Availability != threads.Available {
		t.Fatalf("presence after BACK: %+v", p)
	}
	if n := len(e.lines(t)); n != before {
		t.Fatalf("BACK was posted: %d lines, want %d", n, before)
	}
	// A chat reply that merely starts with the word is posted.
	res, err = e.receive(t, reply("bob@example.org", e.bob, "s3@x", "Back tomorrow, will look then"), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("chat reply = %+v, %v", res, err)
	}
	// AWAY in the subject of an empty message to status@, found by the To header (IMAP).
	raw := []byte("From: bob@example.org\r\nTo: status@parley.test\r\nSubject: away: on leave\r\nMessage-ID: <s4@x>\r\n\r\n")
	res, err = e.mail.Receive(e.ctx, Envelope{Door: "imap"}, raw)
	if err != nil || res.Outcome != StatusSet || presence().Text() != "on leave" {
		t.Fatalf("AWAY in the subject = %+v, %v, %+v", res, err, presence())
	}

	// status@ answers a stranger as it answers a member (no enumeration of
	// members): taken and dropped; only the member's address is told.
	for _, c := range []struct{ name, from string }{
		{"stranger at status@", "eve@evil.example"},
		{"not a command", "bob@example.org"},
	} {
		res, err := e.receive(t, reply(c.from, status, c.name+"@x", "hello there"), status)
		if err != nil || res.Outcome != Ignored || res.Note == "" {
			t.Errorf("%s: %+v, %v; want taken and dropped", c.name, res, err)
		}
	}
	notices, err := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, n := range notices {
		if n.Kind == noticeRefused {
			told = append(told, n.To)
		}
	}
	if strings.Join(told, ",") != "bob@example.org" {
		t.Errorf("told %v about a message to status@ that was no command, want bob only", told)
	}

	// Refusals: a sender who is not the member, a bad until.
	for _, c := range []struct {
		name, from, to, body string
	}{
		{"until in the past", "bob@example.org", status, "AWAY until 2001-01-01: old"},
		{"until unreadable", "bob@example.org", status, "AWAY until the cows come home: x"},
		{"someone else's reply address", "carol@example.org", e.bob, "BACK"},
	} {
		res, err := e.receive(t, reply(c.from, c.to, c.name+"@x", c.body), c.to)
		ie := AsError(err)
		if err == nil || ie.Temporary || ie.Reason == "" {
			t.Errorf("%s: %+v, %v; want a permanent refusal", c.name, res, err)
		}
	}
	if p := presence(); p.Text() != "on leave" {
		t.Errorf("a refused command changed the status: %+v", p)
	}
	// An out-of-office reply to status@ is no command.
	res, err = e.receive(t, reply("bob@example.org", status, "s5@x", "AWAY I am out", "Auto-Submitted: auto-replied"), status)
	if err != nil || res.Outcome == StatusSet {
		t.Errorf("automatic mail to status@: %+v, %v", res, err)
	}
}
