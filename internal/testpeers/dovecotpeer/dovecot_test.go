package dovecotpeer

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// TestDovecot: the given users exist and no other; APPEND lands unseen
// in the user's own mailbox, where doveadm and a reader see it; IMAPS
// works with RootCAs.
func TestDovecot(t *testing.T) {
	start := time.Now()
	d := Start(t, map[string]string{"alice": "alice-pw", "box-user": "s3cret/@x"})

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
