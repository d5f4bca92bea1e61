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

// FuzzParseSPF: any record is parsed or refused; a parsed record
// evaluates against an empty DNS without a panic.
func FuzzParseSPF(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24//64 include:x.example ~all",
		"v=spf1 exists:%{ir}.%{l1r-}.%{d} redirect=%{d2}", "v=spf1 a:%{h}/0//0 ?ptr:x", "v=spf1 %{",
	} {
		f.Add(s)
	}
	dns := NewStatic()
	f.Fuzz(func(t *testing.T, record string) {
		terms, err := ParseSPF(record)
		if err != nil {
			return
		}
		for _, term := range terms {
			if term.Qualifier != 0 && (term.Prefix4 < 0 || term.Prefix4 > 32 || term.Prefix6 < 0 || term.Prefix6 > 128) {
				t.Errorf("term %+v", term)
			}
		}
		if !utf8.ValidString(record) {
			return
		}
		dns.SetTXT("fuzz.example", record)
		res := CheckSPF(context.Background(), dns, netip.MustParseAddr("192.0.2.1"), "fuzz.example", "a@fuzz.example", "h.example")
		if res == SPFNone {
			t.Errorf("a record that parses gave none")
		}
	})
}
