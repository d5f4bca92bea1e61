package mailcompose

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// testKey is a private key in PEM and the DKIM TXT record of its public half.
type testKey struct {
	name string
	pem  []byte
	txt  string
}

func testKeys(t *testing.T) []testKey {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	rsaTXT := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaPub)
	return []testKey{
		{"rsa-pkcs1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), rsaTXT},
		{"rsa-pkcs8", pkcs8(rsaKey), rsaTXT},
		{"ed25519", pkcs8(edKey), "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub)},
	}
}

// verify checks msg's DKIM signatures against txt, published (for the test
// only, no DNS) as mail2026._domainkey.chat.example.org.
func verify(msg []byte, txt string) ([]*dkim.Verification, error) {
	return dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name != "mail2026._domainkey."+domain {
				return nil, fmt.Errorf("no TXT record for %s", name)
			}
			return []string{txt}, nil
		},
	})
}

func TestDKIM(t *testing.T) {
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			c := newComposer(t, &DKIMOptions{Selector: "mail2026", PrivateKeyPEM: k.pem})
			r := relay(line("alice", "Zoë", "Ça marche — 日本 🎉", 0))
			m, err := c.Relay(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(m.Bytes, []byte("DKIM-Signature: ")) {
				t.Fatalf("no signature in front:\n%s", m.Bytes)
			}
			parse(t, m.Bytes)
			vs, err := verify(m.Bytes, k.txt)
			if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != domain {
				t.Fatalf("verify = %+v, %v", vs, err)
			}
			for _, f := range []string{"from", "subject", "list-unsubscribe", "list-unsubscribe-post", "references", "reply-to"} {
				if !slices.ContainsFunc(vs[0].HeaderKeys, func(k string) bool { return strings.EqualFold(k, f) }) {
					t.Errorf("%s is not signed: h=%v", f, vs[0].HeaderKeys)
				}
			}

			// The signature breaks when the subject is changed, the body
			// is changed, or a second From (or an Auto-Submitted) is added.
			for name, tamper := range map[string]func([]byte) []byte{
				"subject": func(b []byte) []byte {
					return bytes.Replace(b, []byte("\r\nSubject: "), []byte("\r\nSubject: x"), 1)
				},
				"body": func(b []byte) []byte { return bytes.Replace(b, []byte("=E6=97=A5"), []byte("=E6=97=A6"), 1) },
				"second From": func(b []byte) []byte {
					return bytes.Replace(b, []byte("\r\nTo: "), []byte("\r\nFrom: boss@example.org\r\nTo: "), 1)
				},
				"auto-submitted": func(b []byte) []byte {
					return bytes.Replace(b, []byte("\r\nTo: "), []byte("\r\nAuto-Submitted: auto-generated\r\nTo: "), 1)
				},
			} {
				bad := tamper(bytes.Clone(m.Bytes))
				if bytes.Equal(bad, m.Bytes) {
					t.Fatalf("%s: tampering changed nothing", name)
				}
				vs, err := verify(bad, k.txt)
				if err != nil || len(vs) != 1 || vs[0].Err == nil {
					t.Errorf("%s changed, yet the signature verifies: %+v, %v", name, vs, err)
				}
			}
		})
	}
}

func TestDKIMNotice(t *testing.T) {
	k := testKeys(t)[2]
	c := newComposer(t, &DKIMOptions{Selector: "mail2026", PrivateKeyPEM: k.pem})
	m, err := c.Notice(Notice{To: addr("Zoë", "zoe@example.org"), Subject: "email-notice-subject.txt", Body: "email-notice.txt",
		Data: NoticeText{Title: "Sign in", Text: "Your link:", Link: "https://chat.example.org/login/abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := verify(m.Bytes, k.txt); err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("verify = %+v, %v", vs, err)
	}
}

func TestDKIMBadKeys(t *testing.T) {
	good := testKeys(t)[2].pem
	cases := map[string]DKIMOptions{
		"no key":          {Selector: "s"},
		"not PEM":         {Selector: "s", PrivateKeyPEM: []byte("-----BEGIN NOTHING")},
		"public key":      {Selector: "s", PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})},
		"garbage DER":     {Selector: "s", PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}})},
		"no selector":     {PrivateKeyPEM: good},
		"bad selector":    {Selector: "a b", PrivateKeyPEM: good},
		"bad dkim domain": {Domain: "x\r\n", Selector: "s", PrivateKeyPEM: good},
	}
	for name, o := range cases {
		if _, err := New(Options{Domain: domain, DKIM: &o}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
