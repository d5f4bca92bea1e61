package smtpserver

import (
	"context"
	"strings"
	"testing"

	"parley/inbound"
)

func TestRedactAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bob@example.org", "bob@example.org"},
		{"reply+abcdefgh@parley.test", "reply+#" + redactAddr("reply+ABCDEFGH@parley.test")[7:15] + "@parley.test"},
		{"no-at-sign", "no-at-sign"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactAddr(tt.in); got != tt.want {
			t.Errorf("redactAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if a, b := redactAddr("reply+one@x"), redactAddr("reply+two@x"); a == b || strings.Contains(a, "one") {
		t.Errorf("redacted %q and %q", a, b)
	}
}

func TestTokensNeverLogged(t *testing.T) {
	// Today's log had rcpt=[reply+TOKEN@...] at INFO for every message,
	// and the token in the error of a refused recipient.
	const tok = "tok1secretsecretsecretsecretsecr"
	recv := newFakeReceiver()
	recv.check = func(_ context.Context, addr string) error {
		if !isReplyAddr(addr) {
			return inbound.Refuse("no such reply address", nil) // as inbound.Mail does
		}
		return nil
	}
	ts := startServer(t, recv, Options{})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<bob@example.org>", 250)
	c.expect("RCPT TO:<nobody+"+tok+"x@parley.test>", 550)
	c.expect("RCPT TO:<reply+"+tok+"@parley.test>", 250)
	c.expect("DATA", 354)
	c.send("Subject: hi\r\n\r\nhello\r\n")
	c.expect(".", 250)
	c.expect("QUIT", 221)
	recv.wait(t, 1, 2e9)
	if logs := ts.logs.String(); strings.Contains(logs, tok) || !strings.Contains(logs, "reply+#") {
		t.Fatalf("log holds the token or no hash of it:\n%s", logs)
	}
}
