package inbound

import (
	"encoding/base64"
	"strings"
	"testing"

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
