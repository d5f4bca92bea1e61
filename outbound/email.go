package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"parley/internal/filelink"
	"parley/internal/recent"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// Transport submits a composed email: an SMTP smarthost (smtpsend.Client)
// or the outbox.
type Transport interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

var _ Transport = (*smtpsend.Client)(nil)

// EmailOptions configure the email channel.
type EmailOptions struct {
	// Auth makes the reply and unsubscribe tokens of the addresses.
	Auth *threads.Auth
	// Chat and Directory give the room, its lines and the member of a
	// mailed transcript (SendTranscript).
	Chat      *threads.Chat
	Directory *threads.Directory
	Composer  *mailcompose.Composer
	Transport Transport
	// Domain is parley's mail domain (reply addresses).
	Domain string
	// PublicURL is where people reach parley's web side (room and
	// unsubscribe links); no links when empty.
	PublicURL string
	// MaxTranscriptBytes caps a mailed transcript (MaxTranscriptBytes when 0).
	MaxTranscriptBytes int64
	// Keys tells which members mail is encrypted to (the PGPTransport):
	// only they get a confidential room's lines by email. Without it,
	// every member gets the notice instead (confidential.go).
	Keys KeyFinder
	// Files attaches the lines' files, or links to them; nil: files
	// are only named.
	Files *Files
}

// Email delivers batches as relay emails: one tidy thread per room.
type Email struct {
	o EmailOptions
	// known remembers, per room and member, tokens already stored in
	// Redis recently, so that a busy room costs no extra round trip per email.
	known recent.Cache[tokenPair] // room/member -> tokens
	// subjects remembers, per room and member, the relay subject stored
	// in Redis (threads.Chat.ThreadSubject): it never changes once stored,
	// so a busy room costs no extra round trip per email.
	subjects recent.Cache[string] // room/member -> subject
}

type tokenPair struct{ reply, unsub string }

// tokenCacheFor is how long a stored token pair is trusted without writing
// it again (writing is idempotent; the rewrite heals a Redis that lost it).
const tokenCacheFor = 10 * time.Minute

// tokens returns the member's reply and unsubscribe tokens for the room.
// gen is the member's token generation: rotated tokens are never taken
// from the cache.
func (e *Email) tokens(ctx context.Context, room, member string, gen int) (string, string, error) {
	key := room + "/" + member + "/" + strconv.Itoa(gen)
	now := time.Now()
	if c, ok := e.known.Get(key, now); ok {
		return c.reply, c.unsub, nil
	}
	reply, unsub, err := e.o.Auth.Tokens(ctx, room, member)
	if err != nil {
		return "", "", err
	}
	e.known.Put(key, tokenPair{reply, unsub}, now)
	return reply, unsub, nil
}

var _ Carrier = (*Email)(nil)

// NewEmail returns the email channel.
func NewEmail(o EmailOptions) *Email {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Email{o: o, known: recent.Cache[tokenPair]{TTL: tokenCacheFor}, subjects: recent.Cache[string]{TTL: tokenCacheFor}}
}

// subject returns the subject of r's email: the one of the member's first
// relay email from the room, stored by whichever process sent it, or r's
// own when this is the first. Without Chat every batch renders its own.
func (e *Email) subject(ctx context.Context, r mailcompose.Relay) (string, error) {
	if e.o.Chat == nil {
		return "", nil
	}
	key := r.Room.ID + "/" + r.To.ID
	now := time.Now()
	if s, ok := e.subjects.Get(key, now); ok {
		return s, nil
	}
	first, err := e.o.Composer.RelaySubject(r)
	if err != nil {
		return "", Permanent(fmt.Errorf("compose subject for %s: %w", r.To.ID, err))
	}
	s, err := e.o.Chat.ThreadSubject(ctx, r.Room.ID, r.To.ID, first)
	if err != nil {
		return "", err
	}
	e.subjects.Put(key, s, now)
	return s, nil
}

// Deliver composes the batch's email and submits it. A refusal that no
// retry can fix (5xx, an address that cannot be written to) is Permanent.
func (e *Email) Deliver(ctx context.Context, d Parcel) error {
	if d.Member.Email() == "" {
		return Permanent(fmt.Errorf("%s has no email address", d.Member.ID))
	}
	if d.Room.Confidential {
		c, handled, err := e.confidential(ctx, d) // confidential.go
		if handled {
			return err
		}
		ctx = c
	}
	reply, unsub, err := e.tokens(ctx, d.Room.ID, d.Member.ID, d.Member.TokenGen)
	if err != nil {
		return fmt.Errorf("reply address for %s in %s: %w", d.Member.ID, d.Room.ID, err)
	}
	r := mailcompose.Relay{Room: d.Room, Lines: d.Lines, To: d.Member, ReplyTo: threads.ReplyAddress(reply, e.o.Domain),
		Files: e.o.Files.ForEmail(d)}
	if e.o.PublicURL != "" {
		r.RoomURL = e.o.PublicURL + "/rooms/" + d.Room.ID
	}
	// RFC 8058 one-click needs https; a plain-http deployment gets no link.
	if strings.HasPrefix(e.o.PublicURL, "https://") {
		r.UnsubscribeURL = e.o.PublicURL + "/unsubscribe/" + unsub
	}
	if r.Subject, err = e.subject(ctx, r); err != nil {
		return err
	}
	msg, err := e.o.Composer.Relay(r)
	if err != nil {
		// Bad input or a broken template: the same batch fails the same way again.
		return Permanent(fmt.Errorf("compose email for %s: %w", d.Member.ID, err))
	}
	if err := send(ctx, e.o.Transport, e.o.Auth, msg); err != nil {
		return err
	}
	if !d.Member.EmailRetryAt.IsZero() && e.o.Directory != nil {
		// The address was failing and this was its test send: it works.
		// The email is gone, so a failure to record that is not retried:
		// the next delivery records it again.
		_ = e.o.Directory.ClearEmailFailing(ctx, d.Member.ID)
	}
	return nil
}

// send submits msg with t. When the smarthost refused this message or this
// recipient for good (5xx at RCPT or DATA) the error is Permanent.
// Everything else, including a permanent refusal at connect, TLS, AUTH or
// MAIL, is about parley's own setup and is retried: dead-lettering would
// wrongly mark every member's address as failing because of a wrong
// password.
func send(ctx context.Context, t Transport, a *threads.Auth, msg mailcompose.Message) error {
	from, err := envelopeSender(ctx, a, msg)
	if err != nil {
		return err
	}
	err = t.Send(ctx, from, msg.To, msg.Bytes)
	var se *smtpsend.Error
	if errors.As(err, &se) && !se.Temporary && (se.Op == "rcpt" || se.Op == "data") {
		return Permanent(err)
	}
	return err
}

// envelopeSender is msg's own envelope sender, bounces+TOKEN@DOMAIN
// (VERP), whose token names the message and its one recipient: only a
// delivery report to it can mark that recipient failing. Without a,
// or for a message to several recipients, it is the composer's sender.
func envelopeSender(ctx context.Context, a *threads.Auth, msg mailcompose.Message) (string, error) {
	_, domain, ok := strings.Cut(msg.From, "@")
	if a == nil || len(msg.To) != 1 || !ok || msg.MessageID == "" {
		return msg.From, nil
	}
	tok, err := a.BounceToken(ctx, msg.MessageID, msg.To[0])
	if err != nil {
		return "", fmt.Errorf("bounce address for %s: %w", msg.MessageID, err)
	}
	return threads.BounceAddress(tok, domain), nil
}

// Outbox is a Transport that keeps messages in the queue's outbox instead
// of sending them: without a smarthost, and always in the demo. `parley
// outbox` shows them.
type Outbox struct {
	Queue *threads.Queue
}

// Send keeps the message, one outbox entry per recipient.
func (o Outbox) Send(ctx context.Context, _ string, to []string, msg []byte) error {
	subject := ""
	if m, err := mail.ReadMessage(bytes.NewReader(msg)); err == nil {
		subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	}
	for _, rcpt := range to {
		if _, err := o.Queue.AddToOutbox(ctx, threads.OutboxEntry{Channel: threads.Email, To: rcpt, Subject: subject, Body: string(msg)}); err != nil {
			return err
		}
	}
	return nil
}

// SendNotice composes and submits a notice: a short explanation from
// parley to someone (why their mail was not posted, which files were
// refused), or a sign-in link. It is marked Auto-Submitted, so no
// responder answers it.
func (e *Email) SendNotice(ctx context.Context, n threads.Notice) error {
	c := mailcompose.Notice{To: mail.Address{Name: n.Name, Address: n.To},
		Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: mailcompose.NoticeText{Title: n.Title, Text: n.Text, Link: n.Link}, InReplyTo: n.InReplyTo}
	if n.Kind == threads.NoticeSignIn {
		c.Subject, c.Body = "email-signin-subject.txt", "email-signin.txt"
		c.Data = mailcompose.SignInText{Name: n.Name, Link: n.Link, Minutes: int(threads.SignInValidity / time.Minute)}
	}
	if n.Kind == threads.NoticeAutoReply && n.AutoReply != nil {
		c.Subject, c.Body, c.Data = autoReplySubject, autoReplyBody, autoReplyText(n)
	}
	if n.Kind == threads.NoticeFileLink {
		c.Subject, c.Body = "email-filelink-subject.txt", "email-filelink.txt"
		c.Data = mailcompose.FileLinkText{Name: n.Name, File: n.Title, Room: n.Text, Link: n.Link, Days: e.linkDays()}
	}
	msg, err := e.o.Composer.Notice(c)
	if err != nil {
		return Permanent(err)
	}
	return send(ctx, e.o.Transport, e.o.Auth, msg)
}

// linkDays is how many days a fresh file link works, for its notice.
func (e *Email) linkDays() int {
	ttl := filelink.DefaultTTL
	if e.o.Files != nil && e.o.Files.TTL > 0 {
		ttl = e.o.Files.TTL
	}
	return max(1, int(ttl/(24*time.Hour)))
}
