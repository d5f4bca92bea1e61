package mailcompose

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// write assembles a message: the header fields, then the text and, when not
// empty, the HTML alternative, each quoted-printable UTF-8 (so no line is
// longer than 76 octets, whatever the text). The boundary is derived from
// the Message-ID, which keeps output reproducible; it starts with "=_",
// which quoted-printable never produces, so it cannot occur in a part. The
// message is DKIM-signed when the composer has a key.
//
// The message is written straight into one buffer: the layout is fixed, and
// a general MIME writer costs more than the rest of a relay together.
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

	var buf bytes.Buffer
	buf.Grow(1024 + 2*(len(text)+len(html)))
	if err := writeHeader(&buf, fields); err != nil {
		return nil, err
	}
	if html == "" {
		writeQP(&buf, text)
	} else if err := writeAlternative(&buf, boundary, text, html); err != nil {
		return nil, err
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

// writeHeader writes fields, folded, and the empty line that ends a header.
func writeHeader(buf *bytes.Buffer, fields []field) error {
	for _, f := range fields {
		if !printableASCII(f.key) || !printableASCII(f.value) {
			return fmt.Errorf("header field %s holds more than printable ASCII: %q", f.key, f.value)
		}
		fold(buf, f.key, f.value)
	}
	buf.WriteString("\r\n")
	return nil
}

// writeBase64 writes data base64-encoded in lines of 76 characters, the
// last one ended by a line break.
func writeBase64(buf *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		buf.WriteString(enc[:76])
		buf.WriteString("\r\n")
		enc = enc[76:]
	}
	buf.WriteString(enc)
	buf.WriteString("\r\n")
}

// writeQP writes body quoted-printable, ending in a line break.
func writeQP(buf *bytes.Buffer, body string) {
	if body != "" && body[len(body)-1] != '\n' {
		body += "\n"
	}
	q := qpWriter{buf: buf}
	q.write(body)
	q.checkLastByte()
}
