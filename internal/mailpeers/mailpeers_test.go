package mailpeers

import (
	"bytes"
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"parley/internal/smtptest"
)

// waitMessages waits until the upstream server holds n messages.
func waitMessages(t *testing.T, up *smtptest.Server, n int, timeout time.Duration) []smtptest.Message {
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
	up := smtptest.Start(t)
	pf := StartPostfixRelay(t, up.Addr)

	msg := []byte("From: a@example.test\r\nTo: b@example.net\r\nSubject: one %DATE%\r\nMessage-ID: <one@example.test>\r\n\r\n" +
		"hello\r\n.\r\n..two dots\r\nstill hello\nLF only")
	n := 0
	if HaveSwaks() {
		Swaks(t, pf.Addr, "a@example.test", "b@example.net", msg)
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
		t.Logf("swaks is not installed: only sendmail is tried (%s)", SwaksInstall)
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
			return smtptest.Permanent
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
			return smtptest.Temporary
		}
		return nil
	})
	pf.Sendmail(t, "h@example.test", []string{"i@example.net"}, []byte("Subject: four\n\nlater\n"))
	pf.WaitLog(t, 10*time.Second, "to=<i@example.net>", "status=deferred", "451 4.3.0 try again later")
	pf.WaitLog(t, 15*time.Second, "to=<i@example.net>", "status=sent")
	n++
	waitMessages(t, up, n, 5*time.Second)
	if q := pf.Queue(t); !strings.Contains(q, "Mail queue is empty") {
		t.Errorf("queue after delivery:\n%s", q)
	}
	t.Logf("whole exchange in %v", time.Since(start).Round(time.Millisecond))
}

// TestDovecot: the given users exist and no other; APPEND lands unseen
// in the user's own mailbox, where doveadm and a reader see it; IMAPS
// works with RootCAs.
func TestDovecot(t *testing.T) {
	start := time.Now()
	d := StartDovecot(t, map[string]string{"alice": "alice-pw", "box-user": "s3cret/@x"})

	msg := []byte("From: a@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\nMessage-ID: <hi@example.test>\r\n\r\nhello\r\n")
	uid := d.Append(t, "alice", "INBOX", msg)
	seenUID := d.Append(t, "alice", "INBOX", msg, imap.FlagSeen)
	flags := d.Flags(t, "alice", "INBOX")
	if len(flags) != 2 || slices.Contains(flags[uid], imap.FlagSeen) || !slices.Contains(flags[seenUID], imap.FlagSeen) {
		t.Errorf("alice's INBOX flags %v: want %d unseen and %d seen", flags, uid, seenUID)
	}
	if got := d.Flags(t, "box-user", "INBOX"); len(got) != 0 {
		t.Errorf("box-user's INBOX holds %v, want nothing", got)
	}
	// Reading with Flags (EXAMINE) marked nothing.
	if st := d.Doveadm(t, "mailbox", "status", "-u", "alice", "messages unseen", "INBOX"); !strings.Contains(st, "messages=2 unseen=1") {
		t.Errorf("doveadm mailbox status: %q", st)
	}

	// IMAPS, trusting the instance's certificate; a wrong password fails
	// (after Dovecot's auth failure delay of about 2 s).
	c, err := imapclient.DialTLS(d.TLSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: d.RootCAs, ServerName: "localhost"}})
	if err != nil {
		t.Fatalf("imaps: %v", err)
	}
	defer c.Close()
	if err := c.Login("box-user", "s3cret/@x").Wait(); err != nil {
		t.Errorf("imaps login: %v", err)
	}
	c2, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login("alice", "wrong").Wait(); err == nil {
		t.Error("login with a wrong password succeeded")
	}
	t.Logf("whole exchange in %v", time.Since(start).Round(time.Millisecond))
}
