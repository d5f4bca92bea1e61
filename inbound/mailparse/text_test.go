package mailparse

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Hello", "Hello"},
		{"entities and spaces", "<p>Fish &amp;\n   chips&nbsp;&nbsp;now</p>", "Fish & chips  now"},
		{"paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"divs and br", "<div>a</div><div>b<br>c</div>", "a\nb\nc"},
		{"inline markup keeps words", "mime-modified <b>set</b>; ok", "mime-modified set; ok"},
		{"script and style", "<head><title>t</title><style>p{}</style></head><script>x()</script>body", "body"},
		{"list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"link", `see <a href="https://example.org/x">the page</a>`, "see the page <https://example.org/x>"},
		{"link showing its target", `<a href="https://example.org">https://example.org</a>`, "https://example.org"},
		{"mailto", `<a href="mailto:a@example.org">a@example.org</a>`, "a@example.org"},
		{"other links", `<a href="javascript:x()">click</a>`, "click"},
		{"pre", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"blockquote", "Yes<blockquote>Lunch?<blockquote>When?</blockquote></blockquote>", "Yes\n> Lunch?\n>> When?"},
		{"gmx quote div", `Ok<div name="quote"><div>Von: x</div><div>text</div></div>after`, "Ok\n> Von: x\n> text\nafter"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"image alt", `<img alt="logo" src="cid:x">`, "logo"},
		{"unclosed tags", "<div><p>open", "open"},
		{"unclosed head", "<html><head><meta charset=utf-8><body>text", "text"},
		{"stray end tags", "</div></blockquote>text", "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHTMLToTextDeepQuotes(t *testing.T) {
	in := strings.Repeat("<blockquote>", 10000) + "deep"
	got := htmlToText(in)
	if got != strings.Repeat(">", maxQuoteDepth)+" deep" {
		t.Errorf("got %q", got)
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		name, in string
		delSp    bool
		want     string
	}{
		{"join", "This line ends with a space \nand goes on.\n\nFixed\nlines", false, "This line ends with a space and goes on.\n\nFixed\nlines"},
		{"delsp", "abc\u00a0\ndef \nghi", true, "abc\u00a0\ndefghi"},
		{"quoted", "> Long \n> quote.\n\nReply", false, "> Long quote.\n\nReply"},
		{"depth change ends a paragraph", "> a \nb", false, "> a \nb"},
		{"space stuffing", " From here\n  indented", false, "From here\n indented"},
		{"signature is not flowed", "text\n-- \nsig", false, "text\n-- \nsig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unflow(tt.in, tt.delSp); got != tt.want {
				t.Errorf("unflow(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseParamsFilenames(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{"simple", `attachment; filename="test.html"`, "test.html"},
		{"token", `attachment; filename=minimal.xdc`, "minimal.xdc"},
		{"rfc 2231", `attachment; filename*=utf-8''Ma%C3%9Fnahmen%20Okt.html`, "Maßnahmen Okt.html"},
		{"rfc 2231 latin-1", `attachment; filename*=iso-8859-1'de'Auftragsbest%E4tigung.pdf`, "Auftragsbestätigung.pdf"},
		{"continuations", "attachment;\n filename*0*=\"utf-8''Ma%C3%9Fna\";\n filename*1*=hm;\n filename*2*=\"en%20M%c3%a4rz.html\"", "Maßnahmen März.html"},
		{"continuations out of order", `attachment; filename*1="b.txt"; filename*0="a"`, "ab.txt"},
		{"encoded words", `attachment; filename="=?utf-8?q?R=C3=A9sum=C3=A9?= final.pdf"`, "Résumé final.pdf"},
		{"encoded word touching text", `attachment; filename="=?utf-8?q?foo?=.bar"`, "=?utf-8?q?foo?=.bar"},
		{"adjacent encoded words", `attachment; filename*0="=?utf-8?Q?a_?="; filename*1="=?utf-8?Q?b?="`, "a b"},
		{"invalid 2231 with encoded word", `attachment; filename*="=?utf-8?Q?d=C3=A4ta.zip?="`, "däta.zip"},
		{"plain beats 2231 when encoded", `attachment; filename="=?utf-8?Q?real.html?="; filename*=utf-8''ignored.html`, "real.html"},
		{"2231 beats ascii fallback", `attachment; filename="Resume.pdf"; filename*=utf-8''R%C3%A9sum%C3%A9.pdf`, "Résumé.pdf"},
		{"escaped quote", `attachment; filename="a \"b\".txt"`, `a "b".txt`},
		{"unterminated quote", `attachment; filename="open.txt`, "open.txt"},
		{"semicolon in quotes", `attachment; filename="a;b.txt"`, "a;b.txt"},
		{"junk", `;;;=;filename`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, params := parseParams(tt.header)
			if got := decodeFilename(params["filename"]); got != tt.want {
				t.Errorf("filename = %q, want %q (params %q)", got, tt.want, params)
			}
		})
	}
	token, params := parseParams(`Multipart/Report; Report-Type="delivery-status"; boundary=x`)
	if token != "multipart/report" || params["report-type"] != "delivery-status" || params["boundary"] != "x" {
		t.Errorf("parseParams: %q %q", token, params)
	}
}

func TestLenientAddresses(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		{"MAILER-DAEMON@hq5.example (Mail Delivery System)", []Address{{"Mail Delivery System", "MAILER-DAEMON@hq5.example"}}},
		{`"=?utf-8?q?G=C3=B6tz?= C" <g@c.example>, broken <x@y.example`, []Address{{"Götz C", "g@c.example"}, {"broken", "x@y.example"}}},
		{`"a, b" <ab@example.org>`, []Address{{"a, b", "ab@example.org"}}},
		{"undisclosed-recipients:;", nil},
	}
	for _, tt := range tests {
		got := lenientAddressList(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
			}
		}
	}
}

func TestBounceCodes(t *testing.T) {
	for in, want := range map[string]string{
		"550 5.1.1 <a@b>: unknown":   "5.1.1",
		"said: 452 4.2.2 over quota": "4.2.2",
		"version 1.2.3 and 5.7.1":    "5.7.1",
		"no code here":               "",
		"5.1":                        "",
		"at 10.5.1.100":              "",
	} {
		if got := firstStatus(in); got != want {
			t.Errorf("firstStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScanBounceText(t *testing.T) {
	text := "Hi. This is the qmail-send program.\n\n<bob@example.org>:\n452 mailbox full, try again later\n\n--- Below this line is a copy of the message.\n<carol@example.org>:\n"
	b := scanBounceText(text, "")
	if len(b.Recipients) != 1 || b.Recipients[0] != "bob@example.org" || b.Permanent || b.Diagnostic != "452 mailbox full, try again later" {
		t.Errorf("got %+v", *b)
	}
}
