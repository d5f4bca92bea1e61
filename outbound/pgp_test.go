package outbound

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"parley/internal/pgp"
	"parley/internal/recent"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// pgpEnv is mailEnv with the OpenPGP step in front of the smarthost, and
// Bob's key pair as his mail client holds it.
type pgpEnv struct {
	*mailEnv
	server *pgp.ServerKey
	bob    *openpgp.Entity
	pgp    *PGPTransport
	email  *Email
}

func newPGPEnv(t *testing.T) *pgpEnv {
	e := newMailEnv(t, 0)
	server, err := pgp.LoadServerKey(e.ctx, e.store.Auth, "parley", e.composer.LoopID(), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, err := pgp.LoadServerKey(e.ctx, e.store.Auth, "parley", e.composer.LoopID(), e.clock.Now())
	if err != nil || again.Public().Fingerprint != server.Public().Fingerprint {
		t.Fatalf("parley's key is not kept: %v", err)
	}
	bob, err := openpgp.NewEntity("Bob", "", "bob@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	client, err := smtpsend.New(smtpsend.Options{Addr: e.sink.Addr, TLS: smtpsend.NoTLS, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	p := NewPGPTransport(PGPOptions{Next: client, Keys: e.store.Directory, Server: server, Composer: e.composer})
	email := NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: e.composer,
		Transport: p, Domain: "parley.test", PublicURL: "https://chat.example.org/", Keys: p})
	e.worker = NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "w", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: 0}})
	return &pgpEnv{mailEnv: e, server: server, bob: bob, pgp: p, email: email}
}

func (e *pgpEnv) setBobKey(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	_ = e.bob.Serialize(&buf)
	k, err := pgp.ParsePublicKey(buf.Bytes(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Directory.SetMemberKey(e.ctx, "bob", threads.MemberKey{Key: k.Bytes, Fingerprint: k.Fingerprint, Source: threads.KeyFromAdmin}); err != nil {
		t.Fatal(err)
	}
	e.pgp.keys = recent.Cache[keyEntry]{TTL: keyCacheFor} // the key takes effect at once in the test
}

// open decrypts an email to Bob with his key and checks parley's signature.
func (e *pgpEnv) open(t *testing.T, msg []byte) string {
	t.Helper()
	start := bytes.Index(msg, []byte("-----BEGIN PGP MESSAGE-----"))
	if start < 0 {
		t.Fatalf("not encrypted:\n%s", msg)
	}
	block, err := armor.Decode(bytes.NewReader(msg[start:]))
	if err != nil {
		t.Fatal(err)
	}
	ring := openpgp.EntityList{e.bob}
	pub, _ := openpgp.ReadKeyRing(bytes.NewReader(e.server.Public().Bytes))
	md, err := openpgp.ReadMessage(block.Body, append(ring, pub...), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(md.UnverifiedBody)
	if err != nil || md.SignedBy == nil || md.SignatureError != nil {
		t.Fatalf("signature: %v %v %v", err, md.SignedBy, md.SignatureError)
	}
	return strings.ReplaceAll(string(plain), "=\r\n", "")
}

func TestPGPRelayToMemberWithKey(t *testing.T) {
	e := newPGPEnv(t)
	e.post(t, "plain while Bob has no key")
	step(t, e.worker)
	e.setBobKey(t)
	e.post(t, "the numbers for Q3 are in")
	step(t, e.worker)
	if err := e.email.SendNotice(e.ctx, threads.Notice{To: "bob@example.org", Name: "Bob", Title: "About your reply", Text: "notice text"}); err != nil {
		t.Fatal(err)
	}

	msgs := e.sink.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d emails, want 3", len(msgs))
	}
	plain := parse(t, msgs[0].Data)
	if !strings.Contains(string(msgs[0].Data), "plain while Bob has no key") || !strings.HasPrefix(plain.Header.Get("Autocrypt"), "addr=parley@parley.test;") {
		t.Errorf("the first relay should be plain with an Autocrypt header:\n%s", msgs[0].Data)
	}
	for i, want := range []string{"the numbers for Q3 are in", "notice text"} {
		raw := msgs[i+1].Data
		if bytes.Contains(raw, []byte(want)) {
			t.Errorf("email %d: %q readable on the wire", i+1, want)
		}
		m := parse(t, raw)
		if m.Header.Get("Subject") != "[parley] message" || !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/encrypted") {
			t.Errorf("email %d: subject %q, type %q", i+1, m.Header.Get("Subject"), m.Header.Get("Content-Type"))
		}
		if inner := e.open(t, raw); !strings.Contains(inner, want) || !strings.Contains(inner, "Subject: ") {
			t.Errorf("email %d decrypts to\n%s", i+1, inner)
		}
	}

	// A key removed: plain again.
	if ok, err := e.store.Directory.RemoveMemberKey(e.ctx, "bob"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e.pgp.keys = recent.Cache[keyEntry]{TTL: keyCacheFor}
	e.post(t, "plain again")
	step(t, e.worker)
	if msgs := e.sink.Messages(); len(msgs) != 4 || !strings.Contains(string(msgs[3].Data), "plain again") {
		t.Errorf("after the key was removed the relay is not plain")
	}
}
