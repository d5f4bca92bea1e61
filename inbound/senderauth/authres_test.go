package senderauth

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseAuthResults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "servid|method=result k=v ...|..." or "error"
	}{
		{"mx.example.net; dkim=pass header.d=example.org header.s=s1", "mx.example.net|dkim=pass header.d=example.org header.s=s1"},
		{"MX.Example.NET 1; SPF=Pass smtp.mailfrom=bob@example.org", "mx.example.net|spf=pass smtp.mailfrom=bob@example.org"},
		{"mx.google.com;\r\n       dkim=pass header.i=@example.org header.s=20230601 header.b=AbC+/1;\r\n" +
			"       spf=pass (google.com: domain of bob@example.org designates 192.0.2.1 as permitted sender) smtp.mailfrom=bob@example.org;\r\n" +
			"       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org",
			"mx.google.com|dkim=pass header.b=AbC+/1 header.i=@example.org header.s=20230601|spf=pass smtp.mailfrom=bob@example.org|dmarc=pass header.from=example.org"},
		{"mx.example.net (comment; with = and \\) inside (nested)); dkim=fail reason=\"bad; signature\" header.d=x.example",
			"mx.example.net|dkim=fail header.d=x.example reason=bad; signature"},
		{"mx.example.net; none", "mx.example.net"},
		{"mx.example.net; dkim/1=pass header.d=a.example;", "mx.example.net|dkim=pass header.d=a.example"},
		{"mx.example.net; auth=pass smtp.auth=bob", "mx.example.net|auth=pass smtp.auth=bob"},
		{"mx.example.net; dkim=pass header.d=a.example header.d=b.example", "mx.example.net|dkim=pass header.d=a.example"}, // first wins
		{"", "error"},
		{"mx.example.net", "error"},
		{"mx.example.net 2; dkim=pass", "error"},
		{"mx.example.net; dkim", "error"},
		{"mx.example.net; dkim=", "error"},
		{"mx.example.net; dkim=pass header.d", "error"},
		{"mx.example.net; dkim=pass headerd=x", "error"},
		{"mx.example.net; dkim=pass (unclosed", "error"},
		{"mx.example.net; dkim=pass header.d=\"unclosed", "error"},
		{"mx.example.net; dkim=pass\x00", "error"},
		{"mx.example.net; dkim=pass)", "error"},
		{"mx.example.net; spf=pass; dkim=pass; " + strings.Repeat("x=y; ", 40), "error"},
		{strings.Repeat("a", 9000), "error"},
	} {
		ar, err := ParseAuthResults(tc.in)
		got := "error"
		if err == nil {
			parts := []string{ar.ServID}
			for _, r := range ar.Results {
				p := r.Method + "=" + r.Result
				keys := make([]string, 0, len(r.Props))
				for k := range r.Props {
					keys = append(keys, k)
				}
				sortStrings(keys)
				for _, k := range keys {
					p += fmt.Sprintf(" %s=%s", k, r.Props[k])
				}
				parts = append(parts, p)
			}
			got = strings.Join(parts, "|")
		}
		if got != tc.want {
			t.Errorf("ParseAuthResults(%q)\n got %q\nwant %q (err %v)", tc.in, got, tc.want, err)
		}
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
