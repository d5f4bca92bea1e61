package pgp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var now = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// member is a member's key pair, made as their mail client would.
type member struct {
	entity *openpgp.Entity
	public *PublicKey
}

func newMember(t testing.TB, addr string) member {
	t.Helper()
	e, err := openpgp.NewEntity("Member", "", addr, config(now))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(buf.Bytes(), now)
	if err != nil {
		t.Fatal(err)
	}
	return member{e, pub}
}

// encryptFrom is what the member's client sends parley: encrypted to to,
// signed by signer (unsigned when nil).
func encryptFrom(t testing.TB, signer *openpgp.Entity, to *ServerKey, plain string) []byte {
	t.Helper()
	var buf bytes.Buffer
	aw, _ := armor.Encode(&buf, "PGP MESSAGE", nil)
	w, err := openpgp.Encrypt(aw, []*openpgp.Entity{to.entity}, signer, nil, config(now))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, plain)
	w.Close()
	aw.Close()
	return buf.Bytes()
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	server, err := GenerateServerKey("parley", "parley@example.org", now)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := server.Private()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseServerKey(priv, now)
	if err != nil {
		t.Fatal(err)
	}
	if again.Public().Fingerprint != server.Public().Fingerprint {
		t.Fatalf("fingerprint changed across storage")
	}
	bob := newMember(t, "bob@example.org")

	// parley to Bob: Bob decrypts it and the signature is parley's.
	ct, err := server.EncryptAndSign([]byte("hello Bob"), bob.public, now)
	if err != nil {
		t.Fatal(err)
	}
	block, err := armor.Decode(bytes.NewReader(ct))
	if err != nil {
		t.Fatal(err)
	}
	md, err := openpgp.ReadMessage(block.Body, openpgp.EntityList{bob.entity, server.entity}, nil, config(now))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(md.UnverifiedBody)
	if string(got) != "hello Bob" || !md.IsSigned || md.SignedBy == nil || md.SignatureError != nil || md.SignedBy.Entity != server.entity {
		t.Fatalf("Bob reads %q, signed %v by %v, err %v", got, md.IsSigned, md.SignedBy, md.SignatureError)
	}

	// Bob to parley, signed, unsigned, signed by someone else.
	mallory := newMember(t, "mallory@example.org")
	cases := []struct {
		name   string
		signer *openpgp.Entity
		want   Signature
	}{
		{"signed by Bob", bob.entity, GoodSignature},
		{"unsigned", nil, Unsigned},
		{"signed by another key", mallory.entity, UnknownSigner},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, sig, err := again.Decrypt(encryptFrom(t, c.signer, again, "a reply"), bob.public, 1<<20, now)
			if err != nil || string(plain) != "a reply" || sig != c.want {
				t.Fatalf("got %q, %v, %v; want %v", plain, sig, err, c.want)
			}
		})
	}
}

func TestDecryptRefuses(t *testing.T) {
	server, _ := GenerateServerKey("parley", "parley@example.org", now)
	other, _ := GenerateServerKey("other", "other@example.org", now)
	bob := newMember(t, "bob@example.org")

	if _, _, err := server.Decrypt(encryptFrom(t, bob.entity, other, "not for parley"), bob.public, 1<<20, now); !errors.Is(err, ErrNotForUs) {
		t.Errorf("message for another key: %v, want ErrNotForUs", err)
	}

	// Flip one byte deep in the encrypted data, re-armored: the MDC or
	// the signature fails.
	ct := encryptFrom(t, bob.entity, server, strings.Repeat("the plan for Friday ", 20))
	block, _ := armor.Decode(bytes.NewReader(ct))
	raw, _ := io.ReadAll(block.Body)
	for _, at := range []int{len(raw) - 30, len(raw) / 2, len(raw) - 2} {
		bad := append([]byte(nil), raw...)
		bad[at] ^= 0x40
		if plain, sig, err := server.Decrypt(bad, bob.public, 1<<20, now); err == nil {
			t.Errorf("byte %d flipped: decrypted %q (%v), want an error", at, plain, sig)
		} else if !errors.Is(err, ErrTampered) {
			t.Errorf("byte %d flipped: %v, want ErrTampered", at, err)
		}
	}

	if _, _, err := server.Decrypt(encryptFrom(t, nil, server, strings.Repeat("x", 5000)), nil, 100, now); err == nil {
		t.Errorf("over the size limit: no error")
	}
}

func TestParsePublicKey(t *testing.T) {
	bob := newMember(t, "Bob@Example.org")
	var armored, private bytes.Buffer
	w, _ := armor.Encode(&armored, openpgp.PublicKeyType, nil)
	bob.entity.Serialize(w)
	w.Close()
	bob.entity.SerializePrivate(&private, nil)
	two := append(append([]byte(nil), bob.public.Bytes...), newMember(t, "x@example.org").public.Bytes...)

	k, err := ParsePublicKey(armored.Bytes(), now)
	if err != nil || k.Fingerprint != bob.public.Fingerprint {
		t.Fatalf("armored key: %v", err)
	}
	if a := k.Addresses(); len(a) != 1 || a[0] != "bob@example.org" {
		t.Errorf("addresses %v", a)
	}
	if again, err := ParsePublicKey([]byte(k.Armored()), now); err != nil || again.Fingerprint != k.Fingerprint {
		t.Errorf("Armored does not read back: %v", err)
	}
	if !k.Created().Equal(now) || !k.Expires().IsZero() {
		t.Errorf("created %v expires %v, want %v and never", k.Created(), k.Expires(), now)
	}
	var armoredPrivate bytes.Buffer
	w, _ = armor.Encode(&armoredPrivate, openpgp.PrivateKeyType, nil)
	bob.entity.SerializePrivate(w, nil)
	w.Close()
	revoked := newMember(t, "r@example.org")
	if err := revoked.entity.RevokeKey(packet.KeyCompromised, "lost", config(now)); err != nil {
		t.Fatal(err)
	}
	var revokedBytes bytes.Buffer
	revoked.entity.Serialize(&revokedBytes)
	for _, c := range []struct {
		name string
		data []byte
		want error // besides ErrBadKey; nil: ErrBadKey only
	}{
		{"private key", private.Bytes(), ErrPrivateKey},
		{"armored private key", armoredPrivate.Bytes(), ErrPrivateKey},
		{"two keys", two, nil},
		{"garbage", []byte("hello"), nil},
		{"empty", nil, nil},
		{"too large", bytes.Repeat([]byte{0x99}, MaxKeyBytes+1), ErrKeyTooLarge},
		{"half a key", bob.public.Bytes[:len(bob.public.Bytes)/2], nil},
		{"expired", bob.public.Bytes, ErrNoEncryptionKey},
		{"revoked", revokedBytes.Bytes(), ErrKeyRevoked},
	} {
		at := now
		if c.name == "expired" {
			at = now.AddDate(0, 0, 1) // read a day on, past the lifetime set below
		}
		data := c.data
		if c.name == "expired" {
			data = expiring(t, 3600)
		}
		_, err := ParsePublicKey(data, at)
		if !errors.Is(err, ErrBadKey) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want ErrBadKey and %v", c.name, err, c.want)
		}
	}
	k, err = ParsePublicKey(expiring(t, 3600), now)
	if err != nil || !k.Expires().Equal(now.Add(time.Hour)) {
		t.Errorf("expiring key: %v, expires %v", err, k.Expires())
	}
}

// expiring is a new key (binary) whose keys end secs after now.
func expiring(t *testing.T, secs uint32) []byte {
	t.Helper()
	c := config(now)
	c.KeyLifetimeSecs = secs
	e, err := openpgp.NewEntity("Short", "", "short@example.org", c)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
