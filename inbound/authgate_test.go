package inbound

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"parley/inbound/senderauth"
	"parley/threads"
)

var (
	dkimKeyOnce sync.Once
	dkimKey     *rsa.PrivateKey
)

// authDNS: example.org signs with DKIM (selector s1) and publishes DMARC
// p=reject; home.example publishes nothing; the trusted relay writes
// Authentication-Results as mx.parley.test.
func authEnv(t *testing.T, mode senderauth.Mode, vouchers ...Voucher) *renv {
	t.Helper()
	dkimKeyOnce.Do(func() {
		var err error
		if dkimKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	der, err := x509.MarshalPKIXPublicKey(&dkimKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dns := senderauth.NewStatic()
	dns.SetTXT("s1._domainkey.example.org", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(der))
	dns.SetTXT("_dmarc.example.org", "v=DMARC1; p=reject")
	dns.SetTXT("example.org", "v=spf1 ip4:192.0.2.0/24 -all")
	checker := senderauth.New(senderauth.Options{Resolver: dns, AuthServID: "mx.parley.test",
		TrustedRelays: []netip.Prefix{netip.MustParsePrefix("10.9.0.5/32")}})
	return newRenv(t, Options{SenderAuth: checker, AuthMode: mode, Vouchers: vouchers})
}

func dkimSign(t *testing.T, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: "example.org", Selector: "s1", Signer: dkimKey}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// from receives raw as sent by the client at remote.
func (e *renv) from(remote, mailFrom string, raw []byte, rcpt ...string) (Result, error) {
	return e.mail.Receive(e.ctx, Envelope{Door: "smtp", MailFrom: mailFrom, Rcpt: rcpt, Remote: remote, HELO: "client.example"}, raw)
}

const strangerIP = "203.0.113.66:40000"

func wantRefused(t *testing.T, what string, res Result, err error, temporary bool) {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) || ie.Temporary != temporary || ie.Reason == "" {
		t.Fatalf("%s: Receive = %+v, %v; want a refusal (temporary %v) with a reason", what, res, err, temporary)
	}
}

// TestSenderAuthAttacks: each forgery of issue 20 is refused, the genuine
// message is taken.
func TestSenderAuthAttacks(t *testing.T) {
	e := authEnv(t, senderauth.Prefer)
	const status = "status@parley.test"
	genuine := dkimSign(t, reply("Bob <bob@example.org>", e.bob, "g1@example.org", "Lunch at noon?"))

	res, err := e.from(strangerIP, "bob@example.org", genuine, e.bob)
	if err != nil || res.Outcome != Posted || res.Note == Unverified {
		t.Fatalf("DKIM-signed reply: %+v, %v; want posted, verified", res, err)
	}

	// Forged From, no DKIM, from a stranger's server.
	res, err = e.from(strangerIP, "bob@example.org", reply("bob@example.org", e.bob, "f1@x", "Please wire the invoice to IBAN X"), e.bob)
	wantRefused(t, "forged From", res, err, false)
	if !strings.Contains(err.Error(), "DMARC p=reject") {
		t.Errorf("the reason does not name the domain's policy: %v", err)
	}
	// DKIM of another domain.
	other := reply("bob@example.org", e.bob, "f2@x", "Please wire the invoice to IBAN X")
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, bytes.NewReader(other), &dkim.SignOptions{Domain: "evil.example", Selector: "s1", Signer: dkimKey}); err != nil {
		t.Fatal(err)
	}
	res, err = e.from(strangerIP, "m@evil.example", signed.Bytes(), e.bob)
	wantRefused(t, "DKIM of another domain", res, err, false)
	// Bob's genuine message replayed with a changed body.
	replayed := bytes.Replace(genuine, []byte("Lunch at noon?"), []byte("Wire it to IBAN X"), 1)
	replayed = bytes.Replace(replayed, []byte("g1@example.org"), []byte("g2@example.org"), 1)
	res, err = e.from(strangerIP, "bob@example.org", replayed, e.bob)
	wantRefused(t, "replayed DKIM, changed body", res, err, false)
	// Authentication-Results written by a client that is not the relay.
	ar := reply("bob@example.org", e.bob, "f3@x", "Wire it to IBAN X",
		"Authentication-Results: mx.parley.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org")
	res, err = e.from(strangerIP, "bob@example.org", ar, e.bob)
	wantRefused(t, "Authentication-Results from an untrusted client", res, err, false)
	// The same field, through the trusted relay, is believed.
	if res, err = e.from("10.9.0.5:25", "bob@example.org", ar, e.bob); err != nil || res.Outcome != Posted {
		t.Fatalf("Authentication-Results of the trusted relay: %+v, %v", res, err)
	}

	// status@, out-of-office, BACK and TRANSCRIPT forged from home.example,
	// a domain without DMARC: commands need authentication all the same.
	if _, err := e.store.Chat.SetStatus(e.ctx, "bob", threads.Status{Availability: threads.Busy, Text: "workshop"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		raw  []byte
		rcpt string
	}{
		{"status@ forged", reply("bob@home.example", status, "c1@x", "AWAY wire invoices to IBAN X"), status},
		{"status@ forged, DMARC domain", reply("bob@example.org", status, "c2@x", "BACK"), status},
		{"BACK forged", reply("bob@home.example", e.bob, "c3@x", "BACK"), e.bob},
		{"out-of-office forged", reply("bob@home.example", "parley@parley.test", "c4@x", "I am away, send invoices to IBAN X",
			"Auto-Submitted: auto-replied"), "parley@parley.test"},
		{"TRANSCRIPT forged", reply("bob@home.example", e.bob, "c5@x", "TRANSCRIPT"), e.bob},
	} {
		res, err := e.from(strangerIP, "bob@home.example", c.raw, c.rcpt)
		if c.rcpt == status {
			// status@ answers everyone alike (no enumeration): taken, dropped.
			if err != nil || res.Outcome != Ignored {
				t.Errorf("%s: %+v, %v; want dropped", c.what, res, err)
			}
			continue
		}
		wantRefused(t, c.what, res, err, false)
	}
	p, _ := e.store.Chat.Presence(e.ctx, "bob")
	if p.Status == nil || p.Status.Availability != threads.Busy || p.Status.Text != "workshop" {
		t.Errorf("a forged command changed bob's status: %+v", p.Status)
	}
	// A signed status@ message is taken.
	res, err = e.from(strangerIP, "bob@example.org", dkimSign(t, reply("bob@example.org", status, "c6@example.org", "BACK")), status)
	if err != nil || res.Outcome != StatusSet {
		t.Fatalf("signed BACK at status@: %+v, %v", res, err)
	}

	// A plain reply from the domain without DMARC posts, marked unverified...
	res, err = e.from(strangerIP, "bob@home.example", reply("bob@home.example", e.bob, "u1@x", "I'll be late"), e.bob)
	if err != nil || res.Outcome != Posted || res.Note != Unverified {
		t.Fatalf("unauthenticated reply, no DMARC: %+v, %v; want posted as unverified", res, err)
	}
	// ...unless the envelope sender is of another domain.
	res, err = e.from(strangerIP, "mallory@evil.example", reply("bob@home.example", e.bob, "u2@x", "Wire it"), e.bob)
	wantRefused(t, "envelope of another domain", res, err, false)

	var texts []string
	for _, l := range e.lines(t) {
		if l.Unverified {
			l.Text += " (unverified)"
		}
		texts = append(texts, l.Text)
	}
	if got := strings.Join(texts, " | "); got != "Lunch at noon? | Wire it to IBAN X | I'll be late (unverified)" {
		t.Errorf("lines %q", got)
	}
}

func TestSenderAuthModes(t *testing.T) {
	unsigned := func(id string) []byte { return reply("bob@home.example", "", id, "I'll be late") }
	t.Run("require", func(t *testing.T) {
		e := authEnv(t, senderauth.Require)
		res, err := e.from(strangerIP, "bob@home.example", unsigned("r1@x"), e.bob)
		wantRefused(t, "unauthenticated under require", res, err, false)
		if res, err := e.from(strangerIP, "bob@example.org", dkimSign(t, reply("bob@example.org", e.bob, "r2@example.org", "hi")), e.bob); err != nil || res.Outcome != Posted {
			t.Fatalf("signed under require: %+v, %v", res, err)
		}
	})
	t.Run("off", func(t *testing.T) {
		e := authEnv(t, senderauth.Off)
		if res, err := e.from(strangerIP, "bob@example.org", reply("bob@example.org", e.bob, "o1@x", "hi"), e.bob); err != nil || res.Outcome != Posted {
			t.Fatalf("off: %+v, %v", res, err)
		}
	})
	t.Run("voucher", func(t *testing.T) {
		e := authEnv(t, senderauth.Require, pgpVoucher{})
		res, err := e.from(strangerIP, "bob@home.example", reply("bob@home.example", e.bob, "v1@x", "signed by my key"), e.bob)
		if err != nil || res.Outcome != Posted {
			t.Fatalf("vouched for: %+v, %v", res, err)
		}
		res, err = e.from(strangerIP, "bob@home.example", reply("bob@home.example", e.bob, "v2@x", "not signed"), e.bob)
		wantRefused(t, "no voucher", res, err, false)
	})
	t.Run("dns down", func(t *testing.T) {
		dns := senderauth.NewStatic()
		dns.Fail["_dmarc.home.example"] = true
		e := newRenv(t, Options{SenderAuth: senderauth.New(senderauth.Options{Resolver: dns})})
		res, err := e.from(strangerIP, "bob@home.example", reply("bob@home.example", e.bob, "d1@x", "hi"), e.bob)
		wantRefused(t, "DNS down", res, err, true)
	})
}

// pgpVoucher stands in for issue 19's check: it vouches for texts that
// say they are signed.
type pgpVoucher struct{}

func (pgpVoucher) Vouch(_ context.Context, u threads.User, raw []byte) (string, bool, error) {
	return "pgp", u.ID == "bob" && bytes.Contains(raw, []byte("signed by my key")), nil
}
