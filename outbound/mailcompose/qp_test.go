package mailcompose

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// FuzzQP: qpWriter encodes as mime/quotedprintable.Writer does.
func FuzzQP(f *testing.F) {
	for _, s := range []string{"", "hello\n", "a=b", "trailing space \nnext", "tab\t\r\nx", "\r\r\n\n", "\r\x00\n", "é ü",
		strings.Repeat("x", 75) + " \n", strings.Repeat("ab=", 40), strings.Repeat("y", 74) + "=z", strings.Repeat(" ", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		w := quotedprintable.NewWriter(&want)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		var got bytes.Buffer
		q := qpWriter{buf: &got}
		q.write(s)
		q.checkLastByte()
		if got.String() != want.String() {
			t.Errorf("qp(%q)\n = %q\nwant %q", s, got.String(), want.String())
		}
	})
}
