package senderauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
)

// Keys made once per test run: a 2048-bit RSA key for example.org and an
// Ed25519 key for evil.example.
var (
	keysOnce sync.Once
	orgKey   *rsa.PrivateKey
	evilKey  ed25519.PrivateKey
)

func keys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if orgKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if _, evilKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

// world is the DNS of the tests: example.org signs with DKIM (selector
// s1), publishes SPF and DMARC p=reject; evil.example signs its own mail;
// nodmarc.example has SPF but no DMARC.
func world(t *testing.T) *Static {
	keys(t)
	dns := NewStatic()
	der, err := x509.MarshalPKIXPublicKey(&orgKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dns.TXT["s1._domainkey.example.org"] = []string{"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
	dns.TXT["e1._domainkey.evil.example"] = []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(evilKey.Public().(ed25519.PublicKey))}
	dns.TXT["example.org"] = []string{"v=spf1 ip4:192.0.2.0/24 -all"}
	dns.TXT["_dmarc.example.org"] = []string{"v=DMARC1; p=reject; rua=mailto:dmarc@example.org"}
	dns.TXT["evil.example"] = []string{"v=spf1 ip4:203.0.113.0/24 -all"}
	dns.TXT["nodmarc.example"] = []string{"v=spf1 ip4:198.51.100.0/24 -all"}
	return dns
}

func message(from string, extra ...string) []byte {
	h := "From: " + from + "\r\nTo: reply+tok@parley.test\r\nSubject: Re: lunch\r\nDate: Mon, 07 Dec 2026 09:00:00 +0000\r\n" +
		"Message-ID: <m1@example.org>\r\n"
	for _, x := range extra {
		h += x + "\r\n"
	}
	return []byte(h + "\r\nSee you at noon.\r\n")
}

// sign adds a DKIM signature of domain d (selector s) with key k.
func sign(t *testing.T, raw []byte, d, s string, k crypto.Signer) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: d, Selector: s, Signer: k}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func check(dns *Static, in Input, o ...func(*Options)) Result {
	opts := Options{Resolver: dns, TrustedRelays: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")}, AuthServID: "mx.parley.test"}
	for _, f := range o {
		f(&opts)
	}
	return New(opts).Check(context.Background(), in)
}

var (
	stranger = netip.MustParseAddr("203.0.113.66") // not in example.org's SPF
	orgMTA   = netip.MustParseAddr("192.0.2.25")   // in example.org's SPF
	relay    = netip.MustParseAddr("10.9.0.5")     // the trusted MX
)

const relayAR = "Authentication-Results: mx.parley.test; dkim=pass (2048-bit key) header.d=example.org header.s=s1; " +
	"spf=pass smtp.mailfrom=bob@example.org; dmarc=pass (p=reject) header.from=example.org"

// TestCheck covers each way a message is, or is not, vouched for,
// including the attacks of issue 20.
func TestCheck(t *testing.T) {
	dns := world(t)
	signed := sign(t, message("Bob <bob@example.org>"), "example.org", "s1", orgKey)
	for _, tc := range []struct {
		name       string
		in         Input
		pass       bool
		method     string
		prefer     Verdict // what Decide(Prefer, ..., false) says
		preferCmd  Verdict // for a command
		require    Verdict
		wantReason string
	}{
		{name: "DKIM of the From domain", in: Input{Raw: signed, MailFrom: "bob@example.org", Remote: stranger},
			pass: true, method: MethodDKIM, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "DKIM of a parent domain (relaxed alignment)",
			in:   Input{Raw: sign(t, message("bob@mail.example.org"), "example.org", "s1", orgKey), Remote: stranger},
			pass: true, method: MethodDKIM, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "SPF pass, envelope aligned", in: Input{Raw: message("bob@example.org"), MailFrom: "bob@example.org", Remote: orgMTA},
			pass: true, method: MethodSPF, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "SPF pass of a bounce subdomain, aligned", in: Input{Raw: message("bob@example.org"), MailFrom: "b+1@bounce.example.org", Remote: orgMTA},
			pass: false, prefer: Refuse, preferCmd: Refuse, require: Refuse}, // bounce.example.org has no SPF record
		{name: "attack: forged From, no DKIM, domain with DMARC reject",
			in:     Input{Raw: message("bob@example.org"), MailFrom: "bob@example.org", Remote: stranger},
			prefer: Refuse, preferCmd: Refuse, require: Refuse, wantReason: "DMARC p=reject"},
		{name: "attack: DKIM of another domain",
			in:     Input{Raw: sign(t, message("bob@example.org"), "evil.example", "e1", evilKey), MailFrom: "m@evil.example", Remote: stranger},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "attack: replayed DKIM with a changed body",
			in:     Input{Raw: bytes.Replace(signed, []byte("See you at noon."), []byte("Wire it to IBAN X."), 1), MailFrom: "bob@example.org", Remote: stranger},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "attack: replayed DKIM with a changed From",
			in:     Input{Raw: bytes.Replace(signed, []byte("From: Bob <bob@example.org>"), []byte("From: Bob <carol@example.org>"), 1), Remote: stranger},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "attack: a second From field", in: Input{Raw: sign(t, message("bob@example.org", "From: carol@nodmarc.example"), "example.org", "s1", orgKey), Remote: orgMTA},
			prefer: Refuse, preferCmd: Refuse, require: Refuse, wantReason: "exactly one From"},
		{name: "attack: envelope of another domain, From of a domain without DMARC",
			in:     Input{Raw: message("bob@nodmarc.example"), MailFrom: "mallory@evil.example", Remote: netip.MustParseAddr("203.0.113.9")},
			prefer: Refuse, preferCmd: Refuse, require: Refuse, wantReason: "envelope sender"},
		{name: "no DMARC, aligned envelope, no proof: unverified under prefer",
			in:     Input{Raw: message("bob@nodmarc.example"), MailFrom: "bob@nodmarc.example", Remote: stranger},
			prefer: AcceptUnverified, preferCmd: Refuse, require: Refuse},
		{name: "no DMARC, SPF pass", in: Input{Raw: message("bob@nodmarc.example"), MailFrom: "bob@nodmarc.example", Remote: netip.MustParseAddr("198.51.100.3")},
			pass: true, method: MethodSPF, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "trusted relay's Authentication-Results",
			in:   Input{Raw: message("bob@example.org", relayAR), MailFrom: "bob@example.org", Remote: relay},
			pass: true, method: MethodRelay, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "relay's results in mail read from the mailbox",
			in:   Input{Raw: message("bob@example.org", relayAR), FromMailbox: true},
			pass: true, method: MethodRelay, prefer: Accept, preferCmd: Accept, require: Accept},
		{name: "attack: Authentication-Results from an untrusted client",
			in:     Input{Raw: message("bob@example.org", relayAR), MailFrom: "bob@example.org", Remote: stranger},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "attack: Authentication-Results of another authserv-id via the relay",
			in:     Input{Raw: message("bob@example.org", strings.Replace(relayAR, "mx.parley.test", "mx.evil.example", 1)), Remote: relay},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "attack: forged results below the relay's own",
			in: Input{Raw: message("bob@example.org", "Authentication-Results: mx.parley.test; dkim=fail header.d=example.org",
				relayAR), Remote: relay},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "relay says pass for another domain",
			in:     Input{Raw: message("bob@example.org", "Authentication-Results: mx.parley.test; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"), Remote: relay},
			prefer: Refuse, preferCmd: Refuse, require: Refuse},
		{name: "SPF is not checked against the relay", in: Input{Raw: message("bob@nodmarc.example"), MailFrom: "bob@nodmarc.example", Remote: relay},
			prefer: AcceptUnverified, preferCmd: Refuse, require: Refuse},
		{name: "DKIM still verifies through the relay", in: Input{Raw: signed, Remote: relay},
			pass: true, method: MethodDKIM, prefer: Accept, preferCmd: Accept, require: Accept},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := check(dns, tc.in)
			if r.Pass != tc.pass || r.Method != tc.method {
				t.Errorf("Pass %v by %q, want %v by %q (result %+v)", r.Pass, r.Method, tc.pass, tc.method, r)
			}
			for _, c := range []struct {
				mode    Mode
				command bool
				want    Verdict
			}{{Prefer, false, tc.prefer}, {Prefer, true, tc.preferCmd}, {Require, false, tc.require}, {Off, true, Accept}} {
				d := Decide(c.mode, r, c.command)
				if d.Verdict != c.want {
					t.Errorf("Decide(%s, command %v) = %v (%s), want %v", c.mode, c.command, d.Verdict, d.Reason, c.want)
				}
				if d.Verdict == Refuse && d.Reason == "" {
					t.Errorf("Decide(%s) refuses without a reason", c.mode)
				}
				if c.want == Refuse && tc.wantReason != "" && c.mode == Prefer && !c.command && !strings.Contains(d.Reason, tc.wantReason) {
					t.Errorf("reason %q does not say %q", d.Reason, tc.wantReason)
				}
			}
		})
	}
}

func TestCheckStrictAlignment(t *testing.T) {
	dns := world(t)
	dns.TXT["_dmarc.example.org"] = []string{"v=DMARC1; p=quarantine; adkim=s; aspf=s"}
	raw := sign(t, message("bob@mail.example.org"), "example.org", "s1", orgKey)
	r := check(dns, Input{Raw: raw, Remote: stranger})
	if r.Pass || r.Policy != dmarc.PolicyQuarantine {
		t.Errorf("strict alignment: pass %v policy %q, want no pass under the organisational domain's quarantine", r.Pass, r.Policy)
	}
	if d := Decide(Prefer, r, false); d.Verdict != Refuse {
		t.Errorf("prefer with p=quarantine: %v, want Refuse", d.Verdict)
	}
}

func TestCheckTemporary(t *testing.T) {
	dns := world(t)
	dns.Fail["_dmarc.nodmarc.example"] = true
	r := check(dns, Input{Raw: message("bob@nodmarc.example"), MailFrom: "bob@nodmarc.example", Remote: stranger})
	if !r.Temporary {
		t.Fatalf("a DMARC lookup that timed out is not temporary: %+v", r)
	}
	if d := Decide(Prefer, r, false); d.Verdict != Defer {
		t.Errorf("prefer: %v, want Defer", d.Verdict)
	}
	dns = world(t)
	dns.Fail["s1._domainkey.example.org"] = true
	r = check(dns, Input{Raw: sign(t, message("bob@example.org"), "example.org", "s1", orgKey), Remote: stranger})
	if r.Pass || !r.Temporary {
		t.Errorf("a DKIM key lookup that timed out: pass %v temporary %v, want false, true", r.Pass, r.Temporary)
	}
	if d := Decide(Require, r, false); d.Verdict != Defer {
		t.Errorf("require: %v, want Defer", d.Verdict)
	}
}

func TestVouch(t *testing.T) {
	r := check(world(t), Input{Raw: message("bob@example.org"), Remote: stranger})
	if d := Decide(Require, r, true); d.Verdict != Refuse {
		t.Fatalf("before Vouch: %v", d.Verdict)
	}
	r.Vouch("pgp")
	if d := Decide(Require, r, true); d.Verdict != Accept || r.Method != "pgp" {
		t.Errorf("after Vouch(pgp): %v by %q, want Accept", d.Verdict, r.Method)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Prefer, "require": Require, " Prefer ": Prefer, "OFF": Off} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("strict"); err == nil {
		t.Error("ParseMode(strict) succeeded")
	}
}

func TestNetResolverReservedNames(t *testing.T) {
	r := &NetResolver{Net: &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		t.Error("a reserved name was asked about")
		return nil, errors.New("no network in tests")
	}}}
	for _, n := range []string{"_dmarc.example.org", "s1._domainkey.parley.test", "x.invalid", "localhost", "a.example"} {
		txt, err := r.LookupTXT(context.Background(), n)
		if err != nil || len(txt) != 0 {
			t.Errorf("LookupTXT(%s) = %v, %v; want nothing, without asking", n, txt, err)
		}
	}
}
