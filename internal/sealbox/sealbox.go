// Package sealbox seals values at rest with AES-256-GCM (PARLEY_DATA_KEY).
//
// A sealed value is the prefix "\x00pk1:", the 8-hex-digit id of the key
// that sealed it, ":", a 12-byte random nonce and the ciphertext with its
// 16-byte tag. A value without the prefix is plaintext and opens as
// itself, so a deployment can turn the key on over existing data; no
// text a person types starts with a NUL byte. A Box holds the current key
// and, during a rotation, the previous one: both open, only the current
// one seals. A nil *Box seals nothing and opens only plaintext.
package sealbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a data key: 32 bytes, AES-256.
const KeySize = 32

// prefix starts every sealed value; version 1 of the format.
const prefix = "\x00pk1:"

const (
	idLen    = 8  // hex digits of the key id
	nonceLen = 12 // GCM standard nonce
	tagLen   = 16
	// headLen is everything before the nonce: prefix, id, ':'.
	headLen = len(prefix) + idLen + 1
	// Overhead is how many bytes sealing adds to a value.
	Overhead = headLen + nonceLen + tagLen
)

// Errors callers can test with errors.Is.
var (
	// ErrNoKey: the value is sealed and the Box has no key (nil Box).
	ErrNoKey = errors.New("value is sealed and no data key is set")
	// ErrUnknownKey: the value is sealed under a key the Box does not hold.
	ErrUnknownKey = errors.New("value is sealed under another data key")
	// ErrCorrupt: the value has the sealed prefix but is cut short or
	// does not authenticate under its key.
	ErrCorrupt = errors.New("sealed value is damaged or was not sealed under this key")
)

// key is one AES-256-GCM key with its id.
type key struct {
	id   string
	aead cipher.AEAD
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("a data key has %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &key{id: KeyID(raw), aead: aead}, nil
}

// KeyID is the short public id of a key stored with each value it seals:
// the first 8 hex digits of a SHA-256 over a label and the key. It says
// which key to use; it does not help to find the key.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("parley data key id\x00"), raw...))
	return hex.EncodeToString(sum[:])[:idLen]
}

// ParseKey reads a key written as 64 hex digits or as base64 (standard or
// URL alphabet, padded or not) of 32 bytes. Surrounding space is ignored,
// so a key file may end in a newline. The error never holds the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("a data key is %d bytes written as 64 hex digits or as base64 (got %d characters that are neither)", KeySize, len(s))
}

// Box seals with its current key and opens with the current or the
// previous one. It is safe for concurrent use.
type Box struct {
	cur, prev *key
}

// New returns a Box that seals under current and also opens values sealed
// under previous (nil when there is none). current must be 32 bytes.
func New(current, previous []byte) (*Box, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, fmt.Errorf("current data key: %w", err)
	}
	b := &Box{cur: cur}
	if previous != nil {
		if b.prev, err = newKey(previous); err != nil {
			return nil, fmt.Errorf("previous data key: %w", err)
		}
		if b.prev.id == cur.id {
			b.prev = nil
		}
	}
	return b, nil
}

// KeyID is the id of the key the Box seals with ("" for a nil Box).
func (b *Box) KeyID() string {
	if b == nil {
		return ""
	}
	return b.cur.id
}

// PreviousKeyID is the id of the previous key ("" when there is none).
func (b *Box) PreviousKeyID() string {
	if b == nil || b.prev == nil {
		return ""
	}
	return b.prev.id
}

// Seal returns v sealed under the current key; a nil Box returns v.
// Sealing an empty value gives an empty value: there is nothing to hide,
// and "absent" stays cheap to test.
func (b *Box) Seal(v []byte) []byte {
	if b == nil || len(v) == 0 {
		return v
	}
	out := make([]byte, headLen+nonceLen, Overhead+len(v))
	copy(out, prefix)
	copy(out[len(prefix):], b.cur.id)
	out[headLen-1] = ':'
	_, _ = rand.Read(out[headLen:]) // crypto/rand.Read never fails (Go 1.24+)
	return b.cur.aead.Seal(out, out[headLen:], v, nil)
}

// Open returns the plaintext of v: v itself when it is not sealed.
func (b *Box) Open(v []byte) ([]byte, error) {
	if !IsSealed(v) {
		return v, nil
	}
	if len(v) < Overhead || v[headLen-1] != ':' {
		return nil, ErrCorrupt
	}
	if b == nil {
		return nil, ErrNoKey
	}
	id := string(v[len(prefix) : headLen-1])
	k := b.cur
	if id != k.id {
		if k = b.prev; k == nil || id != k.id {
			return nil, fmt.Errorf("%w (key id %s; this process has %s)", ErrUnknownKey, cleanID(id), b.ids())
		}
	}
	plain, err := k.aead.Open(nil, v[headLen:headLen+nonceLen], v[headLen+nonceLen:], nil)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plain, nil
}

// SealString is Seal for a string value.
func (b *Box) SealString(v string) string {
	if b == nil || v == "" {
		return v
	}
	return string(b.Seal([]byte(v)))
}

// OpenString is Open for a string value.
func (b *Box) OpenString(v string) (string, error) {
	if !strings.HasPrefix(v, prefix) {
		return v, nil
	}
	p, err := b.Open([]byte(v))
	return string(p), err
}

// IsSealed reports whether v carries the sealed prefix.
func IsSealed[T ~string | ~[]byte](v T) bool {
	return len(v) >= len(prefix) && string(v[:len(prefix)]) == prefix
}

// SealedBy returns the id of the key that sealed v, or "" when v is not
// sealed (or too short to say).
func SealedBy[T ~string | ~[]byte](v T) string {
	if !IsSealed(v) || len(v) < headLen {
		return ""
	}
	return string(v[len(prefix) : headLen-1])
}

// IsSealed is the package's IsSealed, as a method: threads sees a Box
// through its own interface (threads.Sealer), a nil Box included.
func (b *Box) IsSealed(v string) bool { return IsSealed(v) }

// SealedBy is the package's SealedBy, as a method (see IsSealed).
func (b *Box) SealedBy(v string) string { return SealedBy(v) }

// Stale reports whether v is sealed under a key other than the current
// one (a value `parley admin rekey` seals again), or is plaintext while
// the Box has a key.
func (b *Box) Stale(v []byte) bool {
	if b == nil || len(v) == 0 {
		return false
	}
	return SealedBy(v) != b.cur.id
}

// ids names the keys the Box holds, for error messages.
func (b *Box) ids() string {
	if b.prev == nil {
		return "current " + b.cur.id
	}
	return "current " + b.cur.id + ", previous " + b.prev.id
}

// cleanID keeps a key id read from outside printable.
func cleanID(id string) string {
	if bytes.ContainsFunc([]byte(id), func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) {
		return fmt.Sprintf("%q", id)
	}
	return id
}
