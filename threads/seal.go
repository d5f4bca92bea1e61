package threads

import (
	"fmt"

	"parley/internal/sealbox"
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

// seal seals v under the data key (v itself without one).
func (s *base) seal(v string) string {
	if s.opts.Seal == nil && sealbox.IsSealed(v) {
		return "\uFFFD" + v[1:]
	}
	return s.opts.Seal.SealString(v)
}

// open opens a value read from Redis; what names it in the error.
func (s *base) open(what, v string) (string, error) {
	if !sealbox.IsSealed(v) {
		return v, nil
	}
	p, err := s.opts.Seal.OpenString(v)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", what, err)
	}
	return p, nil
}
