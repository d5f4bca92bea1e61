package inbound

import (
	"testing"

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
