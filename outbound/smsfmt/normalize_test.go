package smsfmt

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain stays", "it's done - ok", "it's done - ok"},
		{"curly quotes", "‘single’ “double”", `'single' "double"`},
		{"dashes", "a – b — c − d", "a - b - c - d"},
		{"ellipsis", "wait…", "wait..."},
		{"non-breaking and thin spaces", "10\u00a0km\u202fnow\u2009!", "10 km now !"},
		{"zero-width dropped", "ab\u200bc\ufeff", "abc"},
		{"soft hyphen dropped", "co\u00adoperate", "cooperate"},
		{"tab", "a\tb", "a b"},
		{"CR LF and CR", "a\r\nb\rc", "a\nb\nc"},
		{"line separator", "a\u2028b", "a\nb"},
		{"backtick", "use `make`", "use 'make'"},
		{"guillemets", "«oui»", `"oui"`},
		{"GSM accents untouched", "café à Zürich", "café à Zürich"},
		{"extension chars untouched", "{€}", "{€}"},
		{"emoji keeps original", "it’s 😀", "it’s 😀"},
		{"accent GSM lacks keeps original", "“olá”", "“olá”"},
		{"CR LF kept in UCS-2", "ж\r\n", "ж\r\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
