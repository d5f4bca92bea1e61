package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"parley/internal/testpeers/dovecotpeer"
	"parley/internal/testpeers/postfixpeer"
	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
)

const (
	room      = "design"
	aliceText = "Can we ship the new header on Friday?"
	// mailWait bounds each step that waits for mail to move: a relay
	// email to reach the outbox, Postfix to relay, the poller to read.
	mailWait = 10 * time.Second
)

var replyAddr = regexp.MustCompile(`^reply\+[A-Za-z0-9]+@` + regexp.QuoteMeta(domain) + `$`)

// scene is the room every test starts from: alice, bob (away) and carol
// (away) in design; alice has posted aliceText, and bob's relay email of
// it is in the outbox.
type scene struct {
	alice line    // alice's line
	relay relayed // bob's email of it, as his mail client reads it
}

// setScene adds the members and the room with the admin commands, has
// alice post, and reads bob's relay email.
func setScene(t *testing.T, p *parley) scene {
	t.Helper()
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice Archer", "--email", "alice@example.org", "--tz", "Europe/Berlin")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol Chen", "--email", "carol@example.org")
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "bob", "away", "--message", "on the train")
	p.run(t, "presence", "set", "carol", "away")

	var posted struct {
		Line   line `json:"line"`
		Routes map[string]struct {
			Channel string `json:"channel"`
			Reason  string `json:"reason"`
		} `json:"routes"`
	}
	p.runJSON(t, &posted, "post", "--room", room, "--as", "alice", aliceText)
	if posted.Line.Text != aliceText || posted.Line.Author != "alice" || posted.Line.ID == "" {
		t.Fatalf("post: line %+v", posted.Line)
	}
	for _, m := range []string{"bob", "carol"} {
		if r := posted.Routes[m]; r.Channel != "email" || r.Reason != "away" {
			t.Fatalf("post: %s is routed %+v, want email (away); all routes %+v", m, r, posted.Routes)
		}
	}

	start := time.Now()
	e := p.waitEmail(t, "bob@example.org", aliceText, mailWait)
	t.Logf("bob's relay email in the outbox %v after the post", time.Since(start).Round(time.Millisecond))
	// What bob's client shows is also what outbox show prints.
	if shown := p.run(t, "outbox", "show", e.ID); strings.TrimSpace(shown) != strings.TrimSpace(strings.ReplaceAll(e.Body, "\r\n", "\n")) {
		t.Errorf("outbox show %s differs from outbox list's body:\n%s", e.ID, shown)
	}
	rel := parseRelayed(t, e.Body)
	if !replyAddr.MatchString(rel.ReplyTo) {
		t.Fatalf("relay email Reply-To %q, want reply+TOKEN@%s", rel.ReplyTo, domain)
	}
	if rel.MessageID == "" || rel.References == "" {
		t.Errorf("relay email lacks threading: Message-ID %q, References %q", rel.MessageID, rel.References)
	}
	return scene{alice: posted.Line, relay: rel}
}

// checkBobsLine checks that the room holds alice's line and then exactly
// one line by bob, from email, whose text is what he typed, and returns
// bob's line.
func checkBobsLine(t *testing.T, p *parley, s scene, r reply) line {
	t.Helper()
	ls := p.lines(t, room)
	if len(ls) != 2 || ls[0].ID != s.alice.ID {
		t.Fatalf("room %s holds %d lines, want alice's and bob's reply: %+v", room, len(ls), ls)
	}
	bob := ls[1]
	if bob.Author != "bob" || bob.Name != "Bob Ray" || bob.Origin != "email" {
		t.Errorf("the reply's line is by %q (%q), origin %q; want bob (Bob Ray), email", bob.Author, bob.Name, bob.Origin)
	}
	if bob.Text != r.Typed {
		t.Errorf("the reply's line text is\n%q\nwant only what bob typed:\n%q", bob.Text, r.Typed)
	}
	// What was cut (quote, signature) is kept with the line, not posted.
	for _, cut := range []string{"wrote:", aliceText, strings.Split(r.Signature, "\n")[1]} {
		if !strings.Contains(bob.Quote, cut) {
			t.Errorf("the line's quote (what was cut) lacks %q:\n%s", cut, bob.Quote)
		}
	}
	return bob
}

// checkRelayedToOthers waits for carol's email of bob's line and checks
// that it carries only what bob typed, and that bob gets no email of his
// own line.
func checkRelayedToOthers(t *testing.T, p *parley, r reply) {
	t.Helper()
	start := time.Now()
	e := p.waitEmail(t, "carol@example.org", r.Typed, mailWait)
	t.Logf("carol's email of bob's line in the outbox %v later", time.Since(start).Round(time.Millisecond))
	rel := parseRelayed(t, e.Body)
	if rel.From.Name != "Bob Ray (parley)" {
		t.Errorf("carol's email is from %s, want Bob Ray (parley)", rel.From)
	}
	for _, leak := range []string{"wrote:", strings.Split(r.Signature, "\n")[1], "> "} {
		if strings.Contains(rel.Text, leak) {
			t.Errorf("carol's email carries %q from bob's quote or signature:\n%s", leak, rel.Text)
		}
	}
	if n := len(p.emails(t, "bob@example.org")); n != 1 {
		t.Errorf("bob has %d emails in the outbox, want 1 (alice's line; never his own)", n)
	}
}

// submitTool sends msg to the Postfix relay with a real client: swaks
// over SMTP when installed, else Postfix's own sendmail. It returns the
// tool's name.
func submitTool(t *testing.T, pf *postfixpeer.Relay, useSwaks bool, from, to string, msg []byte) string {
	t.Helper()
	if useSwaks {
		smtppeer.Swaks(t, pf.Addr, from, to, msg)
		return "swaks"
	}
	pf.Sendmail(t, from, []string{to}, msg)
	return "sendmail"
}

// TestReplyThroughPostfix: bob answers his relay email from a Gmail-like
// client; the reply goes through a real Postfix to parley's SMTP server
// and becomes one line by bob (origin email) holding only what he typed,
// which carol then gets by email. The same message delivered again (same
// Message-ID, through Postfix's other submission path) adds nothing.
func TestReplyThroughPostfix(t *testing.T) {
	postfixpeer.Need(t)
	start := time.Now()
	rd := redispeer.New(t)
	p := startParley(t, rd)
	pf := postfixpeer.StartRelay(t, p.SMTP)
	s := setScene(t, p)

	r := reply{From: "Bob Ray <bob@example.org>", To: s.relay.ReplyTo,
		MessageID: "<CAF" + randomHex(t, 12) + "@mail.gmail.com>",
		Typed:     "Friday works for me, ship it.", Signature: "Bob Ray\nField team, Lisbon"}
	msg := gmailReply(t, r, s.relay)
	haveSwaks := smtppeer.HaveSwaks(t)
	if !haveSwaks {
		t.Logf("swaks is not installed: submitting with Postfix's sendmail instead (%s)", smtppeer.SwaksInstall)
	}

	sent := time.Now()
	tool := submitTool(t, pf, haveSwaks, "bob@example.org", r.To, msg)
	delivered := pf.WaitLog(t, mailWait, "to=<"+r.To+">", "relay=127.0.0.1", "status=sent", "250 ")
	t.Logf("reply submitted with %s and relayed by Postfix in %v: %s", tool, time.Since(sent).Round(time.Millisecond), delivered)
	// Postfix had its 250, which parley gives only once the line is stored.
	accepted := p.waitLog(t, time.Second, `msg="smtp message accepted"`, "outcome=posted")
	bob := checkBobsLine(t, p, s, r)
	if !strings.Contains(accepted, "line="+bob.ID) || !strings.Contains(accepted, "member=bob") {
		t.Errorf("parley logged %s; want bob's line %s", accepted, bob.ID)
	}
	if bob.Source != "email:bob:"+strings.Trim(r.MessageID, "<>") && bob.Source != "email:bob:"+r.MessageID {
		t.Errorf("the line's source id is %q, want the reply's Message-ID %s", bob.Source, r.MessageID)
	}
	checkRelayedToOthers(t, p, r)

	// The same message again, as a retrying server or a second copy would
	// deliver it: sendmail when swaks sent the first, so that both paths
	// into Postfix are used.
	again := submitTool(t, pf, false, "bob@example.org", r.To, msg)
	pf.WaitLogN(t, mailWait, 2, "to=<"+r.To+">", "status=sent")
	t.Logf("the same reply again, with %s: relayed by Postfix", again)
	p.waitLog(t, time.Second, `msg="smtp message accepted"`, "outcome=duplicate")
	if ls := p.lines(t, room); len(ls) != 2 {
		t.Errorf("after the same reply again (%s), the room holds %d lines, want 2: %+v", again, len(ls), ls)
	}
	if n := len(p.emails(t, "carol@example.org")); n != 2 {
		t.Errorf("carol has %d emails, want 2 (alice's line, bob's line once)", n)
	}
	if q := pf.Queue(t); !strings.Contains(q, "Mail queue is empty") {
		t.Errorf("Postfix still holds mail:\n%s", q)
	}

	p.stop(t)
	t.Logf("whole test in %v", time.Since(start).Round(time.Millisecond))
}

// TestReplyThroughDovecot: parley reads replies from a mailbox (a real
// Dovecot, plain IMAP on loopback, IDLE); bob's reply, delivered into it,
// becomes one line by bob holding only what he typed, relayed to carol,
// and the message is marked \Seen. A second copy of the same message is
// marked \Seen too but adds no line.
func TestReplyThroughDovecot(t *testing.T) {
	dovecotpeer.Need(t)
	start := time.Now()
	const mailbox = "bob-mailbox-user"
	password := "pw/@" + randomHex(t, 8) // '/' and '@' must be percent-encoded in the URL
	d := dovecotpeer.Start(t, map[string]string{mailbox: password})
	rd := redispeer.New(t)
	imapURL := (&url.URL{Scheme: "imap", User: url.UserPassword(mailbox, password), Host: d.Addr, Path: "/INBOX"}).String()
	p := startParley(t, rd, "PARLEY_IMAP_URL="+imapURL)
	// The poller is in the mailbox, waiting with IDLE: new mail reaches it
	// by Dovecot's push, not by a poll.
	p.waitLog(t, 5*time.Second, `msg="imap mailbox selected"`, "idle=true")
	s := setScene(t, p)

	r := reply{From: "Bob Ray <bob@example.org>", To: s.relay.ReplyTo,
		MessageID: "<" + randomHex(t, 8) + "-4c1e-9d2b@example.org>",
		Typed:     "Friday works for me — I'll check the header on staging tonight.\nSee you at the café.",
		Signature: "Bob Ray\nField team, Lisbon"}
	// As a delivery agent stores it: the envelope in Return-Path and
	// Delivered-To, above the message bob's client sent.
	delivery := fmt.Sprintf("Return-Path: <bob@example.org>\nDelivered-To: %s\n"+
		"Received: from mx.example.org (mx.example.org [192.0.2.25])\n\tby mail.%s (Postfix) with ESMTPS id 4XyZ1;\n\t%s\n",
		r.To, domain, time.Now().Format(time.RFC1123Z))
	msg := plainReply(t, r, s.relay, delivery)

	appended := time.Now()
	uid := d.Append(t, mailbox, "INBOX", msg)
	waitFor(t, mailWait, "bob's line from the mailbox", func() bool { return len(p.lines(t, room)) >= 2 })
	t.Logf("reply appended to the mailbox and posted in %v", time.Since(appended).Round(time.Millisecond))
	bob := checkBobsLine(t, p, s, r)
	if !strings.Contains(p.waitLog(t, time.Second, `msg="imap message folded in"`, "outcome=posted"), "line="+bob.ID) {
		t.Errorf("parley's log names another line than %s:\n%s", bob.ID, p.logLines("imap message folded in"))
	}
	waitFor(t, mailWait, `\Seen on the folded message`, func() bool {
		return slices.Contains(d.Flags(t, mailbox, "INBOX")[uid], imap.FlagSeen)
	})
	checkRelayedToOthers(t, p, r)

	// A second copy (same Message-ID): folded as a duplicate, \Seen, and
	// no new line.
	uid2 := d.Append(t, mailbox, "INBOX", msg)
	waitFor(t, mailWait, `\Seen on the second copy`, func() bool {
		return slices.Contains(d.Flags(t, mailbox, "INBOX")[uid2], imap.FlagSeen)
	})
	p.waitLog(t, time.Second, `msg="imap message folded in"`, "outcome=duplicate")
	if ls := p.lines(t, room); len(ls) != 2 {
		t.Errorf("after a second copy, the room holds %d lines, want 2: %+v", len(ls), ls)
	}
	if flags := d.Flags(t, mailbox, "INBOX"); len(flags) != 2 {
		t.Errorf("the mailbox holds %v, want both copies (PARLEY_IMAP_AFTER=seen keeps them)", flags)
	}

	p.stop(t, password, url.PathEscape(password), url.QueryEscape(password))
	if !strings.Contains(d.Log(), "user=<"+mailbox+">") {
		t.Errorf("Dovecot logged no login of %s:\n%s", mailbox, d.Log())
	}
	t.Logf("whole test in %v", time.Since(start).Round(time.Millisecond))
}

// TestStrangerRefused: mallory@evil.example sends a reply to bob's reply
// address through Postfix; parley refuses it (550, the sender is not the
// member), Postfix logs the refusal and bounces to mallory, and nothing is
// posted or relayed. A made-up reply address is refused at RCPT.
func TestStrangerRefused(t *testing.T) {
	postfixpeer.Need(t)
	start := time.Now()
	rd := redispeer.New(t)
	p := startParley(t, rd)
	pf := postfixpeer.StartRelay(t, p.SMTP)
	s := setScene(t, p)

	const evil = "Let's move this to https://evil.example/login, bob"
	r := reply{From: "Mallory <mallory@evil.example>", To: s.relay.ReplyTo,
		MessageID: "<" + randomHex(t, 8) + "@evil.example>", Typed: evil, Signature: "Mallory\nEvil Inc."}
	msg := gmailReply(t, r, s.relay)
	useSwaks := smtppeer.HaveSwaks(t)
	tool := submitTool(t, pf, useSwaks, "mallory@evil.example", r.To, msg)
	refused := pf.WaitLog(t, mailWait, "to=<"+r.To+">", "status=bounced", "550 5.7.1")
	if !strings.Contains(refused, "belongs to another member") {
		t.Errorf("Postfix logged %s; want parley's reason (the address belongs to another member)", refused)
	}
	// Postfix's bounce to mallory goes to its relay host too, and parley
	// refuses that recipient: it is not one of its addresses.
	pf.WaitLog(t, mailWait, "sender non-delivery notification")
	pf.WaitLog(t, mailWait, "to=<mallory@evil.example>", "status=bounced", "550 5.1.1")
	p.waitLog(t, time.Second, `msg="smtp refused"`, "stage=data", "code=550")

	// A made-up token is refused at RCPT.
	forged := "reply+" + strings.Repeat("a", 32) + "@" + domain
	submitTool(t, pf, useSwaks, "mallory@evil.example", forged, msg)
	pf.WaitLog(t, mailWait, "to=<"+forged+">", "status=bounced", "550 5.1.1", "RCPT")

	if ls := p.lines(t, room); len(ls) != 1 || ls[0].ID != s.alice.ID {
		t.Errorf("after mallory's replies (%s) the room holds %+v, want alice's line only", tool, ls)
	}
	// The SMTP door's refusal reaches mallory as Postfix's bounce: parley
	// itself writes to no stranger.
	if n := len(p.emails(t, "mallory@evil.example")); n != 0 {
		t.Errorf("parley wrote %d emails to mallory, want none", n)
	}
	for _, to := range []string{"alice@example.org", "bob@example.org", "carol@example.org"} {
		for _, e := range p.emails(t, to) {
			if containsWords(plainText(t, e.Body), "evil.example/login") {
				t.Errorf("mallory's text reached %s:\n%s", to, e.Body)
			}
		}
	}
	p.stop(t)
	t.Logf("whole test in %v", time.Since(start).Round(time.Millisecond))
}
