package imappoll

import (
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want account // password and display checked separately
		err  string  // substring of the error, "" for none
	}{
		{raw: "imaps://parley:pw@mail.example.org/INBOX",
			want: account{scheme: "imaps", host: "mail.example.org", addr: "mail.example.org:993", user: "parley", mailbox: "INBOX"}},
		{raw: "imap://parley:pw@mail.example.org:1143",
			want: account{scheme: "imap", host: "mail.example.org", addr: "mail.example.org:1143", user: "parley", mailbox: "INBOX"}},
		{raw: "IMAPS://parley%40example.org:p%2Fw%40x@[2001:db8::1]/Lists/parley",
			want: account{scheme: "imaps", host: "2001:db8::1", addr: "[2001:db8::1]:993", user: "parley@example.org", mailbox: "Lists/parley"}},
		{raw: "imap://parley:pw@127.0.0.1:143/",
			want: account{scheme: "imap", host: "127.0.0.1", addr: "127.0.0.1:143", user: "parley", mailbox: "INBOX", loopback: true}},
		{raw: "imap://parley:pw@localhost/Replies%20In",
			want: account{scheme: "imap", host: "localhost", addr: "localhost:143", user: "parley", mailbox: "Replies In", loopback: true}},
		{raw: "imap://parley:pw@[::1]:1143/INBOX",
			want: account{scheme: "imap", host: "::1", addr: "[::1]:1143", user: "parley", mailbox: "INBOX", loopback: true}},
		{raw: "", err: "no IMAP URL"},
		{raw: "pop3://parley:pw@host/", err: `scheme "pop3"`},
		{raw: "imaps://host/INBOX", err: "no user"},
		{raw: "imaps://parley@host/INBOX", err: "no password"},
		{raw: "imaps://parley:@host/INBOX", err: "no password"},
		{raw: "imaps://parley:pw@/INBOX", err: "no host"},
		{raw: "imaps:parley", err: "no host"},
		{raw: "imaps://parley:pw@host/INBOX?idle=no", err: "query"},
		{raw: "imaps://parley:pw@host:port/INBOX", err: "not a valid URL"},
	} {
		got, err := parseURL(tc.raw)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseURL(%q) error %v, want one with %q", tc.raw, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), ":pw@") {
				t.Errorf("parseURL(%q) error shows the password: %v", tc.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", tc.raw, err)
			continue
		}
		if got.password == "" {
			t.Errorf("parseURL(%q) lost the password", tc.raw)
		}
		if want := tc.want.user + "@" + tc.want.addr + "/" + tc.want.mailbox; got.display != want {
			t.Errorf("parseURL(%q).display = %q, want %q", tc.raw, got.display, want)
		}
		got.password, got.display = "", ""
		if got != tc.want {
			t.Errorf("parseURL(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}

func TestRedactRawURL(t *testing.T) {
	for raw, want := range map[string]string{
		"imaps://u:secret@host:x/INBOX":     "imaps://u:xxxxx@host:x/INBOX",
		"imaps://u:se@cr/et@host:x/IN":      "imaps://u:xxxxx@host:x/IN",
		"imaps://u:pw@host/with@sign":       "imaps://u:xxxxx@sign", // hides more, never less
		"imaps://host:bad/INBOX":            "imaps://host:bad/INBOX",
		"imaps://user@host:bad/INBOX":       "imaps://user@host:bad/INBOX",
		"u:secret@host":                     "u:xxxxx@host",
		"imaps://u:s%zz@host/INBOX":         "imaps://u:xxxxx@host/INBOX",
		"imaps://%zz:secret@host:bad/INBOX": "imaps://%zz:xxxxx@host:bad/INBOX",
	} {
		if got := redactRawURL(raw); got != want {
			t.Errorf("redactRawURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	a := account{password: "p/w x"}
	got := a.redact(`login "p/w x" as p%2Fw+x and p%2Fw%20x`)
	if strings.Contains(got, "p/w") || strings.Contains(got, "p%2Fw") {
		t.Errorf("redact left the password in %q", got)
	}
}

func TestParseAfter(t *testing.T) {
	for s, want := range map[string]afterAction{
		"":                {kind: "seen"},
		"seen":            {kind: "seen"},
		"delete":          {kind: "delete"},
		"move:Archive":    {kind: "move", folder: "Archive"},
		"move:Parley/Old": {kind: "move", folder: "Parley/Old"},
	} {
		got, err := parseAfter(s)
		if err != nil || got != want {
			t.Errorf("parseAfter(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"move:", "move: ", "Seen", "archive", "expunge"} {
		if _, err := parseAfter(s); err == nil {
			t.Errorf("parseAfter(%q) accepted it", s)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{9, 128 * time.Second, 256 * time.Second},
		{10, 150 * time.Second, 5 * time.Minute},
		{1000, 150 * time.Second, 5 * time.Minute},
	} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := DefaultBackoff(tc.attempt)
			if d < tc.min || d > tc.max {
				t.Errorf("DefaultBackoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("DefaultBackoff(%d) has no jitter", tc.attempt)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	p, err := New(&recorder{}, Options{URL: "imaps://u:pw@mail.example.org/INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	if p.opt.PollInterval != DefaultPollInterval || p.opt.IdleRefresh != DefaultIdleRefresh ||
		p.opt.MaxMessageBytes != DefaultMaxMessageBytes || p.opt.After != "seen" || p.opt.State == nil ||
		p.opt.Backoff == nil || p.plainOK {
		t.Errorf("defaults not applied: %+v plainOK=%v", p.opt, p.plainOK)
	}
	if cfg := p.tlsConfig(); cfg.ServerName != "mail.example.org" {
		t.Errorf("TLS ServerName %q, want the URL's host", cfg.ServerName)
	}
	if _, err := New(nil, Options{URL: "imaps://u:pw@h/"}); err == nil {
		t.Errorf("New accepted a nil receiver")
	}
	if _, err := New(&recorder{}, Options{URL: "imaps://u:pw@h/", After: "archive"}); err == nil {
		t.Errorf("New accepted After=archive")
	}
	// Plain text only for imap:// on loopback.
	for raw, want := range map[string]bool{
		"imap://u:pw@127.0.0.1/":  true,
		"imap://u:pw@localhost/":  true,
		"imap://u:pw@10.0.0.1/":   false,
		"imaps://u:pw@127.0.0.1/": false,
	} {
		p, err := New(&recorder{}, Options{URL: raw})
		if err != nil || p.plainOK != want {
			t.Errorf("New(%q).plainOK = %v (%v), want %v", raw, p != nil && p.plainOK, err, want)
		}
	}
}
