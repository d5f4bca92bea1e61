package inbound

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/internal/blobs"
	"parley/threads"
)

func TestDescribeFiles(t *testing.T) {
	cases := []struct {
		atts []threads.Attachment
		want string
	}{
		{nil, ""},
		{[]threads.Attachment{{Name: "a.txt", Size: 900}}, "a.txt (900 bytes)"},
		{[]threads.Attachment{{Name: "report.pdf", Size: 240 << 10}, {Name: "b"}, {Name: "c"}}, "report.pdf (240 KB) and 2 more"},
		{[]threads.Attachment{{Name: "clip.mp4", Size: 3 << 20}}, "clip.mp4 (3.0 MB)"},
	}
	for _, c := range cases {
		if got := DescribeFiles(c.atts); got != c.want {
			t.Errorf("DescribeFiles(%v) = %q, want %q", c.atts, got, c.want)
		}
	}
}

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

func TestCleanFileName(t *testing.T) {
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
		if got := CleanFileName(in); got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanFileName(f *testing.F) {
	for _, s := range []string{"a.pdf", "invoice\u202efdp.exe", "../x", "\x00\r\n", strings.Repeat("ab", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanFileName(s)
		if got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > maxFileName ||
			strings.ContainsAny(got, "/\\\r\n\"\u202e") || strings.HasPrefix(got, ".") {
			t.Errorf("CleanFileName(%q) = %q", s, got)
		}
		if CleanFileName(got) != got {
			t.Errorf("CleanFileName is not idempotent on %q: %q", got, CleanFileName(got))
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

// TestAttachmentAttacks: an .exe sent as a PDF under a name whose bidi
// override makes it read "invoiceexe.pdf" is refused, and a genuine file's
// name loses its path and control characters (issue 20).
func TestAttachmentAttacks(t *testing.T) {
	store, err := blobs.New(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	e := newRenv(t, Options{Blobs: store})
	exe := base64.StdEncoding.EncodeToString(append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)...))
	raw := "From: bob@example.org\r\nTo: " + e.bob + "\r\nSubject: invoice\r\nMessage-ID: <att9@x>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nInvoice attached.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + exe + "\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''..%2F..%2Freal%0D%0A.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgaGVsbG8=\r\n--b--\r\n"
	res, err := e.receive(t, []byte(raw), e.bob)
	if err != nil || res.Outcome != Posted {
		t.Fatalf("Receive = %+v, %v", res, err)
	}
	if len(res.Refused) != 1 || !strings.Contains(res.Refused[0], "invoicefdp.exe (sent as application/pdf, but its content is application/octet-stream") {
		t.Errorf("refused %q", res.Refused)
	}
	ls := e.lines(t)
	if len(ls) != 1 || len(ls[0].Attachments) != 1 || ls[0].Attachments[0].Name != "real .pdf" || ls[0].Attachments[0].Type != "application/pdf" {
		t.Fatalf("lines %+v", ls)
	}
}
