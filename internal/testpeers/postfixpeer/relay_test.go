package postfixpeer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers/smtppeer"
)

// waitMessages waits until the upstream server holds n messages.
func waitMessages(t *testing.T, up *smtppeer.Server, n int, timeout time.Duration) []smtppeer.Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if msgs := up.Messages(); len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("upstream holds %d messages after %v, want %d", len(up.Messages()), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPostfixRelay: mail submitted over SMTP (swaks) and locally
// (sendmail) reaches the upstream server through Postfix; a permanent
// refusal upstream makes Postfix bounce to the sender, through the same
// upstream; a temporary one is retried within seconds.
func TestPostfixRelay(t *testing.T) {
	start := time.Now()
	up := smtppeer.Start(t)
	pf := StartRelay(t, up.Addr)

	msg := []byte("From: a@example.test\r\nTo: b@example.net\r\nSubject: one %DATE%\r\nMessage-ID: <one@example.test>\r\n\r\n" +
		"hello\r\n.\r\n..two dots\r\nstill hello\nLF only")
	n := 0
	if smtppeer.HaveSwaks(t) {
		smtppeer.Swaks(t, pf.Addr, "a@example.test", "b@example.net", msg)
		n++
		got := waitMessages(t, up, n, 10*time.Second)[n-1]
		if got.From != "a@example.test" || !slices.Equal(got.To, []string{"b@example.net"}) {
			t.Errorf("swaks: upstream envelope %s -> %v", got.From, got.To)
		}
		// Byte for byte: no token expanded, dots and line ends as sent
		// (an LF made CRLF, a missing last line end added).
		for _, want := range []string{"by mta.test (Postfix)", "Message-ID: <one@example.test>", "Subject: one %DATE%\r\n",
			"\r\nhello\r\n.\r\n..two dots\r\nstill hello\r\nLF only\r\n"} {
			if !bytes.Contains(got.Data, []byte(want)) {
				t.Errorf("swaks: upstream message lacks %q:\n%s", want, got.Data)
			}
		}
		pf.WaitLog(t, 5*time.Second, "to=<b@example.net>", "relay=127.0.0.1", "status=sent")
	} else {
		t.Logf("swaks is not installed: only sendmail is tried (%s)", smtppeer.SwaksInstall)
	}

	pf.Sendmail(t, "c@example.test", []string{"d@example.net", "e@example.net"},
		[]byte("From: c@example.test\nTo: d@example.net\nSubject: two\n\nby sendmail\n.\nend\n"))
	n++
	got := waitMessages(t, up, n, 10*time.Second)[n-1]
	if got.From != "c@example.test" || !slices.Equal(got.To, []string{"d@example.net", "e@example.net"}) {
		t.Errorf("sendmail: upstream envelope %s -> %v", got.From, got.To)
	}
	if !bytes.Contains(got.Data, []byte("\r\n\r\nby sendmail\r\n.\r\nend\r\n")) {
		t.Errorf("sendmail: upstream message:\n%s", got.Data)
	}

	// Permanent refusal: bounced, and the bounce (null sender) is relayed
	// to the same upstream, which now takes it.
	up.Refuse(func(stage string) error {
		if stage == "rcpt" {
			up.Refuse(nil)
			return smtppeer.Permanent
		}
		return nil
	})
	pf.Sendmail(t, "f@example.test", []string{"g@example.net"}, []byte("Subject: three\n\nrefused\n"))
	pf.WaitLog(t, 10*time.Second, "to=<g@example.net>", "status=bounced", "550 5.1.1 no such user")
	n++
	bounce := waitMessages(t, up, n, 10*time.Second)[n-1]
	if bounce.From != "" || !slices.Equal(bounce.To, []string{"f@example.test"}) ||
		!bytes.Contains(bounce.Data, []byte("no such user")) {
		t.Errorf("bounce: %q -> %v:\n%s", bounce.From, bounce.To, bounce.Data)
	}

	// Temporary refusal: deferred, then delivered on a retry seconds later.
	up.Refuse(func(stage string) error {
		if stage == "rcpt" {
			up.Refuse(nil)
			return smtppeer.Temporary
		}
		return nil
	})
	pf.Sendmail(t, "h@example.test", []string{"i@example.net"}, []byte("Subject: four\n\nlater\n"))
	pf.WaitLog(t, 10*time.Second, "to=<i@example.net>", "status=deferred", "451 4.3.0 try again later")
	pf.WaitRetried(t, 15*time.Second, "to=<i@example.net>", "status=sent")
	n++
	waitMessages(t, up, n, 5*time.Second)
	if q := pf.Queue(t); !strings.Contains(q, "Mail queue is empty") {
		t.Errorf("queue after delivery:\n%s", q)
	}
	t.Logf("whole exchange in %v", time.Since(start).Round(time.Millisecond))
}
