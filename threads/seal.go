package threads

import (
	"errors"
	"fmt"
	"strings"
)

// Data at rest (issue 19, PARLEY_DATA_KEY). With Options.Seal set, these
// values are sealed (internal/sealbox) where they are written and opened
// where they are read, here in threads, the only package that talks to
// Redis:
//
//	{r:ID}:lines    fields "t" (text) and "q" (quote) of every line; the live
//	                event carries the sealed text and the hub opens it
//	{users}:all     each user record, whole: name, addresses, phone, time
//	                zone, preferences, title, team, interests and fields
//	{r:ID}:subjects each relay subject (it quotes a member's first words)
//	{outbox}        fields "s" (subject) and "b" (body: a whole email or text)
//	{held}          field "raw" (a held inbound message)
//
// Not sealed, because parley finds things by them or routes with them:
// ids, room names and topics, the author's display name on each line
// ("n"), attachment names and sizes ("at"), the address and phone indexes
// ({users}:email, {users}:phone), the people-search indexes ({users}:names:
// words of display names; {users}:interest:I; {users}:fv:F: the words of
// the profile fields an admin marked searchable), status texts
// ({users}:presence, which are also the away auto-replies), members'
// public OpenPGP keys, meeting links (a /meet line's source id and a
// room's fixed link), notices waiting to be sent, and hashes (dedupe,
// repeat detection, tokens). File bytes are sealed by internal/blobs with
// the same Box.
//
// A NUL byte starts every sealed value. Without a key, seal defuses a
// value that a person made to look sealed (its NUL becomes U+FFFD), so no
// text anyone posts can pass for a sealed value and make reads fail.

// Sealer seals values at rest and opens them again: parley's is
// internal/sealbox's Box, handed in by cmd (threads imports nothing of
// ours), a nil Box when there is no data key. Every method works without
// a key: sealing is then the identity, and opening a sealed value fails.
type Sealer interface {
	// SealString seals plain under the current key.
	SealString(plain string) string
	// OpenString opens v, sealed under the current or previous key; a
	// value that is not sealed is returned as it is.
	OpenString(v string) (string, error)
	// IsSealed reports whether v is a sealed value; SealedBy names the key
	// that sealed it ("" when it is not sealed).
	IsSealed(v string) bool
	SealedBy(v string) string
	// Stale reports whether v is plain, or sealed under another key than
	// the current one, while there is a key: rekey seals it again.
	Stale(v []byte) bool
	// KeyID and PreviousKeyID name the keys ("" when there is none).
	KeyID() string
	PreviousKeyID() string
}

// noSeal is the Sealer of a Store given none (tests, tools): no key, and
// a value that starts with a NUL byte counts as sealed.
type noSeal struct{}

var errNoDataKey = errors.New("a sealed value, and no data key")

func (noSeal) SealString(v string) string { return v }
func (n noSeal) OpenString(v string) (string, error) {
	if n.IsSealed(v) {
		return "", errNoDataKey
	}
	return v, nil
}
func (noSeal) IsSealed(v string) bool { return strings.HasPrefix(v, "\x00") }
func (noSeal) SealedBy(string) string { return "" }
func (noSeal) Stale([]byte) bool      { return false }
func (noSeal) KeyID() string          { return "" }
func (noSeal) PreviousKeyID() string  { return "" }

// sealing reports whether there is a data key.
func (s *base) sealing() bool { return s.opts.Seal.KeyID() != "" }

// seal seals v under the data key (v itself without one).
func (s *base) seal(v string) string {
	if !s.sealing() && s.opts.Seal.IsSealed(v) {
		return "\uFFFD" + v[1:]
	}
	return s.opts.Seal.SealString(v)
}

// open opens a value read from Redis; what names it in the error.
func (s *base) open(what, v string) (string, error) {
	if !s.opts.Seal.IsSealed(v) {
		return v, nil
	}
	p, err := s.opts.Seal.OpenString(v)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", what, err)
	}
	return p, nil
}
