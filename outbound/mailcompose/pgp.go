package mailcompose

import (
	"bytes"
	"fmt"

	"parley/internal/pgp"
	"parley/internal/pgpmime"
)

// Protection is what Protect does to a composed message (issue 19).
type Protection struct {
	// Key is parley's own key pair: it signs an encrypted message, and its
	// public half goes in the Autocrypt header. Nothing is done without it.
	Key *pgp.ServerKey
	// To is the recipient's public key: when set the message is encrypted
	// to it as PGP/MIME (RFC 3156) with protected headers.
	To *pgp.PublicKey
}

// Protect is the one step every composed message passes through on its
// way to a member: it publishes parley's key in an Autocrypt header and,
// for a member with a key, encrypts the message (whatever its body: a
// relay, a digest, a notice, a transcript with its file) to that key,
// signed by parley, and DKIM-signs the encrypted message again. The
// Message-ID and envelope stay the same.
func (c *Composer) Protect(msg Message, p Protection) (Message, error) {
	if p.Key == nil {
		return msg, nil
	}
	out := msg
	if p.To != nil {
		now := c.now()
		wrapped, err := pgpmime.Wrap(msg.Bytes, func(plain []byte) ([]byte, error) {
			return p.Key.EncryptAndSign(plain, p.To, now)
		})
		if err != nil {
			return msg, fmt.Errorf("encrypt %s: %w", msg.MessageID, err)
		}
		if c.signer != nil {
			if wrapped, err = c.signer.sign(wrapped); err != nil {
				return msg, fmt.Errorf("dkim-sign %s: %w", msg.MessageID, err)
			}
		}
		out.Bytes = wrapped
	}
	var buf bytes.Buffer
	buf.Grow(len(out.Bytes) + 1024)
	fold(&buf, "Autocrypt", pgp.FormatAutocrypt(c.from, p.Key.Public()))
	buf.Write(out.Bytes)
	out.Bytes = buf.Bytes()
	return out, nil
}
