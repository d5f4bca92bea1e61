package e2e

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"parley/internal/testpeers/redispeer"
)

// TestFaultRedisKilled: replies arrive by SMTP while Redis (AOF, appendfsync
// always) is killed with SIGKILL and started again. While it is down every
// reply is answered 4xx, never 250; every reply answered 250 is a line,
// once; and replies are accepted again soon after Redis is back. (A reply
// in flight when Redis dies is held about 2.5 s, then answered 451; an
// outage shorter than that ends in a 250 once the line is stored, which is
// why the outage here is 8 s. Replies come from loopback, a trusted relay
// exempt from the door's per-address limits, paced at about 12 a second.)
func TestFaultRedisKilled(t *testing.T) {
	const outage = 8 * time.Second
	srv := redispeer.StartDurable(t)
	rd := &redispeer.Redis{Prefix: "t:faults:", Kind: "redis-server", Addr: srv.Addr, URL: "redis://" + srv.Addr}
	// One member writes every reply, faster than the loop breaker's 10 a
	// minute: this test is about Redis, so the breaker is set out of reach
	// and the sender taken as it comes (trustedReplies).
	p := startParley(t, rd, trustedReplies...)
	s := setScene(t, p)

	type attempt struct {
		n          int
		code       int
		start, end time.Time
	}
	var (
		mu       sync.Mutex
		attempts []attempt
		next     int
		stop     = make(chan struct{})
		senders  sync.WaitGroup
	)
	send := func() {
		defer senders.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			n := next
			next++
			mu.Unlock()
			a := attempt{n: n, start: time.Now()}
			a.code = submit(p.SMTP, s.relay.ReplyTo, s.relay.MessageID, n)
			a.end = time.Now()
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
			time.Sleep(80 * time.Millisecond)
		}
	}
	senders.Add(1)
	go send()

	time.Sleep(time.Second)
	srv.Kill()
	killed := time.Now()
	time.Sleep(outage)
	restarting := time.Now()
	srv.Start()
	back := time.Now()
	time.Sleep(2 * time.Second)
	close(stop)
	senders.Wait()

	acked := map[int]bool{}
	codes := map[int]int{}
	var firstBack time.Time
	downAttempts := 0
	for _, a := range attempts {
		codes[a.code]++
		if a.code == 250 {
			acked[a.n] = true
			if a.start.After(back) && (firstBack.IsZero() || a.end.Before(firstBack)) {
				firstBack = a.end
			}
		}
		if a.start.After(killed) && a.end.Before(restarting) {
			downAttempts++
			if a.code < 400 || a.code >= 500 {
				t.Errorf("reply %d sent while Redis was down was answered %d, want 4xx", a.n, a.code)
			}
		}
	}
	if downAttempts == 0 {
		t.Fatalf("no reply was tried while Redis was down (%d attempts: %v)", len(attempts), codes)
	}
	if firstBack.IsZero() {
		t.Fatalf("no reply accepted in the 2 s after Redis came back (%v)", codes)
	}
	t.Logf("Redis killed for %v under SMTP load: %d attempts (%d while down), replies by code %v; accepting again %v after Redis answered PING",
		outage, len(attempts), downAttempts, codes, firstBack.Sub(back).Round(time.Millisecond))
	// 1 s asked; slack for a loaded machine.
	if d := firstBack.Sub(back); d > 3*time.Second {
		t.Errorf("first reply accepted %v after Redis was back, want about 1 s", d)
	}

	// Every acknowledged reply is a line, once.
	seen := map[int]int{}
	for _, l := range p.lines(t, room) {
		var n int
		if _, err := fmt.Sscanf(l.Text, "fault reply %d", &n); err == nil {
			seen[n]++
		}
	}
	for n := range acked {
		if seen[n] != 1 {
			t.Errorf("reply %d was answered 250 but is %d lines", n, seen[n])
		}
	}
	t.Logf("%d replies acknowledged, all of them lines, once", len(acked))
}

// submit sends bob's reply number n to parley's SMTP server and returns the
// reply code to DATA (or to the first command that failed), 0 when the
// connection failed.
func submit(addr, replyTo, inReplyTo string, n int) int {
	msg := fmt.Sprintf("From: Bob Ray <bob@example.org>\r\nTo: %s\r\nSubject: Re: [Design] chat in Design\r\n"+
		"Message-ID: <fault-%d@example.org>\r\nIn-Reply-To: %s\r\nDate: %s\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfault reply %d\r\n",
		replyTo, n, inReplyTo, time.Now().Format(time.RFC1123Z), n)
	err := sendPlain(addr, "bob@example.org", replyTo, msg)
	if err == nil {
		return 250
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// sendPlain submits msg without TLS (parley's door on loopback).
func sendPlain(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = 10*time.Second, 10*time.Second
	if err := c.Hello("client.example.org"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
