package senderauth

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestParseSPF(t *testing.T) {
	for _, tc := range []struct {
		record string
		want   string // the terms as "q name arg p4 p6", or "error"
	}{
		{"v=spf1 -all", "- all  32 128"},
		{"V=SPF1 +ip4:192.0.2.0/24 ~all", "+ ip4 192.0.2.0/24 32 128|~ all  32 128"},
		{"v=spf1 ip6:2001:db8::/32 a mx:mail.example.org/24//64 ?include:_spf.example.net redirect=x.example",
			"+ ip6 2001:db8::/32 32 128|+ a  32 128|+ mx mail.example.org 24 64|? include _spf.example.net 32 128|0 redirect x.example 0 0"},
		{"v=spf1 a//64 a/28 exists:%{i}.bl.example", "+ a  32 64|+ a  28 128|+ exists %{i}.bl.example 32 128"},
		{"v=spf1 ip4:192.0.2.1 ip4:192.0.2.300", "error"},
		{"v=spf1 ip4:2001:db8::1", "error"},
		{"v=spf1 ip4:192.0.2.0/33", "error"},
		{"v=spf1 a/024", "error"},
		{"v=spf1 all:foo", "error"},
		{"v=spf1 include", "error"},
		{"v=spf1 frobnicate", "error"},
		{"v=spf1 redirect=a.example redirect=b.example", "error"},
		{"v=spf10 -all", "error"},
		{"spf1 -all", "error"},
		{"v=spf1 unknown-mod=x -all", "0 unknown-mod x 0 0|- all  32 128"},
	} {
		terms, err := ParseSPF(tc.record)
		got := "error"
		if err == nil {
			var parts []string
			for _, t := range terms {
				q := "0"
				if t.Qualifier != 0 {
					q = string(t.Qualifier)
				}
				parts = append(parts, fmt.Sprintf("%s %s %s %d %d", q, t.Name, t.Arg, t.Prefix4, t.Prefix6))
			}
			got = strings.Join(parts, "|")
		}
		if got != tc.want {
			t.Errorf("ParseSPF(%q) = %q, want %q", tc.record, got, tc.want)
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
		{"192.0.2.7", "bad..example", "x@bad..example", SPFPermError},
	} {
		got := CheckSPF(context.Background(), dns, netip.MustParseAddr(tc.ip), tc.domain, tc.sender, "helo.example")
		if got != tc.want {
			t.Errorf("CheckSPF(%s, %s, %s) = %s, want %s", tc.ip, tc.domain, tc.sender, got, tc.want)
		}
	}
}

func TestSPFMacros(t *testing.T) {
	c := &spfCheck{ip: netip.MustParseAddr("192.0.2.3"), sender: "strong-bad@email.example.com", helo: "mx.example.org"}
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
		got, err := c.expand(spec, "email.example.com")
		if err != nil || got != strings.ToLower(want) {
			t.Errorf("expand(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	c6 := &spfCheck{ip: netip.MustParseAddr("2001:db8::cb01"), sender: "x@example.org"}
	if got, _ := c6.expand("%{ir}.%{v}._spf.%{d2}", "example.org"); got !=
		"1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.org" {
		t.Errorf("IPv6 %%{ir}: %q", got)
	}
	for _, bad := range []string{"%", "%{", "%{x}", "%{d0}", "%x", "%{d2*}"} {
		if _, err := c.expand(bad, "example.org"); err == nil {
			t.Errorf("expand(%q) succeeded, want an error", bad)
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
