// Package pgp is parley's OpenPGP: members' public keys, parley's own key,
// signing and encrypting to a member, decrypting and verifying what a
// member sends back. It does no I/O; keys are stored by threads as bytes.
//
// Keys are version 4 (Ed25519 for signatures, X25519 for encryption), and
// messages use the integrity-protected packet of RFC 4880 (SEIPD v1 with
// MDC), which every OpenPGP client in use reads (GnuPG 2.2, Thunderbird).
package pgp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// MaxKeyBytes is the largest public key accepted (an RSA-4096 key with a
// few identities and signatures is about 10 KB; some carry photos).
const MaxKeyBytes = 64 << 10

// Errors callers test with errors.Is.
var (
	// ErrBadKey: the bytes are not one usable OpenPGP public key.
	ErrBadKey = errors.New("not a usable OpenPGP public key")
	// ErrPrivateKey: the bytes are a private key (also ErrBadKey). It is
	// refused without being kept; the caller must not keep nor log it.
	ErrPrivateKey = errors.New("this is a private key; give the public key (gpg --export --armor ADDRESS)")
	// ErrKeyTooLarge: the bytes are over MaxKeyBytes (also ErrBadKey).
	ErrKeyTooLarge = fmt.Errorf("larger than %d bytes", MaxKeyBytes)
	// ErrKeyRevoked: the key was revoked (also ErrBadKey).
	ErrKeyRevoked = errors.New("the key is revoked")
	// ErrNoEncryptionKey: the key has no encryption key valid now: it has
	// none, or it expired (also ErrBadKey).
	ErrNoEncryptionKey = errors.New("the key has no encryption key valid now (expired?)")
	// ErrNotForUs: the message is encrypted, but not to parley's key.
	ErrNotForUs = errors.New("encrypted to another key")
	// ErrTampered: the message does not decrypt to what was encrypted (its
	// integrity check fails), or its signature by the member's key does not
	// match: someone changed it on the way.
	ErrTampered = errors.New("damaged or changed on the way")
)

// config is the one packet configuration of every operation: v4 keys on
// Curve25519, no AEAD packets (GnuPG 2.2 cannot read them).
func config(now time.Time) *packet.Config {
	return &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
		DefaultCipher: packet.CipherAES256, Time: func() time.Time { return now }}
}

// PublicKey is a member's public key.
type PublicKey struct {
	entity *openpgp.Entity
	now    time.Time // when it was read: Expires looks at the keys valid then
	// Fingerprint is the key's fingerprint, upper-case hex.
	Fingerprint string
	// Bytes is the key in binary form (public parts only), as stored and as
	// sent in an Autocrypt header.
	Bytes []byte
}

// ParsePublicKey reads one public key, armored or binary. It refuses
// private keys (a member must never hand parley theirs), several keys at
// once, and keys with no encryption subkey valid now.
func ParsePublicKey(data []byte, now time.Time) (*PublicKey, error) {
	if len(data) > MaxKeyBytes {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrKeyTooLarge)
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.Contains(trimmed, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
		// Refused before it is read: nothing of it is parsed nor kept.
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrPrivateKey)
	}
	var list openpgp.EntityList
	var err error
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		list, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(trimmed))
	} else {
		list, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	switch {
	case len(list) == 0:
		return nil, fmt.Errorf("%w: no key found", ErrBadKey)
	case len(list) > 1:
		return nil, fmt.Errorf("%w: %d keys found, give one", ErrBadKey, len(list))
	case list[0].PrivateKey != nil:
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrPrivateKey)
	}
	return newPublicKey(list[0], now)
}

func newPublicKey(e *openpgp.Entity, now time.Time) (*PublicKey, error) {
	if e.Revoked(now) {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrKeyRevoked)
	}
	if _, ok := e.EncryptionKey(now); !ok {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, ErrNoEncryptionKey)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return &PublicKey{entity: e, now: now, Fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), Bytes: buf.Bytes()}, nil
}

// Addresses are the email addresses of the key's identities, lower-case.
func (k *PublicKey) Addresses() []string {
	var out []string
	for _, id := range k.entity.Identities {
		if a := strings.ToLower(strings.TrimSpace(id.UserId.Email)); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Created is when the key (its primary key) was made.
func (k *PublicKey) Created() time.Time { return k.entity.PrimaryKey.CreationTime }

// Expires is when the key stops being usable for encryption: the earlier
// of its primary key's and its encryption subkey's expiry. Zero: never.
func (k *PublicKey) Expires() time.Time {
	var at time.Time
	if sig, _ := k.entity.PrimarySelfSignature(); sig != nil {
		at = expiry(k.entity.PrimaryKey.CreationTime, sig)
	}
	if ek, ok := k.entity.EncryptionKey(k.now); ok && ek.SelfSignature != nil {
		if t := expiry(ek.PublicKey.CreationTime, ek.SelfSignature); !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at
}

// expiry is when a key made at created ends by its self-signature sig
// (zero when it has no lifetime).
func expiry(created time.Time, sig *packet.Signature) time.Time {
	if sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return created.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
}

// Armored is the key in ASCII armor, for people and `gpg --import`.
func (k *PublicKey) Armored() string {
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil) // a bytes.Buffer does not fail
	_, _ = w.Write(k.Bytes)
	_ = w.Close()
	return buf.String() + "\n"
}

// ServerKey is parley's own key pair: it signs what parley sends and
// decrypts what members encrypt to it.
type ServerKey struct {
	entity *openpgp.Entity
	public *PublicKey
}

// GenerateServerKey makes parley's key pair for the address addr.
func GenerateServerKey(name, addr string, now time.Time) (*ServerKey, error) {
	e, err := openpgp.NewEntity(name, "", addr, config(now))
	if err != nil {
		return nil, fmt.Errorf("generate OpenPGP key: %w", err)
	}
	return newServerKey(e, now)
}

// ParseServerKey reads a key pair written by ServerKey.Private.
func ParseServerKey(data []byte, now time.Time) (*ServerKey, error) {
	list, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read parley's OpenPGP key: %w", err)
	}
	if len(list) != 1 || list[0].PrivateKey == nil || list[0].PrivateKey.Encrypted {
		return nil, errors.New("read parley's OpenPGP key: not one unlocked private key")
	}
	return newServerKey(list[0], now)
}

func newServerKey(e *openpgp.Entity, now time.Time) (*ServerKey, error) {
	pub, err := newPublicKey(e, now)
	if err != nil {
		return nil, err
	}
	return &ServerKey{entity: e, public: pub}, nil
}

// Private is the key pair in binary form, to be stored sealed.
func (s *ServerKey) Private() ([]byte, error) {
	var buf bytes.Buffer
	if err := s.entity.SerializePrivateWithoutSigning(&buf, nil); err != nil {
		return nil, fmt.Errorf("write parley's OpenPGP key: %w", err)
	}
	return buf.Bytes(), nil
}

// Public is the public half, as members import it.
func (s *ServerKey) Public() *PublicKey { return s.public }

// EncryptAndSign signs plain with parley's key and encrypts it to the
// member's key (and to parley's own, so that the sent copy stays readable
// by the operator), in ASCII armor: the second part of an RFC 3156
// multipart/encrypted message.
func (s *ServerKey) EncryptAndSign(plain []byte, to *PublicKey, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		return nil, err
	}
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{to.entity}, s.entity, &openpgp.FileHints{IsBinary: true}, config(now))
	if err != nil {
		return nil, fmt.Errorf("encrypt to %s: %w", to.Fingerprint, err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("encrypt to %s: %w", to.Fingerprint, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypt to %s: %w", to.Fingerprint, err)
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	buf.WriteString("\n")
	return buf.Bytes(), nil
}

// Signature says what the signature of a decrypted message proved.
type Signature int

// The outcomes of a signature check.
const (
	// Unsigned: the message carries no signature.
	Unsigned Signature = iota
	// UnknownSigner: signed, but not by the key given (or no key was given):
	// it proves nothing either way.
	UnknownSigner
	// GoodSignature: signed by the key given, and the signature matches.
	GoodSignature
)

// String names the outcome for logs.
func (s Signature) String() string {
	return [...]string{"unsigned", "unknown signer", "good signature"}[s]
}

// Decrypt opens a message encrypted to parley's key (armored or binary),
// reading at most max bytes of plain text, and checks its signature
// against signer (which may be nil). A message not encrypted to parley is
// ErrNotForUs; one whose integrity check or signature by signer fails is
// ErrTampered.
func (s *ServerKey) Decrypt(msg []byte, signer *PublicKey, max int64, now time.Time) ([]byte, Signature, error) {
	var r io.Reader = bytes.NewReader(msg)
	if trimmed := bytes.TrimSpace(msg); bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP MESSAGE")) {
		block, err := armor.Decode(bytes.NewReader(trimmed))
		if err != nil {
			return nil, Unsigned, fmt.Errorf("%w: armor: %v", ErrTampered, err)
		}
		r = block.Body
	}
	ring := openpgp.EntityList{s.entity}
	if signer != nil {
		ring = append(ring, signer.entity)
	}
	md, err := openpgp.ReadMessage(r, ring, nil, config(now))
	switch {
	case errors.Is(err, pgperrors.ErrKeyIncorrect):
		return nil, Unsigned, ErrNotForUs
	case err != nil:
		return nil, Unsigned, fmt.Errorf("%w: %v", ErrTampered, err)
	case !md.IsEncrypted || md.IsSymmetricallyEncrypted && md.DecryptedWith.Entity == nil:
		return nil, Unsigned, fmt.Errorf("%w: not encrypted to a key", ErrNotForUs)
	}
	plain, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, max+1))
	if err != nil {
		return nil, Unsigned, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	if int64(len(plain)) > max {
		return nil, Unsigned, fmt.Errorf("decrypted message larger than %d bytes", max)
	}
	switch {
	case !md.IsSigned:
		return plain, Unsigned, nil
	case md.SignedBy == nil || signer == nil || md.SignedBy.Entity != signer.entity:
		return plain, UnknownSigner, nil
	case md.SignatureError != nil:
		return nil, Unsigned, fmt.Errorf("%w: signature: %v", ErrTampered, md.SignatureError)
	}
	return plain, GoodSignature, nil
}

// KeyVault keeps parley's own key pair sealed (threads.Auth): it returns
// the stored one, or the one generate makes when none is stored yet.
type KeyVault interface {
	ServerKey(ctx context.Context, generate func() ([]byte, error)) ([]byte, error)
}

// LoadServerKey returns parley's key pair for the address addr from v,
// generated (and stored there) at the first start, as of now.
func LoadServerKey(ctx context.Context, v KeyVault, name, addr string, now time.Time) (*ServerKey, error) {
	data, err := v.ServerKey(ctx, func() ([]byte, error) {
		k, err := GenerateServerKey(name, addr, now)
		if err != nil {
			return nil, err
		}
		return k.Private()
	})
	if err != nil {
		return nil, err
	}
	return ParseServerKey(data, now)
}
