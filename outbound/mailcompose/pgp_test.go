package mailcompose

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"parley/internal/golden"
	"parley/internal/pgp"
	"parley/internal/testpeers/gpgpeer"
)

// pgpFixture is parley's key and Bob's key pair, made once per test.
type pgpFixture struct {
	server *pgp.ServerKey
	bob    *openpgp.Entity
	bobPub *pgp.PublicKey
}

func newPGPFixture(t testing.TB) pgpFixture {
	t.Helper()
	server, err := pgp.GenerateServerKey("parley", "parley@"+domain, clock)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return clock }}
	bobKey, err := openpgp.NewEntity("Bob", "", "bob@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = bobKey.Serialize(&buf)
	pub, err := pgp.ParsePublicKey(buf.Bytes(), clock)
	if err != nil {
		t.Fatal(err)
	}
	return pgpFixture{server, bobKey, pub}
}

// armoredPart returns the armored OpenPGP message of a PGP/MIME email and
// the email with that block replaced by a placeholder, for golden files
// (encryption is random; the structure is not).
func armoredPart(t testing.TB, msg []byte) ([]byte, []byte) {
	t.Helper()
	re := regexp.MustCompile(`(?s)-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----`)
	block := re.Find(msg)
	if block == nil {
		t.Fatalf("no armored message in\n%s", msg)
	}
	structure := re.ReplaceAll(msg, []byte("(armored OpenPGP message)"))
	// The Autocrypt keydata and the boundary (a digest of the ciphertext) change with every key.
	structure = regexp.MustCompile(`keydata=[ A-Za-z0-9+/=\r\n]*\r\n`).ReplaceAll(structure, []byte("keydata=(parley's key)\r\n"))
	structure = regexp.MustCompile(`=_pgp[0-9a-f]{24}`).ReplaceAll(structure, []byte("=_pgpBOUNDARY"))
	return block, structure
}

func TestProtectEncryptsRelay(t *testing.T) {
	f := newPGPFixture(t)
	c := newComposer(t, nil)
	plain, err := c.Relay(relay(line("alice", "Alice", "The launch moves to Friday; keep it quiet.", 0)))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Protect(plain, Protection{Key: f.server, To: f.bobPub})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, msg.Bytes)
	if msg.MessageID != plain.MessageID || strings.Join(msg.To, ",") != strings.Join(plain.To, ",") {
		t.Errorf("envelope changed: %+v", msg)
	}
	// The text and the room's subject are inside; the addresses, the
	// room's List-Id and threading stay outside, for servers and clients.
	if bytes.Contains(msg.Bytes, []byte("Friday")) || bytes.Contains(msg.Bytes, []byte("Subject: [Design]")) {
		t.Fatalf("the text or the subject is readable outside:\n%s", msg.Bytes)
	}
	block, structure := armoredPart(t, msg.Bytes)
	golden.Check(t, "relay-encrypted.eml", structure)

	m, err := mail.ReadMessage(bytes.NewReader(msg.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "[parley] message" {
		t.Errorf("outer subject %q", got)
	}
	ac := m.Header.Get("Autocrypt")
	a, err := pgp.ParseAutocrypt(ac)
	if err != nil || a.Addr != "parley@"+domain || !bytes.Equal(a.KeyData, f.server.Public().Bytes) {
		t.Errorf("Autocrypt header %q: %+v %v", ac, a, err)
	}
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if mt != "multipart/encrypted" || params["protocol"] != "application/pgp-encrypted" {
		t.Fatalf("content type %s %v", mt, params)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Header.Get("Content-Type"))
	}
	if len(types) != 2 || types[0] != "application/pgp-encrypted" || !strings.HasPrefix(types[1], "application/octet-stream") {
		t.Errorf("parts %v", types)
	}

	// Bob's client: decrypt, check parley's signature, read the inner
	// message with its protected headers.
	inner := decryptAsBob(t, f, block)
	golden.Check(t, "relay-encrypted-inner.eml", inner)
	im, err := mail.ReadMessage(bytes.NewReader(inner))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mail.ReadMessage(bytes.NewReader(plain.Bytes))
	for _, h := range []string{"Subject", "From", "To", "Date", "Message-Id", "Content-Type"} {
		got := im.Header.Get(h)
		if h == "Content-Type" {
			got = strings.TrimSuffix(got, `; protected-headers="v1"`)
		}
		if got != want.Header.Get(h) {
			t.Errorf("inner %s = %q, want %q", h, got, want.Header.Get(h))
		}
	}
	if !strings.Contains(im.Header.Get("Content-Type"), `protected-headers="v1"`) {
		t.Errorf("inner part does not say it carries protected headers")
	}
}

// decryptAsBob decrypts an armored message with Bob's key and checks that
// parley signed it.
func decryptAsBob(t testing.TB, f pgpFixture, block []byte) []byte {
	t.Helper()
	ab, err := armor.Decode(bytes.NewReader(block))
	if err != nil {
		t.Fatal(err)
	}
	var ring openpgp.EntityList = openpgp.EntityList{f.bob}
	serverPub, err := openpgp.ReadKeyRing(bytes.NewReader(f.server.Public().Bytes))
	if err != nil {
		t.Fatal(err)
	}
	ring = append(ring, serverPub...)
	md, err := openpgp.ReadMessage(ab.Body, ring, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		t.Fatal(err)
	}
	if !md.IsSigned || md.SignedBy == nil || md.SignatureError != nil {
		t.Fatalf("not signed by parley: signed %v by %v: %v", md.IsSigned, md.SignedBy, md.SignatureError)
	}
	return inner
}

// TestProtectGnuPG has gpg, as a member's client would, decrypt a relay
// and verify parley's signature.
func TestProtectGnuPG(t *testing.T) {
	g := gpgpeer.New(t)
	f := newPGPFixture(t)
	var bobPriv bytes.Buffer
	if err := f.bob.SerializePrivate(&bobPriv, nil); err != nil {
		t.Fatal(err)
	}
	g.Import(bobPriv.Bytes())
	g.Import(f.server.Public().Bytes)

	c := newComposer(t, nil)
	plain, err := c.Notice(Notice{To: mail.Address{Name: "Bob", Address: "bob@example.org"},
		Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: NoticeText{Title: "Your transcript", Text: "The secret plan is attached."}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Protect(plain, Protection{Key: f.server, To: f.bobPub})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := armoredPart(t, msg.Bytes)
	out, status, err := g.Decrypt(block)
	if err != nil {
		t.Fatalf("gpg --decrypt: %v\n%s", err, status)
	}
	for _, s := range []string{"DECRYPTION_OKAY", "GOODSIG", "VALIDSIG " + f.server.Public().Fingerprint} {
		if !strings.Contains(status, s) {
			t.Errorf("gpg status lacks %s:\n%s", s, status)
		}
	}
	if !bytes.Contains(out, []byte("secret plan")) || !bytes.Contains(out, []byte("Subject: ")) {
		t.Errorf("gpg decrypted:\n%s", out)
	}
}

func TestProtectPlainGetsAutocrypt(t *testing.T) {
	f := newPGPFixture(t)
	c := newComposer(t, nil)
	plain, err := c.Relay(relay(line("alice", "Alice", "hello", 0)))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Protect(plain, Protection{Key: f.server})
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, msg.Bytes)
	if !bytes.HasSuffix(msg.Bytes, plain.Bytes) || !bytes.HasPrefix(msg.Bytes, []byte("Autocrypt: addr=parley@"+domain+"; prefer-encrypt=mutual; keydata=")) {
		t.Errorf("plain message changed beyond the Autocrypt header:\n%s", msg.Bytes)
	}
	if same, _ := c.Protect(plain, Protection{}); !bytes.Equal(same.Bytes, plain.Bytes) {
		t.Errorf("without parley's key the message changed")
	}
}

func TestProtectKeepsDKIMValid(t *testing.T) {
	f := newPGPFixture(t)
	k := testKeys(t)[2]
	c := newComposer(t, &DKIMOptions{Selector: "mail2026", PrivateKeyPEM: k.pem})
	plain, err := c.Relay(relay(line("alice", "Alice", "hello", 0)))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Protect(plain, Protection{Key: f.server, To: f.bobPub})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(msg.Bytes, []byte("DKIM-Signature:")); n != 1 {
		t.Fatalf("%d DKIM signatures", n)
	}
	if vs, err := verify(msg.Bytes, k.txt); err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("verify = %+v, %v", vs, err)
	}
}

// BenchmarkRelayProtect is BenchmarkRelay with the OpenPGP step: "plain"
// adds only the Autocrypt header (a member without a key), "encrypted"
// signs and encrypts to the member's key (and DKIM-signs again when dkim).
func BenchmarkRelayProtect(b *testing.B) {
	f := newPGPFixture(b)
	r := relayCases()[1].relay
	for _, c := range []struct {
		name string
		to   bool
	}{{"plain", false}, {"encrypted", true}} {
		b.Run(c.name, func(b *testing.B) {
			comp := newComposer(b, nil)
			p := Protection{Key: f.server}
			if c.to {
				p.To = f.bobPub
			}
			for b.Loop() {
				m, err := comp.Relay(r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := comp.Protect(m, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
