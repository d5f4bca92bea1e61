package inbound

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"parley/internal/pgp"
	"parley/internal/testpeers/gpgpeer"
	"parley/outbound"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// pgpRenv is renv with parley's key made and Bob's key pair as his client
// holds it.
type pgpRenv struct {
	*renv
	server         *pgp.ServerKey
	parley         *openpgp.Entity // parley's public key, as Bob's client has it
	bobKey, eveKey *openpgp.Entity
}

func newPGPRenv(t *testing.T) *pgpRenv {
	e := newRenv(t, Options{})
	server, err := e.mail.serverKey(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := openpgp.ReadKeyRing(bytes.NewReader(server.Public().Bytes))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(addr string) *openpgp.Entity {
		ent, err := openpgp.NewEntity("Someone", "", addr, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
		if err != nil {
			t.Fatal(err)
		}
		return ent
	}
	return &pgpRenv{renv: e, server: server, parley: list[0], bobKey: mk("bob@example.org"), eveKey: mk("eve@example.org")}
}

func publicBytes(e *openpgp.Entity) []byte {
	var buf bytes.Buffer
	_ = e.Serialize(&buf)
	return buf.Bytes()
}

// autocrypt is the Autocrypt header Bob's client adds.
func autocrypt(addr string, e *openpgp.Entity) string {
	return "Autocrypt: addr=" + addr + "; prefer-encrypt=mutual; keydata=" + base64.StdEncoding.EncodeToString(publicBytes(e))
}

// encrypted is a PGP/MIME reply as a client writes it: the inner entity
// (plain text with protected headers) encrypted to `to`, signed by signer
// (nil: unsigned).
func encrypted(t *testing.T, from, rcpt, msgID, text string, to []*openpgp.Entity, signer *openpgp.Entity, extra ...string) []byte {
	t.Helper()
	inner := "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\nSubject: Re: [Design] the secret plan\r\n\r\n" +
		strings.ReplaceAll(text, "\n", "\r\n")
	var ct bytes.Buffer
	aw, _ := armor.Encode(&ct, "PGP MESSAGE", nil)
	w, err := openpgp.Encrypt(aw, to, signer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(w, inner)
	_ = w.Close()
	_ = aw.Close()
	return wrapEncrypted(from, rcpt, msgID, ct.Bytes(), extra...)
}

func wrapEncrypted(from, rcpt, msgID string, armored []byte, extra ...string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: ...\r\nMessage-ID: <%s>\r\nDate: Mon, 07 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n", from, rcpt, msgID)
	for _, x := range extra {
		h += x + "\r\n"
	}
	body := "--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n" +
		strings.ReplaceAll(strings.ReplaceAll(string(armored), "\r\n", "\n"), "\n", "\r\n") + "\r\n--b1--\r\n"
	return []byte(h + "\r\n" + body)
}

// recorder is an outbound.Transport that keeps what it is given.
type recorder struct{ msgs [][]byte }

func (r *recorder) Send(_ context.Context, _ string, _ []string, msg []byte) error {
	r.msgs = append(r.msgs, msg)
	return nil
}

func TestAutocryptTeachesKeyThenRelayIsEncrypted(t *testing.T) {
	e := newPGPRenv(t)
	// A header for another address, or two headers, teach nothing.
	for i, extra := range [][]string{
		{autocrypt("eve@example.org", e.eveKey)},
		{autocrypt("bob@example.org", e.bobKey), autocrypt("bob@example.org", e.eveKey)},
		{"Autocrypt: addr=bob@example.org; keydata=bm90IGEga2V5"},
	} {
		if _, err := e.receive(t, reply("Bob <bob@example.org>", e.bob, fmt.Sprintf("n%d@example.org", i), "no key here", extra...), e.bob); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Directory.MemberKey(e.ctx, "bob"); err == nil {
			t.Fatalf("case %d taught a key", i)
		}
	}
	// A stranger's header teaches nothing either (the mail is refused).
	_, _ = e.receive(t, reply("Eve <eve@example.org>", e.bob, "s1@example.org", "hi", autocrypt("eve@example.org", e.eveKey)), e.bob)

	res, err := e.receive(t, reply("Bob <bob@example.org>", e.bob, "a1@example.org", "Plain, with my key.", autocrypt("bob@example.org", e.bobKey)), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("reply with Autocrypt: %+v %v", res, err)
	}
	k, err := e.store.Directory.MemberKey(e.ctx, "bob")
	if err != nil || k.Source != threads.KeyFromAutocrypt || k.Fingerprint != fmt.Sprintf("%X", e.bobKey.PrimaryKey.Fingerprint) || k.Addr != "bob@example.org" {
		t.Fatalf("learned %+v, %v", k, err)
	}

	// The next relay to Bob goes encrypted to that key.
	comp, err := mailcompose.New(mailcompose.Options{Domain: "parley.test"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	tr := outbound.NewPGPTransport(outbound.PGPOptions{Next: rec, Keys: e.store.Directory, Server: e.server, Composer: comp})
	room, _ := e.store.Chat.Room(e.ctx, "design")
	bob, _ := e.store.Directory.User(e.ctx, "bob")
	msg, err := comp.Relay(mailcompose.Relay{Room: room, To: bob, ReplyTo: e.bob,
		Lines: []threads.Line{{ID: "1-0", Room: "design", Author: "alice", Name: "Alice", Text: "budget is 40k", Time: time.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(e.ctx, msg.From, msg.To, msg.Bytes); err != nil {
		t.Fatal(err)
	}
	if len(rec.msgs) != 1 || bytes.Contains(rec.msgs[0], []byte("budget")) || !bytes.Contains(rec.msgs[0], []byte("multipart/encrypted")) {
		t.Fatalf("relay not encrypted:\n%s", rec.msgs)
	}
}

func TestEncryptedReplies(t *testing.T) {
	e := newPGPRenv(t)
	if err := e.store.Directory.SetMemberKey(e.ctx, "bob", threads.MemberKey{Key: publicBytes(e.bobKey),
		Fingerprint: fmt.Sprintf("%X", e.bobKey.PrimaryKey.Fingerprint), Source: threads.KeyFromMember}); err != nil {
		t.Fatal(err)
	}
	toParley := []*openpgp.Entity{e.parley}

	// Signed by Bob: posted, with the text the client encrypted.
	res, err := e.receive(t, encrypted(t, "Bob <bob@example.org>", e.bob, "e1@example.org", "The plan stays secret.\n\n> quoted\n", toParley, e.bobKey), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("signed encrypted reply: %+v %v", res, err)
	}
	ls := e.lines(t)
	if len(ls) != 1 || ls[0].Text != "The plan stays secret." || ls[0].Author != "bob" {
		t.Fatalf("lines %+v", ls)
	}

	// Unsigned, and signed by someone else's key: posted too (the reply
	// address and From checks hold as for plain mail), but not as signed.
	for i, signer := range []*openpgp.Entity{nil, e.eveKey} {
		res, err := e.receive(t, encrypted(t, "Bob <bob@example.org>", e.bob, fmt.Sprintf("u%d@example.org", i), fmt.Sprintf("unsigned %d", i), toParley, signer), e.bob)
		if err != nil || res.Outcome != Posted {
			t.Fatalf("reply %d: %+v %v", i, res, err)
		}
	}

	// Tampered: one byte of the ciphertext changed.
	good := encrypted(t, "Bob <bob@example.org>", e.bob, "t1@example.org", strings.Repeat("tamper with me ", 30), toParley, e.bobKey)
	start := bytes.Index(good, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(good, []byte("-----END PGP MESSAGE-----"))
	block, _ := armor.Decode(bytes.NewReader(good[start : end+len("-----END PGP MESSAGE-----")]))
	raw, _ := io.ReadAll(block.Body)
	raw[len(raw)-40] ^= 0x01
	var rearmored bytes.Buffer
	aw, _ := armor.Encode(&rearmored, "PGP MESSAGE", nil)
	_, _ = aw.Write(raw)
	_ = aw.Close()
	res, err = e.receive(t, wrapEncrypted("Bob <bob@example.org>", e.bob, "t1@example.org", rearmored.Bytes()), e.bob)
	if ie := AsError(err); err == nil || ie.Temporary || !strings.Contains(ie.Reason, "changed on the way") {
		t.Fatalf("tampered reply: %+v %v", res, err)
	}

	// Encrypted to another key: not posted, Bob gets a notice.
	res, err = e.receive(t, encrypted(t, "Bob <bob@example.org>", e.bob, "o1@example.org", "for someone else", []*openpgp.Entity{e.eveKey}, e.bobKey), e.bob)
	if err != nil || res.Outcome != Ignored {
		t.Fatalf("reply for another key: %+v %v", res, err)
	}
	// The same from a stranger: dropped, nobody told.
	_, _ = e.receive(t, encrypted(t, "Eve <eve@example.org>", e.bob, "o2@example.org", "x", []*openpgp.Entity{e.bobKey}, nil), e.bob)
	notices, _ := e.store.Queue.ClaimNotices(e.ctx, "t", 10, time.Hour)
	if len(notices) != 1 || notices[0].To != "bob@example.org" || notices[0].Kind != noticeEncrypted ||
		!strings.Contains(notices[0].Text, "could not decrypt") || notices[0].InReplyTo != "o1@example.org" {
		t.Fatalf("notices %+v", notices)
	}

	// Nothing but the four readable replies was posted: no ciphertext.
	ls = e.lines(t)
	if len(ls) != 3 {
		t.Fatalf("%d lines, want 3", len(ls))
	}
	for _, l := range ls {
		if strings.Contains(l.Text, "PGP") || strings.Contains(l.Text, "tamper") || strings.Contains(l.Text, "someone else") {
			t.Errorf("posted %q", l.Text)
		}
	}
}

func TestEncryptedReplyFromGnuPG(t *testing.T) {
	g := gpgpeer.New(t)
	e := newPGPRenv(t)
	var bobPriv bytes.Buffer
	_ = e.bobKey.SerializePrivate(&bobPriv, nil)
	g.Import(bobPriv.Bytes())
	g.Import(e.server.Public().Bytes)
	if err := e.store.Directory.SetMemberKey(e.ctx, "bob", threads.MemberKey{Key: publicBytes(e.bobKey),
		Fingerprint: fmt.Sprintf("%X", e.bobKey.PrimaryKey.Fingerprint), Source: threads.KeyFromMember}); err != nil {
		t.Fatal(err)
	}
	inner := "Content-Type: text/plain; charset=utf-8\r\n\r\nEncrypted with GnuPG.\r\n"
	ct := g.EncryptSign([]byte(inner), "bob@example.org", e.server.Public().Fingerprint)
	res, err := e.receive(t, wrapEncrypted("Bob <bob@example.org>", e.bob, "g1@example.org", ct), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("gpg's reply: %+v %v", res, err)
	}
	if ls := e.lines(t); len(ls) != 1 || ls[0].Text != "Encrypted with GnuPG." {
		t.Fatalf("lines %+v", ls)
	}
}

// TestReadHeaderFindsFieldsInAnyCase: the scan that spares a message
// without the field its parse finds the field in any case, on any line,
// and not in the body or inside another field's name.
func TestReadHeaderFindsFieldsInAnyCase(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      []string
	}{
		{"none", "From: a@example.org\r\nSubject: hi\r\n\r\nAutocrypt: in the body\r\n", nil},
		{"canonical", "From: a@example.org\r\nAutocrypt: addr=a@example.org; keydata=AA\r\n\r\nbody\r\n", []string{"addr=a@example.org; keydata=AA"}},
		{"lower case, first line", "autocrypt: addr=a@example.org; keydata=AA\r\nFrom: a@example.org\r\n\r\n", []string{"addr=a@example.org; keydata=AA"}},
		{"two, LF only", "AUTOCRYPT: one\nFrom: a@example.org\nAutocrypt: two\n\nbody\n", []string{"one", "two"}},
		{"a longer name", "X-Autocrypt: no\r\nAutocrypt-Gossip: no\r\n\r\n", nil},
		{"no body", "Autocrypt: addr=a@example.org", []string{"addr=a@example.org"}},
	} {
		got := autocryptHeaders([]byte(tc.raw))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := headerValue([]byte("message-id: <x@example.org>\r\n\r\n"), "Message-ID"); got != "<x@example.org>" {
		t.Errorf("headerValue in lower case: %q", got)
	}
}
