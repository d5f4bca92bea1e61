package smsfmt

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	zh := func(n int) string { return strings.Repeat("ж", n) }
	emoji := "😀"
	tests := []struct {
		name  string
		text  string
		count int
		enc   Encoding
		units int
	}{
		{"empty", "", 0, GSM7, 0},
		{"hello", "hello", 1, GSM7, 5},
		{"basic set specials", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", 1, GSM7, 42},
		{"line breaks", "a\nb\r\nc", 1, GSM7, 6},
		{"160 single", a(160), 1, GSM7, 160},
		{"161 two parts", a(161), 2, GSM7, 161},
		{"306 two full parts", a(306), 2, GSM7, 306},
		{"307 three parts", a(307), 3, GSM7, 307},
		{"459 three full parts", a(459), 3, GSM7, 459},
		{"extension costs two", "{}", 1, GSM7, 4},
		{"all extension chars", "^{}\\[]~|€\f", 1, GSM7, 20},
		{"80 euros single", strings.Repeat("€", 80), 1, GSM7, 160},
		{"159 plus euro is 161", a(159) + "€", 2, GSM7, 161},
		{"158 plus euro is 160", a(158) + "€", 1, GSM7, 160},
		{"81 euros, 76 a part", strings.Repeat("€", 81), 2, GSM7, 162},
		{"152 euros fill two parts", strings.Repeat("€", 152), 2, GSM7, 304},
		{"153 euros need three", strings.Repeat("€", 153), 3, GSM7, 306},
		// The escape and its character stay in one part: 152 + {, the
		// brace moves to part two, which then overflows by one.
		{"extension at part boundary", a(152) + "{" + a(152), 3, GSM7, 306},
		{"extension just before boundary", a(151) + "{" + a(153), 2, GSM7, 306},
		{"tab is not GSM-7", "a\tb", 1, UCS2, 3},
		{"backtick is not GSM-7", "`", 1, UCS2, 1},
		{"70 UCS-2 single", zh(70), 1, UCS2, 70},
		{"71 UCS-2 two parts", zh(71), 2, UCS2, 71},
		{"134 UCS-2 two full parts", zh(134), 2, UCS2, 134},
		{"135 UCS-2 three parts", zh(135), 3, UCS2, 135},
		{"one non-GSM char turns all UCS-2", a(69) + "ж", 1, UCS2, 70},
		{"one non-GSM char, 71 units", a(70) + "ж", 2, UCS2, 71},
		{"extension chars in UCS-2 cost one", "{ж", 1, UCS2, 2},
		{"emoji is two units", emoji, 1, UCS2, 2},
		{"35 emoji single", strings.Repeat(emoji, 35), 1, UCS2, 70},
		{"36 emoji two parts", strings.Repeat(emoji, 36), 2, UCS2, 72},
		{"67 emoji, 33 a part", strings.Repeat(emoji, 67), 3, UCS2, 134},
		{"emoji at 70/71", a(69) + emoji, 2, UCS2, 71},
		// The pair does not split: 66 units, the emoji moves on and the
		// second part then overflows by one.
		{"surrogate pair at part boundary", a(66) + emoji + a(66), 3, UCS2, 134},
		{"surrogate pair before boundary", a(65) + emoji + a(67), 2, UCS2, 134},
		{"invalid UTF-8 is UCS-2", "a\xffb", 1, UCS2, 3},
		{"accent GSM lacks", "á", 1, UCS2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, enc, units := Segments(tt.text)
			if count != tt.count || enc != tt.enc || units != tt.units {
				t.Errorf("Segments(%.20q…) = %d, %v, %d; want %d, %v, %d",
					tt.text, count, enc, units, tt.count, tt.enc, tt.units)
			}
		})
	}
}

// TestAlphabet checks the alphabet against GSM 03.38: 127 characters in
// the basic table (128 positions less the escape), 10 in the extension.
func TestAlphabet(t *testing.T) {
	const basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	const extension = "\f^{}\\[~]|€"
	if n := len([]rune(basic)); n != 127 {
		t.Fatalf("test table has %d basic characters, want 127", n)
	}
	var ones, twos int
	for r := rune(0); r <= 0x10ffff; r++ {
		switch septets(r) {
		case 1:
			ones++
			if !strings.ContainsRune(basic, r) {
				t.Errorf("%q costs 1 but is not in the basic table", r)
			}
		case 2:
			twos++
			if !strings.ContainsRune(extension, r) {
				t.Errorf("%q costs 2 but is not in the extension table", r)
			}
		}
	}
	if ones != 127 || twos != 10 {
		t.Errorf("alphabet has %d basic and %d extension characters, want 127 and 10", ones, twos)
	}
}

func TestEncodingString(t *testing.T) {
	for e, want := range map[Encoding]string{GSM7: "GSM-7", UCS2: "UCS-2", 0: "unknown"} {
		if got := e.String(); got != want {
			t.Errorf("Encoding(%d).String() = %q, want %q", e, got, want)
		}
	}
}
