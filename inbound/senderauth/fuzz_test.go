package senderauth

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseAuthResults: any field value is parsed or refused, never a
// panic, and what is parsed is in lower case and within the limits.
func FuzzParseAuthResults(f *testing.F) {
	for _, s := range []string{
		"mx.example.net; dkim=pass header.d=example.org",
		"mx.google.com; spf=pass (google.com: domain of a@b.example designates 1.2.3.4) smtp.mailfrom=a@b.example; dmarc=pass (p=NONE) header.from=b.example",
		"mx 1; none", "x; a=b c.d=\"q\\\"s\"", "x (a (b) c); d=e", "x;;;", "x; y=z (",
		"x;/=0", "x; /1=pass",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ar, err := ParseAuthResults(v)
		if err != nil {
			return
		}
		if ar.ServID == "" || ar.ServID != strings.ToLower(ar.ServID) {
			t.Errorf("authserv-id %q", ar.ServID)
		}
		if len(ar.Results) > maxAuthResults {
			t.Errorf("%d results", len(ar.Results))
		}
		for _, r := range ar.Results {
			if r.Method == "" || r.Result == "" || r.Method != strings.ToLower(r.Method) {
				t.Errorf("result %+v", r)
			}
		}
	})
}

// FuzzCheckSPF: any record, sender local part and client address are
// evaluated without a panic, to one of the seven results: none exactly
// when the text is not an SPF record, and never a name longer than 253
// bytes asked of the resolver, however the macros expand.
func FuzzCheckSPF(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24//64 include:x.example ~all",
		"v=spf1 exists:%{ir}.%{l1r-}.%{d} redirect=%{d2}", "v=spf1 a:%{h}/0//0 ?ptr:x", "v=spf1 %{",
		"v=spf1 exists:%{l}%{l}%{l}%{l}.%{s}.%{o} -all", "V=SPF1", "v=spf1 redirect=%{l}.example",
	} {
		f.Add(s, "strong-bad", []byte{192, 0, 2, 1})
	}
	dns := NewStatic()
	dns.IP["fuzz.example"] = addrs("192.0.2.1")
	dns.MX["fuzz.example"] = []string{"fuzz.example"}
	dns.SetTXT("x.example", "v=spf1 ?all")
	f.Fuzz(func(t *testing.T, record, local string, ip []byte) {
		addr, ok := netip.AddrFromSlice(ip)
		// Records beyond twice the size RFC 7208 section 3.4 advises, and
		// local parts beyond SMTP's 64 bytes, only slow the fuzzer: each
		// macro repeats the local part, and the minimizer runs an input
		// thousands of times.
		if !ok || !utf8.ValidString(record) || len(record) > 1024 || len(local) > 64 {
			return
		}
		// Each run publishes its own record beside the fixed ones.
		own := NewStatic()
		own.IP, own.MX = dns.IP, dns.MX
		own.TXT = map[string][]string{"fuzz.example": {record}, "x.example": dns.TXT["x.example"]}
		names := &asked{Resolver: own}
		res := CheckSPF(context.Background(), names, addr, "fuzz.example", local+"@fuzz.example", "h.example")
		switch res {
		case SPFNone, SPFNeutral, SPFPass, SPFFail, SPFSoftFail, SPFTempError, SPFPermError:
		default:
			t.Fatalf("result %q", res)
		}
		lower := strings.ToLower(record)
		isSPF := lower == "v=spf1" || strings.HasPrefix(lower, "v=spf1 ")
		if (res == SPFNone) == isSPF {
			t.Errorf("record %q: %s", record, res)
		}
		for _, n := range names.names {
			if len(n) > maxDomainBytes {
				t.Errorf("asked about a name of %d bytes", len(n))
			}
		}
	})
}
