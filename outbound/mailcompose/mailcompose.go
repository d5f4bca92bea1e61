// Package mailcompose turns chat lines into the emails members receive.
//
// A relay email carries a batch of one room's lines to one member: a
// multipart/alternative message with a plain-text part that reads well in a
// terminal and a small HTML part with inline styles only. Every relay of a
// room replies to the room's root Message-ID (threads.RootMessageID), which is
// derived from the room and never stored, and has a subject that does not
// change from batch to batch, so that every mail client shows one thread per
// room. The member's Reply-To address brings answers back into the room.
//
// Headers are built here with code; bodies and the subject come from
// templates (templates.Set). Messages can be DKIM-signed. Composing does no
// I/O: the clock is injected and every id is derived from the input, so the
// same batch for the same member always gives the same Message-ID.
package mailcompose

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"parley/templates"
)

// ErrInvalid marks input the composer cannot turn into an email (no lines,
// a malformed address, a line of another room). Retrying does not help.
var ErrInvalid = errors.New("cannot compose email")

// Names of the templates the composer renders.
const (
	tmplRelaySubject = "email-relay-subject.txt"
	tmplRelayText    = "email-relay.txt"
	tmplRelayHTML    = "email-relay.html"
)

// Options configure a Composer.
type Options struct {
	// Domain is parley's mail domain: it appears in From, Message-IDs and
	// List-Id. Required.
	Domain string
	// FromLocal is the local part of the From address ("parley" when empty).
	FromLocal string
	// Brand ends every From display name, as in "Alice (parley)" ("parley"
	// when empty).
	Brand string
	// Templates render subjects and bodies (templates.Default() when nil).
	Templates *templates.Set
	// DKIM, when set, signs every message.
	DKIM *DKIMOptions
	// Now is the clock for the Date header (time.Now when nil).
	Now func() time.Time
}

// Composer builds emails. It is safe for concurrent use.
type Composer struct {
	domain string
	from   string // FromLocal@Domain
	brand  string
	tmpl   *templates.Set
	names  map[string]bool // the templates of tmpl
	signer *signer
	now    func() time.Time
	bodies *bodyCache
}

// Message is a composed email, ready for SMTP submission.
type Message struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To are the envelope recipients (RCPT TO).
	To []string
	// MessageID is the message's Message-ID without angle brackets.
	MessageID string
	// Bytes is the whole message, header and body, with CRLF line endings.
	Bytes []byte
}

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// New checks the options and returns a Composer.
func New(opt Options) (*Composer, error) {
	c := &Composer{
		domain: strings.ToLower(strings.TrimSpace(opt.Domain)),
		brand:  opt.Brand,
		tmpl:   opt.Templates,
		now:    opt.Now,
		bodies: newBodyCache(),
	}
	if !domainPattern.MatchString(c.domain) || len(c.domain) > 253 {
		return nil, fmt.Errorf("mail composer: domain %q is not a domain name", opt.Domain)
	}
	local := opt.FromLocal
	if local == "" {
		local = "parley"
	}
	if !localPattern.MatchString(local) {
		return nil, fmt.Errorf("mail composer: from local part %q must be letters, digits, '.', '_', '+' or '-'", local)
	}
	c.from = local + "@" + c.domain
	if c.brand = oneLine(c.brand, 40); c.brand == "" {
		c.brand = "parley"
	}
	if c.tmpl == nil {
		c.tmpl = templates.Default()
	}
	c.names = map[string]bool{}
	for _, n := range c.tmpl.Names() {
		c.names[n] = true
	}
	for _, n := range []string{tmplRelaySubject, tmplRelayText, tmplRelayHTML} {
		if !c.names[n] {
			return nil, fmt.Errorf("mail composer: template %s is missing", n)
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if opt.DKIM != nil {
		s, err := newSigner(*opt.DKIM, c.domain)
		if err != nil {
			return nil, fmt.Errorf("mail composer: %w", err)
		}
		c.signer = s
	}
	return c, nil
}

var localPattern = regexp.MustCompile(`^[A-Za-z0-9._+-]{1,64}$`)

// invalid returns an ErrInvalid error with a reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Templates are the texts the composer renders: for callers that put texts
// of their own in a notice (NoticeText), so that one set serves them all.
func (c *Composer) Templates() *templates.Set { return c.tmpl }

// LoopID is the X-Loop value of every message parley sends (its sender
// address): mail that comes back carrying it is parley's own, never posted
// or answered (inbound/mailparse Options.LoopID).
func (c *Composer) LoopID() string { return c.from }
