package smtpserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/inbound"
	"parley/internal/testpeers/postfixpeer"
	"parley/internal/testpeers/smtppeer"
)

// submit hands msg to the SMTP server at addr with a real client tool:
// swaks when installed, else Postfix's smtp-source.
func submit(t testing.TB, addr, from, to, msg string) {
	t.Helper()
	if smtppeer.HaveSwaks(t) {
		smtppeer.Swaks(t, addr, from, to, []byte(msg))
		return
	}
	file := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(file, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, postfixpeer.FindTool(t, "smtp-source"), "-f", from, "-t", to, "-F", file, "-m", "1", addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// TestThroughPostfix has a real Postfix relay mail to the door: a reply
// arrives with its envelope; a refused recipient makes Postfix bounce,
// and the bounce (null sender) arrives at the sender's reply address with
// our reason and nothing internal; a temporary failure leaves the mail
// deferred in Postfix's queue.
func TestThroughPostfix(t *testing.T) {
	postfixpeer.Need(t)
	recv := newFakeReceiver()
	recv.receive = func(_ context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error) {
		if bytes.Contains(raw, []byte("defer-me")) {
			return inbound.Result{}, inbound.Defer("room store unavailable", fmt.Errorf("redis: %s", secret))
		}
		return inbound.Result{Outcome: inbound.Posted}, nil
	}
	ts := startServer(t, recv, Options{})
	start := time.Now()
	pf := postfixpeer.StartRelay(t, ts.addr)
	t.Logf("postfix up in %v", time.Since(start))

	// 1. A reply goes through.
	reply := "From: Alice <alice@example.org>\r\nTo: reply+tok1@parley.test\r\nSubject: Re: lunch\r\n" +
		"Message-ID: <e2e-1@example.org>\r\n\r\nYes, noon works.\r\n"
	submit(t, pf.Addr, "alice@example.org", "reply+tok1@parley.test", reply)
	recv.wait(t, 1, 10*time.Second)
	d := recv.deliveries()[0]
	if d.env.Door != "smtp" || d.env.MailFrom != "alice@example.org" || len(d.env.Rcpt) != 1 ||
		d.env.Rcpt[0] != "reply+tok1@parley.test" || !strings.HasPrefix(d.env.Remote, "127.0.0.1:") {
		t.Errorf("envelope %+v", d.env)
	}
	raw := string(d.raw)
	for _, want := range []string{"by mta.test (Postfix)", "Message-ID: <e2e-1@example.org>", "\r\n\r\nYes, noon works.\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("relayed message lacks %q:\n%s", want, raw)
		}
	}
	pf.WaitLog(t, 5*time.Second, "to=<reply+tok1@parley.test>", "status=sent", "250 2.0.0")

	// 2. A non-reply address is refused at RCPT; Postfix bounces to the
	// sender, which here is one of ours, with the null sender.
	submit(t, pf.Addr, "reply+tok2@parley.test", "nobody@parley.test",
		"From: reply+tok2@parley.test\r\nTo: nobody@parley.test\r\nSubject: hello\r\n\r\nhi\r\n")
	pf.WaitLog(t, 10*time.Second, "to=<nobody@parley.test>", "status=bounced", "550 5.1.1 no such reply address")
	recv.wait(t, 1, 10*time.Second)
	b := recv.deliveries()[1]
	if b.env.MailFrom != "" || len(b.env.Rcpt) != 1 || b.env.Rcpt[0] != "reply+tok2@parley.test" {
		t.Errorf("bounce envelope %+v, want null sender to reply+tok2@parley.test", b.env)
	}
	if !strings.Contains(string(b.raw), "no such reply address") {
		t.Errorf("bounce lacks our reason:\n%s", b.raw)
	}

	// 3. A temporary failure leaves the message in Postfix's queue.
	submit(t, pf.Addr, "alice@example.org", "reply+tok3@parley.test",
		"From: alice@example.org\r\nTo: reply+tok3@parley.test\r\nSubject: defer-me\r\n\r\nlater\r\n")
	pf.WaitLog(t, 10*time.Second, "to=<reply+tok3@parley.test>", "status=deferred", "451 4.3.0 room store unavailable")

	if strings.Contains(pf.Maillog(), "SECRET") || strings.Contains(string(b.raw), "SECRET") {
		t.Errorf("internal detail reached Postfix:\n%s", pf.Maillog())
	}
	if len(recv.deliveries()) != 2 {
		t.Errorf("%d deliveries, want 2", len(recv.deliveries()))
	}
	t.Logf("whole exchange in %v", time.Since(start))
}
