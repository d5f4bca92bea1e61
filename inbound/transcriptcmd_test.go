package inbound

import (
	"errors"
	"testing"
	"time"

	"parley/threads"
)

func TestParseTranscriptCommand(t *testing.T) {
	cases := []struct {
		in   string
		span time.Duration
		ok   bool
	}{
		{"TRANSCRIPT", 0, true},
		{"  transcript.\n", 0, true},
		{"Transcript 7d", 7 * 24 * time.Hour, true},
		{"TRANSCRIPT 12h", 12 * time.Hour, true},
		{"TRANSCRIPT 2W", 14 * 24 * time.Hour, true},
		{"TRANSCRIPT 0d", 0, false},
		{"TRANSCRIPT 9999w", 0, false},
		{"TRANSCRIPT please", 0, false},
		{"the transcript is ready", 0, false},
		{"TRANSCRIPT\nand more", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		span, ok := ParseTranscriptCommand(tc.in)
		if span != tc.span || ok != tc.ok {
			t.Errorf("%q: %v %v, want %v %v", tc.in, span, ok, tc.span, tc.ok)
		}
	}
}

func FuzzParseTranscriptCommand(f *testing.F) {
	f.Add("TRANSCRIPT 7d")
	f.Add("transcript 9999h")
	f.Fuzz(func(t *testing.T, s string) {
		span, ok := ParseTranscriptCommand(s)
		if span < 0 || span > maxTranscriptSpan || (!ok && span != 0) {
			t.Fatalf("%q: %v %v", s, span, ok)
		}
	})
}

// TestTranscriptByEmail: TRANSCRIPT as the whole reply queues the room's
// transcript for the worker; nothing is posted.
func TestTranscriptByEmail(t *testing.T) {
	e := newRenv(t, Options{})
	res, err := e.receive(t, reply("Bob <bob@example.org>", e.bob, "t1@example.org", "TRANSCRIPT 7d\n\nOn Wed, 25 Nov 2026, Alice (parley) <parley@parley.test> wrote:\n> hi"), e.bob)
	if err != nil || res.Outcome != TranscriptQueued || res.Room != "design" || res.Note != "transcript queued" {
		t.Fatalf("%+v, %v", res, err)
	}
	reqs, err := e.store.Queue.ClaimTranscripts(e.ctx, "w", 10, time.Minute)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %+v, %v", reqs, err)
	}
	r := reqs[0]
	if r.Room != "design" || r.Member != "bob" || r.To != "bob@example.org" || r.InReplyTo != "t1@example.org" ||
		r.Since.IsZero() || time.Since(r.Since) < 7*24*time.Hour-time.Minute {
		t.Errorf("request %+v", r)
	}
	if lines, _ := e.store.Chat.Lines(e.ctx, "design", threads.Range{}); len(lines) != 0 {
		t.Errorf("the command was posted: %+v", lines)
	}
	// Asked again at once: not queued twice.
	res, err = e.receive(t, reply("Bob <bob@example.org>", e.bob, "t2@example.org", "transcript"), e.bob)
	if err != nil || res.Outcome != TranscriptQueued || res.Note == "transcript queued" {
		t.Errorf("second request: %+v, %v", res, err)
	}
	// From someone else's address: refused like any reply.
	if _, err := e.receive(t, reply("Eve <eve@example.org>", e.bob, "t3@example.org", "TRANSCRIPT"), e.bob); err == nil {
		t.Error("a stranger got bob's transcript")
	}
}

// TestDigestReplyExplained: a reply to a digest's own address is posted
// nowhere; its sender gets one explanation.
func TestDigestReplyExplained(t *testing.T) {
	e := newRenv(t, Options{})
	tok, _, err := e.store.Auth.DigestTokens(e.ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	addr := threads.DigestAddress(tok, "parley.test")
	if err := e.mail.CheckRecipient(e.ctx, addr); err != nil {
		t.Fatalf("RCPT %s: %v", addr, err)
	}
	if err := e.mail.CheckRecipient(e.ctx, threads.DigestAddress("abcdefghijklmnopqrstuvwxyz234567", "parley.test")); err == nil {
		t.Error("a forged digest address was accepted at RCPT")
	}
	res, err := e.receive(t, reply("Bob <bob@example.org>", addr, "d1@example.org", "Thanks, see you Friday"), addr)
	if err != nil || res.Outcome != Explained || res.Member != "bob" {
		t.Fatalf("%+v, %v", res, err)
	}
	notices, _ := e.store.Queue.ClaimNotices(e.ctx, "w", 10, time.Minute)
	if len(notices) != 1 || notices[0].To != "bob@example.org" || notices[0].Kind != "digest-reply" || notices[0].InReplyTo != "d1@example.org" {
		t.Fatalf("notices %+v", notices)
	}
	if lines, _ := e.store.Chat.Lines(e.ctx, "design", threads.Range{}); len(lines) != 0 {
		t.Errorf("a digest reply was posted: %+v", lines)
	}
	// Once a day: the second reply is explained no more.
	if res, _ := e.receive(t, reply("Bob <bob@example.org>", addr, "d2@example.org", "again"), addr); res.Outcome != Explained {
		t.Errorf("second: %+v", res)
	}
	if n, _ := e.store.Queue.ClaimNotices(e.ctx, "w", 10, time.Hour); len(n) != 0 {
		t.Errorf("explained twice: %+v", n)
	}
	// Someone else writing to bob's digest address is refused.
	_, err = e.receive(t, reply("Eve <eve@example.org>", addr, "d3@example.org", "hi"), addr)
	var ie *Error
	if !errors.As(err, &ie) || ie.Temporary {
		t.Errorf("stranger: %v", err)
	}
}
