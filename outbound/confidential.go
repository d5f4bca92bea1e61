package outbound

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"parley/internal/pgp"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/templates"
)

// Confidential rooms (issue 19, threads.Room.Confidential): a line's text
// leaves parley only encrypted. By email it goes to members with an
// OpenPGP key (PGPTransport encrypts it); every other member gets a
// notice that names the room and links to it, and a text message is
// always such a notice. Digests show counts only (digest.go).

// ConfidentialText is the data of the notices of a confidential room
// (email-confidential*.txt, sms-confidential.txt).
type ConfidentialText struct {
	// Room is the room's name.
	Room string
	// Count is the number of new lines.
	Count int
	// Link opens the room on the page ("" without PARLEY_PUBLIC_URL).
	Link string
}

func init() {
	zero := ConfidentialText{Room: "Design", Count: 1}
	full := ConfidentialText{Room: "Design", Count: 3, Link: "https://chat.example.org/rooms/design"}
	for _, name := range []string{"email-confidential-subject.txt", "email-confidential.txt", "sms-confidential.txt"} {
		templates.Declare(name, zero, full)
	}
}

// KeyFinder finds the public key mail to an address is encrypted to
// (PGPTransport.FreshKeyFor): nil when there is none.
type KeyFinder interface {
	FreshKeyFor(ctx context.Context, addr string) (*pgp.PublicKey, error)
}

var _ KeyFinder = (*PGPTransport)(nil)

// mustEncrypt marks the context of a send that may only go encrypted.
type mustEncrypt struct{}

// encryptedOnly reports whether ctx carries a confidential room's lines.
func encryptedOnly(ctx context.Context) bool { return ctx.Value(mustEncrypt{}) != nil }

// ErrNotEncrypted: a confidential room's lines were about to go
// unencrypted (the member's key went away between the check and the send).
var ErrNotEncrypted = errors.New("a confidential room's lines are never sent unencrypted")

// confidential handles a batch of a confidential room by email: for a
// member with a key it returns a context that lets the relay go only
// encrypted; any other member gets the notice instead (handled true).
func (e *Email) confidential(ctx context.Context, d Parcel) (context.Context, bool, error) {
	if e.o.Keys != nil {
		key, err := e.o.Keys.FreshKeyFor(ctx, d.Member.Email())
		if err != nil {
			return ctx, true, err
		}
		if key != nil {
			return smtpsend.WithRequireTLS(withMustEncrypt(ctx)), false, nil
		}
	}
	n := mailcompose.Notice{To: mail.Address{Name: d.Member.Name, Address: d.Member.Email()},
		Subject: "email-confidential-subject.txt", Body: "email-confidential.txt", Data: e.confidentialText(d)}
	msg, err := e.o.Composer.Notice(n)
	if err != nil {
		return ctx, true, Permanent(fmt.Errorf("compose confidential notice for %s: %w", d.Member.ID, err))
	}
	return ctx, true, send(ctx, e.o.Transport, e.o.Auth, msg)
}

func (e *Email) confidentialText(d Parcel) ConfidentialText {
	t := ConfidentialText{Room: d.Room.Name, Count: len(d.Lines)}
	if e.o.PublicURL != "" {
		t.Link = e.o.PublicURL + "/rooms/" + d.Room.ID
	}
	return t
}

// confidentialText is the text message of a confidential room's batch.
func (s *SMS) confidentialText(d Parcel) (string, error) {
	t := ConfidentialText{Room: d.Room.Name, Count: len(d.Lines)}
	if s.o.PublicURL != "" {
		t.Link = s.o.PublicURL + "/rooms/" + d.Room.ID
	}
	text, err := s.o.Templates.Render("sms-confidential.txt", t)
	return strings.TrimSpace(text), err
}

// withMustEncrypt marks ctx as carrying a confidential room's lines.
func withMustEncrypt(ctx context.Context) context.Context {
	return context.WithValue(ctx, mustEncrypt{}, true)
}
