package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/inbound"
	"parley/threads"
)

// outboxPoll is how often the demo looks for new outbox entries.
const outboxPoll = 250 * time.Millisecond

// followOutbox prints each new outbox entry until ctx ends.
func (d *demo) followOutbox(ctx context.Context) {
	t := time.NewTicker(outboxPoll)
	defer t.Stop()
	for {
		d.printOutbox(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// printOutbox prints the entries after the last one printed.
func (d *demo) printOutbox(ctx context.Context) {
	entries, err := d.st.Queue.Outbox(ctx, d.lastOutbox, 100)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("read outbox", "err", err)
		}
		return
	}
	for _, e := range entries {
		d.printf("%s", describeOutbox(e))
		d.lastOutbox = e.ID
	}
}

// drain lets the worker send what is still gathered when the demo stops,
// so that every line of the script shows up in the outbox however short
// the run.
func (d *demo) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), demoWindow+2*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if _, err := d.worker.Step(ctx); err != nil {
			break
		}
		st, err := d.st.Queue.Stats(ctx)
		if err != nil || (st.Waiting == 0 && st.Batches == 0) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.printOutbox(ctx)
}

// describeOutbox renders an entry for a person: a text in full; an email
// with the headers that matter and its plain-text part.
func describeOutbox(e threads.OutboxEntry) string {
	var b strings.Builder
	if e.Channel == threads.SMS {
		fmt.Fprintf(&b, "outbox: sms to %s\n", e.To)
		for _, l := range strings.Split(clean(e.Body, true), "\n") {
			fmt.Fprintf(&b, "    | %s\n", l)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "outbox: email to %s (whole message: parley outbox show %s)\n", e.To, e.ID)
	r, err := mail.CreateReader(strings.NewReader(e.Body))
	if err != nil {
		fmt.Fprintf(&b, "    (unreadable: %v)\n", err)
		return b.String()
	}
	for _, h := range []string{"From", "Reply-To", "Subject", "In-Reply-To"} {
		v, err := r.Header.Text(h)
		if err != nil || v == "" {
			v = r.Header.Get(h)
		}
		if v == "" {
			continue
		}
		fmt.Fprintf(&b, "    %s: %s\n", h, clean(v, false))
	}
	shown := false // the text part is printed, the HTML one is not
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			ct, _, _ := h.ContentType()
			fmt.Fprintf(&b, "    attachment: %s (%s)\n", clean(name, false), ct)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok && !shown {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				text, _ := io.ReadAll(io.LimitReader(p.Body, 8<<10))
				for _, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n"), "\n") {
					fmt.Fprintf(&b, "    | %s\n", clean(l, false))
				}
				shown = true
			}
		}
	}
	return b.String()
}

// quietLog keeps only warnings and errors of l: the demo prints what the
// worker does itself.
func quietLog(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(attrs), f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(name), f.min}
}

// demoReply is what bob types above the quoted email on his phone.
const demoReply = "Looks good from the clinic waiting room. @carol can you check it on your phone?"

// replyByEmail waits for bob's first email and answers it as his phone's
// mail app would (the text on top, the email quoted below, a signature),
// through the same Receiver the SMTP server and the IMAP poller use.
func (d *demo) replyByEmail(ctx context.Context) error {
	var email threads.OutboxEntry
	deadline := time.Now().Add(demoWindow + 5*time.Second)
	for email.ID == "" {
		entries, err := d.st.Queue.Outbox(ctx, "", 100)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Channel == threads.Email && e.To == "bob@example.org" {
				email = e
				break
			}
		}
		if email.ID != "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bob's email did not arrive in the outbox")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(outboxPoll):
		}
	}
	r, err := mail.CreateReader(strings.NewReader(email.Body))
	if err != nil {
		return fmt.Errorf("read bob's email: %w", err)
	}
	replyTo, _ := r.Header.AddressList("Reply-To")
	msgID, _ := r.Header.MessageID()
	if len(replyTo) == 0 {
		return fmt.Errorf("bob's email has no Reply-To")
	}
	subject, _ := r.Header.Subject()
	raw := "From: Bob Ray <bob@example.org>\r\nTo: " + replyTo[0].Address + "\r\nSubject: Re: " + subject + "\r\n" +
		"Message-ID: <demo-reply-1@phone.example.org>\r\nIn-Reply-To: <" + msgID + ">\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + demoReply + "\r\n\r\n" +
		"On Wed, 25 Nov 2026, Alice Archer (parley) <parley@localhost> wrote:\r\n" +
		"> Morning all! The new header is on staging, comments welcome.\r\n>\r\n> -- \r\n> Reply to this email to post in Design.\r\n\r\n" +
		"-- \r\nBob Ray, field nurse\r\nSent from my phone\r\n"
	d.printf("\nBob answers his email from his phone (To: %s); the quote and signature are cut:\n", replyTo[0].Address)
	signed, err := d.dkim.sign([]byte(raw))
	if err != nil {
		return err
	}
	res, err := d.mail.Receive(ctx, inbound.Envelope{Door: "smtp", MailFrom: "bob@example.org", Rcpt: []string{replyTo[0].Address}}, signed)
	if err != nil {
		return fmt.Errorf("fold bob's reply in: %w", err)
	}
	if err := d.st.Chat.Drain(ctx); err != nil { // routed before the demo looks
		return err
	}
	l, err := d.st.Chat.Line(ctx, res.Room, res.Line)
	if err != nil {
		return err
	}
	d.printf("    inbox: %s in %s: %s\n", res.Outcome, res.Room, clean(l.String(), false))
	proof := "example.org's DKIM signature verified (PARLEY_SENDER_AUTH: a forged From would be refused)"
	if l.Unverified {
		proof = "unverified: example.org did not vouch for it"
	}
	d.printf("    sender: %s\n", proof)
	return nil
}
