package filesafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTypeAllowed(t *testing.T) {
	allowed := []string{"application/pdf", "image/*"}
	for ct, want := range map[string]bool{
		"application/pdf": true, "image/png": true, "image/": true,
		"text/html": false, "application/pdfx": false, "": false,
	} {
		if got := TypeAllowed(allowed, ct); got != want {
			t.Errorf("TypeAllowed(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("a", 150) + ".pdf"
	for in, want := range map[string]string{
		"report.pdf":                   "report.pdf",
		"invoice\u202efdp.exe":         "invoicefdp.exe", // the override that shows "invoiceexe.pdf"
		"\u2067x\u2069.txt":            "x.txt",
		"a\u200bb.txt":                 "ab.txt",
		"../../etc/passwd":             "passwd",
		`C:\Users\bob\report.pdf`:      "report.pdf",
		"..":                           "file",
		"":                             "file",
		"/":                            "file",
		".bashrc":                      "bashrc",
		"two\r\nlines.txt":             "two lines.txt",
		"tab\tand  spaces .txt":        "tab and spaces .txt",
		"say \"hi\".txt":               "say hi.txt",
		"bad\xffutf8.txt":              "badutf8.txt",
		"nul\x00.txt":                  "nul.txt",
		"Übersicht März.pdf":           "Übersicht März.pdf",
		long:                           strings.Repeat("a", 96) + ".pdf",
		strings.Repeat("é", 120):       strings.Repeat("é", 100),
		"x." + strings.Repeat("y", 40): "x." + strings.Repeat("y", 40),
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a.pdf", "invoice\u202efdp.exe", "../x", "\x00\r\n", strings.Repeat("ab", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanName(s)
		if got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > maxFileName ||
			strings.ContainsAny(got, "/\\\r\n\"\u202e") || strings.HasPrefix(got, ".") {
			t.Errorf("CleanName(%q) = %q", s, got)
		}
		if CleanName(got) != got {
			t.Errorf("CleanName is not idempotent on %q: %q", got, CleanName(got))
		}
	})
}

func TestSniffType(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)...)
	zip := []byte("PK\x03\x04\x14\x00\x06\x00")
	ole := append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 32)...)
	for _, c := range []struct {
		data     []byte
		declared string
		want     string
	}{
		{pdf, "application/pdf", "application/pdf"},
		{exe, "application/pdf", "application/octet-stream"}, // an .exe sent as a PDF
		{png, "application/pdf", "image/png"},
		{png, "application/octet-stream", "image/png"},
		{[]byte("<html><script>alert(1)</script>"), "text/plain", "text/html"},
		{[]byte("a,b\n1,2\n"), "text/csv", "text/csv"},
		{[]byte("a,b\n1,2\n"), "image/png", "text/plain"},
		{zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{exe, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/octet-stream"},
		{ole, "application/msword", "application/msword"},
		{exe, "application/msword", "application/octet-stream"},
	} {
		if got := SniffType(c.data, c.declared); got != c.want {
			t.Errorf("SniffType(%q..., %s) = %s, want %s", c.data[:4], c.declared, got, c.want)
		}
	}
}
