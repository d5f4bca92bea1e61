package imappoll

import (
	"path"
	"slices"
	"strings"
	"testing"

	"parley/internal/fixtures"
)

func TestEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name     string
		raw      string
		mailFrom string
		rcpt     []string
	}{
		{name: "delivery headers",
			raw:      "Return-Path: <alice@example.org>\r\nDelivered-To: reply+abc@parley.example\r\nSubject: x\r\n\r\nbody\r\n",
			mailFrom: "alice@example.org", rcpt: []string{"reply+abc@parley.example"}},
		{name: "null sender",
			raw:      "Return-Path: <>\r\nFrom: MAILER-DAEMON@example.org\r\n\r\nbounce\r\n",
			mailFrom: ""},
		{name: "topmost Return-Path wins, every Delivered-To once",
			raw: "Return-Path: <final@example.org>\nDelivered-To: parley@parley.example\nX-Original-To: reply+tok@parley.example\n" +
				"Return-Path: <older@example.org>\nDelivered-To: reply+tok@parley.example\nDelivered-To: PARLEY@parley.example\n\n" +
				"Delivered-To: in-body@example.org\n",
			mailFrom: "final@example.org", rcpt: []string{"parley@parley.example", "reply+tok@parley.example"}},
		{name: "folded, odd case, spaces",
			raw:      "return-path:\r\n <alice@example.org>\r\nDELIVERED-TO :  bob@example.org  \r\n\r\n",
			mailFrom: "alice@example.org", rcpt: []string{"bob@example.org"}},
		{name: "bare address, list in X-Original-To",
			raw:      "Return-Path: alice@example.org\r\nX-Original-To: a@example.net, <b@example.net>\r\n\r\n",
			mailFrom: "alice@example.org", rcpt: []string{"a@example.net", "b@example.net"}},
		{name: "no delivery headers",
			raw: "From: alice@example.org\r\nTo: reply+tok@parley.example\r\n\r\nhi\r\n"},
		{name: "garbage header lines and no body",
			raw:      "not a header\r\n: empty name\r\nReturn-Path: <x@example.org>\r\n",
			mailFrom: "x@example.org"},
		{name: "empty", raw: ""},
		{name: "binary", raw: "\x00\xff:\xfe\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := envelope("INBOX", []byte(tc.raw))
			if env.Door != "imap" || env.Remote != "INBOX" {
				t.Errorf("Door %q Remote %q, want imap and the mailbox", env.Door, env.Remote)
			}
			if env.MailFrom != tc.mailFrom {
				t.Errorf("MailFrom = %q, want %q", env.MailFrom, tc.mailFrom)
			}
			if !slices.Equal(env.Rcpt, tc.rcpt) {
				t.Errorf("Rcpt = %q, want %q", env.Rcpt, tc.rcpt)
			}
		})
	}
}

// TestEnvelopeFixtures reads the envelope of real messages: every fixture
// of internal/fixtures/mime/deltachat that has a Return-Path or a
// Delivered-To must give them back, and none may panic.
func TestEnvelopeFixtures(t *testing.T) {
	files := fixtures.Names(t, "mime/deltachat", ".eml")
	want := map[string]struct {
		mailFrom string
		rcpt     []string
	}{
		// Expectations for the samples read in the end-to-end test too.
		"gmx-quote.eml": {"alice@gmx.de", []string{"bob@gmx.de"}},
	}
	for _, f := range files {
		raw := fixtures.Read(t, f)
		env := envelope("INBOX", raw)
		name := path.Base(f)
		if w, ok := want[name]; ok {
			if env.MailFrom != w.mailFrom || !slices.Equal(env.Rcpt, w.rcpt) {
				t.Errorf("%s: MailFrom %q Rcpt %q, want %q %q", name, env.MailFrom, env.Rcpt, w.mailFrom, w.rcpt)
			}
		}
		head := string(raw)
		if i := strings.Index(head, "\n\n"); i >= 0 {
			head = head[:i]
		}
		if strings.Contains(head, "\nDelivered-To:") || strings.HasPrefix(head, "Delivered-To:") {
			if len(env.Rcpt) == 0 {
				t.Errorf("%s has Delivered-To but Rcpt is empty", name)
			}
		}
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add([]byte("Return-Path: <a@b>\r\nDelivered-To: c@d\r\n\r\nbody"))
	f.Add([]byte("Return-Path: <\r\n\t>\r\nX-Original-To: ,,<>,\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env := envelope("INBOX", raw)
		for _, r := range env.Rcpt {
			if r == "" || strings.ContainsAny(r, " \t\r\n") {
				t.Errorf("Rcpt entry %q", r)
			}
		}
	})
}
