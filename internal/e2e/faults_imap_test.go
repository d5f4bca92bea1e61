package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"parley/internal/testpeers/dovecotpeer"
	"parley/internal/testpeers/redispeer"
)

// TestFaultDovecotStopped: 200 of bob's replies wait in the mailbox parley
// reads (half of them without a Message-ID) when parley's IMAP poller
// starts; Dovecot is killed (SIGKILL to all its processes) while the
// poller is folding them in, and started again once parley has noticed. After it is back every reply is
// one line: none skipped, none posted twice (a reply posted but not yet
// marked \Seen when the connection died is fetched again and recognised),
// and every message ends \Seen.
func TestFaultDovecotStopped(t *testing.T) {
	dovecotpeer.Need(t)
	const (
		mailbox = "bob-mailbox-user"
		replies = 200
	)
	password := "pw-" + randomHex(t, 8)
	d := dovecotpeer.Start(t, map[string]string{mailbox: password})
	rd := redispeer.New(t)
	p := startParley(t, rd, trustedReplies...)
	s := setScene(t, p)
	// parley is stopped while the replies arrive, so that they wait.
	p.stop(t)
	date := time.Now()
	msgs := make([][]byte, replies)
	for n := range replies {
		id := ""
		if n%2 == 0 {
			id = fmt.Sprintf("Message-ID: <imap-fault-%d-%s@example.org>\r\n", n, randomHex(t, 4))
		}
		msg := fmt.Sprintf("Return-Path: <bob@example.org>\r\nDelivered-To: %s\r\nFrom: Bob Ray <bob@example.org>\r\nTo: %s\r\n"+
			"Subject: Re: [Design] chat in Design\r\n%sIn-Reply-To: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nfault reply %d\r\n",
			s.relay.ReplyTo, s.relay.ReplyTo, id, s.relay.MessageID, date.Add(time.Duration(n)*time.Second).Format(time.RFC1123Z), n)
		msgs[n] = []byte(msg)
	}
	d.AppendAll(t, mailbox, "INBOX", msgs)

	imapURL := (&url.URL{Scheme: "imap", User: url.UserPassword(mailbox, password), Host: d.Addr, Path: "/INBOX"}).String()
	p.env = append(p.env, "PARLEY_IMAP_URL="+imapURL)
	p.stopped = false
	if err := p.start(t); err != nil {
		t.Fatalf("restart with the mailbox: %v\n%s", err, p.log)
	}
	folded := func() map[int]int {
		out := map[int]int{}
		for _, l := range p.lines(t, room) {
			var n int
			if _, err := fmt.Sscanf(l.Text, "fault reply %d", &n); err == nil {
				out[n]++
			}
		}
		return out
	}
	// The log, not the CLI: it is read fast enough to catch the poller
	// at work.
	inLog := func() int { return len(p.logLines(`msg="imap message folded in"`)) }
	waitFor(t, 20*time.Second, "the poller folding the replies in", func() bool { return inLog() >= 5 })
	d.Kill()
	stoppedAt := inLog()
	if stoppedAt >= replies {
		t.Fatalf("all %d replies were folded in before Dovecot stopped: nothing was cut", replies)
	}
	p.waitLog(t, 15*time.Second, `msg="imap connection failed; reconnecting"`)
	d.Restart(t)
	back := time.Now()
	var got map[int]int
	waitFor(t, 30*time.Second, fmt.Sprintf("all %d replies folded in after Dovecot came back", replies), func() bool {
		got = folded()
		return len(got) == replies
	})
	tail := time.Since(back)
	for n := range replies {
		if got[n] != 1 {
			t.Errorf("reply %d is %d lines, want 1", n, got[n])
		}
	}
	waitFor(t, mailWait, `\Seen on every reply`, func() bool {
		flags := d.Flags(t, mailbox, "INBOX")
		for _, f := range flags {
			if !slices.Contains(f, imap.FlagSeen) {
				return false
			}
		}
		return len(flags) == replies
	})
	t.Logf("Dovecot killed after %d of %d replies were folded in: all %d folded in, each once, %v after it came back",
		stoppedAt, replies, replies, tail.Round(time.Millisecond))
	p.stop(t, password, url.PathEscape(password), url.QueryEscape(password))
}
