package mailcompose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/emersion/go-message"
)

// write assembles a message: the header fields, then the text and, when not
// empty, the HTML alternative, each quoted-printable UTF-8 (so no line is
// longer than 76 octets, whatever the text). The boundary is derived from
// the Message-ID, which keeps output reproducible; it starts with "=_",
// which quoted-printable never produces, so it cannot occur in a part. The
// message is DKIM-signed when the composer has a key.
func (c *Composer) write(fields []field, id, text, html string) ([]byte, error) {
	sum := sha256.Sum256([]byte(id))
	boundary := "=_" + hex.EncodeToString(sum[:12])
	ctype := "text/plain; charset=utf-8"
	if html != "" {
		ctype = "multipart/alternative; boundary=\"" + boundary + "\""
	}
	fields = append(fields, field{"MIME-Version", "1.0"}, field{"Content-Type", ctype})
	if html == "" {
		fields = append(fields, field{"Content-Transfer-Encoding", "quoted-printable"})
	}

	h, err := header(fields)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	if html == "" {
		err = writeBody(w, text) // closes w
	} else {
		err = writePart(w, "text/plain; charset=utf-8", text)
		if err == nil {
			err = writePart(w, "text/html; charset=utf-8", html)
		}
		if err == nil {
			err = w.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("write body: %w", err)
	}
	if c.signer == nil {
		return buf.Bytes(), nil
	}
	signed, err := c.signer.sign(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("dkim-sign %s: %w", id, err)
	}
	return signed, nil
}

// writePart adds one quoted-printable text part to a multipart writer.
func writePart(w *message.Writer, ctype, body string) error {
	h, err := header([]field{
		{"Content-Type", ctype},
		{"Content-Transfer-Encoding", "quoted-printable"},
	})
	if err != nil {
		return err
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	return writeBody(pw, body)
}

// writeBody writes body, ending in a line break, and closes w (which
// flushes the quoted-printable encoder).
func writeBody(w io.WriteCloser, body string) error {
	if body != "" && body[len(body)-1] != '\n' {
		body += "\n"
	}
	if _, err := io.WriteString(w, body); err != nil {
		return err
	}
	return w.Close()
}
