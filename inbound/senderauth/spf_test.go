package senderauth

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// TestSPFSyntax: each record is published at syntax.example and checked
// for a client that no term names, so that evaluation reaches every
// term. A syntax error is permerror; a record that is not SPF is none.
// Three rows are flagged "lenient": RFC 7208 (section 4.6, and the ABNF
// of section 5.6) makes them permerror, and blitiri.com.ar/go/spf, which
// reads a term only when evaluation reaches it and reads numbers leniently,
// gives what the domain's other terms say. That is kept: the leniency only
// ever honours an address the domain's owner wrote in their own record
// (it can never make a stranger's mail pass), and a permerror would only
// turn the owner's own mail from unverified to unverified.
func TestSPFSyntax(t *testing.T) {
	dns := NewStatic()
	dns.IP["syntax.example"] = addrs("198.51.100.1", "2001:db8:5::1")
	dns.MX["mail.example.org"] = []string{"mx.mail.example.org"}
	dns.IP["mx.mail.example.org"] = addrs("198.51.100.2")
	dns.TXT["_spf.example.net"] = []string{"v=spf1 -all"}
	dns.TXT["x.example"] = []string{"v=spf1 ?all"}
	client := netip.MustParseAddr("203.0.113.250")
	for _, tc := range []struct {
		record string
		want   SPFResult
		// client, when set, is the address checked instead.
		client string
	}{
		{record: "v=spf1 -all", want: SPFFail},
		{record: "V=SPF1 +ip4:192.0.2.0/24 ~all", want: SPFSoftFail},
		{record: "V=SPF1 +ip4:192.0.2.0/24 ~all", want: SPFPass, client: "192.0.2.9"},
		{record: "v=spf1 ip6:2001:db8::/32 a mx:mail.example.org/24//64 ?include:_spf.example.net redirect=x.example", want: SPFNeutral},
		{record: "v=spf1 ip6:2001:db8::/32 a mx:mail.example.org/24//64 ?include:_spf.example.net redirect=x.example", want: SPFPass, client: "2001:db8::7"},
		{record: "v=spf1 ip6:2001:db8::/32 a mx:mail.example.org/24//64 ?include:_spf.example.net redirect=x.example", want: SPFPass, client: "198.51.100.99"}, // mx/24
		{record: "v=spf1 a//64 a/28 exists:%{i}.bl.example", want: SPFNeutral},
		{record: "v=spf1 a//64 a/28 exists:%{i}.bl.example", want: SPFPass, client: "2001:db8:5::ffff"}, // a//64
		{record: "v=spf1 ip4:192.0.2.1 ip4:192.0.2.300", want: SPFPermError},
		{record: "v=spf1 ip4:192.0.2.0/33", want: SPFPermError},
		{record: "v=spf1 all:foo", want: SPFPermError},
		{record: "v=spf1 include", want: SPFPermError},
		{record: "v=spf1 frobnicate", want: SPFPermError},
		{record: "v=spf1 redirect=a.example redirect=b.example", want: SPFPermError},
		{record: "v=spf1 exists:%{x}.example -all", want: SPFPermError},
		{record: "v=spf10 -all", want: SPFNone},
		{record: "spf1 -all", want: SPFNone},
		{record: "v=spf1 unknown-mod=x -all", want: SPFFail},
		// lenient: an ip4 term holding an IPv6 address (RFC: permerror).
		{record: "v=spf1 ip4:2001:db8::1 -all", want: SPFFail},
		// lenient: a prefix length with a leading zero (RFC: permerror).
		{record: "v=spf1 a/024 -all", want: SPFFail},
		// lenient: a term past the one that matched is not read (RFC: permerror).
		{record: "v=spf1 ip4:192.0.2.1 ip4:192.0.2.300", want: SPFPass, client: "192.0.2.1"},
	} {
		dns.SetTXT("syntax.example", tc.record)
		ip := client
		if tc.client != "" {
			ip = netip.MustParseAddr(tc.client)
		}
		if got := CheckSPF(context.Background(), dns, ip, "syntax.example", "x@syntax.example", "helo.example"); got != tc.want {
			t.Errorf("%q for %s = %s, want %s", tc.record, ip, got, tc.want)
		}
	}
}

func TestCheckSPF(t *testing.T) {
	dns := NewStatic()
	dns.TXT["example.org"] = []string{"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net a:web.example.org mx -all", "google-site-verification=x"}
	dns.TXT["_spf.example.net"] = []string{"v=spf1 ip6:2001:db8:1::/48 ~all"}
	dns.IP["web.example.org"] = addrs("198.51.100.7")
	dns.MX["example.org"] = []string{"mx1.example.org"}
	dns.IP["mx1.example.org"] = addrs("203.0.113.5", "2001:db8:9::5")
	dns.TXT["soft.example"] = []string{"v=spf1 ~all"}
	dns.TXT["redir.example"] = []string{"v=spf1 redirect=example.org"}
	dns.TXT["redirnone.example"] = []string{"v=spf1 redirect=nothing.example"}
	dns.TXT["two.example"] = []string{"v=spf1 -all", "v=spf1 +all"}
	dns.TXT["broken.example"] = []string{"v=spf1 ip4:999.1.1.1 -all"}
	dns.TXT["slow.example"] = []string{"v=spf1 include:timeout.example -all"}
	dns.Fail["timeout.example"] = true
	dns.TXT["neutral.example"] = []string{"v=spf1 ip4:192.0.2.1"}
	dns.TXT["prefix.example"] = []string{"v=spf1 a:web.example.org/24 -all"}
	dns.TXT["macro.example"] = []string{"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"}
	dns.IP["7.100.51.198.mary._spf.macro.example"] = addrs("127.0.0.2")
	dns.TXT["incnone.example"] = []string{"v=spf1 include:nothing.example -all"}
	// The lookup limit: eleven includes, each a name with a record.
	chain := "v=spf1"
	for i := 0; i < 11; i++ {
		n := fmt.Sprintf("l%d.example", i)
		chain += " include:" + n
		dns.TXT[n] = []string{"v=spf1 ?all"}
	}
	dns.TXT["many.example"] = []string{chain + " -all"}
	// A loop through redirects is ended by the same limit.
	dns.TXT["loop.example"] = []string{"v=spf1 redirect=loop.example"}
	// Void lookups: three a: mechanisms on names with no address.
	dns.TXT["void.example"] = []string{"v=spf1 a:v1.example a:v2.example a:v3.example ip4:198.51.100.7 -all"}
	// Ten mechanisms that ask DNS are allowed, an eleventh is not.
	dns.TXT["ten.example"] = []string{"v=spf1" + strings.Repeat(" a:web.example.org", 10) + " ip4:198.51.100.99 -all"}
	dns.TXT["eleven.example"] = []string{"v=spf1" + strings.Repeat(" a:web.example.org", 11) + " ip4:198.51.100.99 -all"}

	for _, tc := range []struct {
		ip, domain, sender string
		want               SPFResult
	}{
		{"192.0.2.77", "example.org", "bob@example.org", SPFPass},
		{"2001:db8:1::25", "example.org", "bob@example.org", SPFPass},           // include
		{"2001:db8:2::25", "example.org", "bob@example.org", SPFFail},           // include softfails: no match, then -all
		{"198.51.100.7", "example.org", "bob@example.org", SPFPass},             // a:
		{"203.0.113.5", "example.org", "bob@example.org", SPFPass},              // mx
		{"2001:db8:9::5", "example.org", "bob@example.org", SPFPass},            // mx, AAAA
		{"::ffff:192.0.2.9", "example.org", "bob@example.org", SPFPass},         // v4-mapped
		{"203.0.113.99", "example.org", "mallory@example.org", SPFFail},         // -all
		{"203.0.113.99", "soft.example", "x@soft.example", SPFSoftFail},         // ~all
		{"192.0.2.7", "redir.example", "x@redir.example", SPFPass},              // redirect
		{"203.0.113.99", "redir.example", "x@redir.example", SPFFail},           // redirect, -all there
		{"192.0.2.7", "redirnone.example", "x@redirnone.example", SPFPermError}, // redirect to nothing
		{"192.0.2.7", "none.example", "x@none.example", SPFNone},
		{"192.0.2.7", "two.example", "x@two.example", SPFPermError},
		{"192.0.2.7", "broken.example", "x@broken.example", SPFPermError},
		{"192.0.2.7", "slow.example", "x@slow.example", SPFTempError},
		{"192.0.2.1", "neutral.example", "x@neutral.example", SPFPass},
		{"192.0.2.8", "neutral.example", "x@neutral.example", SPFNeutral}, // no match, no all
		{"198.51.100.200", "prefix.example", "x@prefix.example", SPFPass},
		{"198.51.101.7", "prefix.example", "x@prefix.example", SPFFail},
		{"198.51.100.7", "macro.example", "mary@macro.example", SPFPass},
		{"198.51.100.7", "macro.example", "john@macro.example", SPFFail},
		{"192.0.2.7", "incnone.example", "x@incnone.example", SPFPermError},
		{"192.0.2.7", "many.example", "x@many.example", SPFPermError},    // 11 lookups
		{"192.0.2.7", "loop.example", "x@loop.example", SPFPermError},    // redirect loop
		{"198.51.100.7", "void.example", "x@void.example", SPFPermError}, // 3 void lookups
		{"198.51.100.99", "ten.example", "x@ten.example", SPFPass},       // 10 lookups, then ip4
		{"198.51.100.99", "eleven.example", "x@eleven.example", SPFPermError},
		{"198.51.100.7", "ten.example", "x@ten.example", SPFPass}, // first a: matches
		// A malformed or single-label domain is none, without a lookup
		// (RFC 7208 section 4.3; the evaluator this replaced said permerror).
		{"192.0.2.7", "bad..example", "x@bad..example", SPFNone},
		{"192.0.2.7", "example", "x@example", SPFNone},
	} {
		got := CheckSPF(context.Background(), dns, netip.MustParseAddr(tc.ip), tc.domain, tc.sender, "helo.example")
		if got != tc.want {
			t.Errorf("CheckSPF(%s, %s, %s) = %s, want %s", tc.ip, tc.domain, tc.sender, got, tc.want)
		}
	}
}

// asked records the names looked up through a Resolver, and apart the
// names of address lookups.
type asked struct {
	Resolver
	mu    sync.Mutex
	names []string
	ips   []string
}

func (a *asked) note(name string) {
	a.mu.Lock()
	a.names = append(a.names, name)
	a.mu.Unlock()
}

func (a *asked) LookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	a.note(name)
	a.mu.Lock()
	a.ips = append(a.ips, name)
	a.mu.Unlock()
	return a.Resolver.LookupIP(ctx, name)
}

func (a *asked) LookupTXT(ctx context.Context, name string) ([]string, error) {
	a.note(name)
	return a.Resolver.LookupTXT(ctx, name)
}

func (a *asked) LookupMX(ctx context.Context, name string) ([]string, error) {
	a.note(name)
	return a.Resolver.LookupMX(ctx, name)
}

// expanded returns the name an exists: term with spec asks about, checked
// for ip and sender at email.example.com, or "" when the check is
// permerror without asking.
func expanded(t *testing.T, ip, sender, spec string) string {
	t.Helper()
	dns := NewStatic()
	dns.SetTXT("email.example.com", "v=spf1 exists:"+spec+" -all")
	a := &asked{Resolver: dns}
	res := CheckSPF(context.Background(), a, netip.MustParseAddr(ip), "email.example.com", sender, "mx.example.org")
	if len(a.ips) == 0 {
		if res != SPFPermError {
			t.Errorf("exists:%s asked nothing, yet %s", spec, res)
		}
		return ""
	}
	if res != SPFFail {
		t.Errorf("exists:%s: %s, want fail", spec, res)
	}
	return a.ips[0]
}

// TestSPFMacros: macros expand as RFC 7208 section 7 says (the examples of
// section 7.4 among them), seen in the name an exists: term asks about.
func TestSPFMacros(t *testing.T) {
	for spec, want := range map[string]string{
		"%{s}":                  "strong-bad@email.example.com",
		"%{o}":                  "email.example.com",
		"%{d}":                  "email.example.com",
		"%{d4}":                 "email.example.com",
		"%{d3}":                 "email.example.com",
		"%{d2}":                 "example.com",
		"%{d1}":                 "com",
		"%{dr}":                 "com.example.email",
		"%{d2r}":                "example.email",
		"%{l}":                  "strong-bad",
		"%{l-}":                 "strong.bad",
		"%{lr}":                 "strong-bad",
		"%{lr-}":                "bad.strong",
		"%{l1r-}":               "strong",
		"%{ir}.%{v}._spf.%{d2}": "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":  "bad.strong.lp._spf.example.com",
		"%{h}%%%_%-":            "mx.example.org% %20",
	} {
		if got := expanded(t, "192.0.2.3", "strong-bad@email.example.com", spec); strings.ToLower(got) != want {
			t.Errorf("expand(%q) = %q; want %q", spec, got, want)
		}
	}
	if got := expanded(t, "2001:db8::cb01", "x@email.example.com", "%{ir}.%{v}._spf.%{d2}"); got !=
		"1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com" {
		t.Errorf("IPv6 %%{ir}: %q", got)
	}
	// The null sender is postmaster at the greeting's domain (section 4.3).
	if got := expanded(t, "192.0.2.3", "", "%{l}.%{o}"); got != "postmaster.email.example.com" {
		t.Errorf("null sender: %q", got)
	}
	// A name past 253 bytes loses labels from the left (section 7.3).
	long := strings.Repeat("abcdefghij.", 30)
	if got := expanded(t, "192.0.2.3", strings.TrimSuffix(long, ".")+"@email.example.com", "%{l}.%{d}"); len(got) > 253 || !strings.HasSuffix(got, ".abcdefghij.email.example.com") {
		t.Errorf("long name: %d bytes, %q", len(got), got)
	}
	for _, bad := range []string{"%", "%{", "%{x}", "%{d0}", "%x", "%{d2*}"} {
		if got := expanded(t, "192.0.2.3", "x@email.example.com", bad+".example"); got != "" {
			t.Errorf("expand(%q) asked %q, want permerror", bad, got)
		}
	}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}
