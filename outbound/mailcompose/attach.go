package mailcompose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"regexp"
)

// File is a file carried by a notice.
type File struct {
	// Name is the file name the reader sees: letters, digits, '.', '_'
	// and '-' only, so that it needs no encoding.
	Name string
	// ContentType is its media type ("text/html; charset=utf-8").
	ContentType string
	Data        []byte
}

var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// NoticeWithFile composes a notice (see Notice) that carries f as an
// attachment: a multipart/mixed message, its text part first, the file
// base64-encoded after it.
func (c *Composer) NoticeWithFile(n Notice, f File) (Message, error) {
	m, err := c.noticeWithFile(n, f)
	if err != nil {
		return Message{}, fmt.Errorf("compose notice %s with %s to %s: %w", n.Body, f.Name, n.To.Address, err)
	}
	return m, nil
}

func (c *Composer) noticeWithFile(n Notice, f File) (Message, error) {
	if !fileName.MatchString(f.Name) {
		return Message{}, invalid("file name %q is not plain", f.Name)
	}
	mt, params, err := mime.ParseMediaType(f.ContentType)
	if err != nil {
		return Message{}, invalid("content type %q: %v", f.ContentType, err)
	}
	fields, id, to, text, _, err := c.noticeParts(n)
	if err != nil {
		return Message{}, err
	}
	sum := sha256.Sum256([]byte(id))
	boundary := "=_" + hex.EncodeToString(sum[:12])
	fields = append(fields, field{"MIME-Version", "1.0"},
		field{"Content-Type", "multipart/mixed; boundary=\"" + boundary + "\""})
	var buf bytes.Buffer
	if err := writeHeader(&buf, fields); err != nil {
		return Message{}, err
	}
	buf.WriteString("--" + boundary + "\r\n")
	if err := writeHeader(&buf, []field{{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "quoted-printable"}}); err != nil {
		return Message{}, err
	}
	writeQP(&buf, text)
	buf.WriteString("\r\n--" + boundary + "\r\n")
	params["name"] = f.Name
	if err := writeHeader(&buf, []field{
		{"Content-Type", mime.FormatMediaType(mt, params)},
		{"Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})},
		{"Content-Transfer-Encoding", "base64"},
	}); err != nil {
		return Message{}, err
	}
	writeBase64(&buf, f.Data)
	buf.WriteString("\r\n--" + boundary + "--\r\n")
	b := buf.Bytes()
	if c.signer != nil {
		if b, err = c.signer.sign(b); err != nil {
			return Message{}, fmt.Errorf("dkim-sign %s: %w", id, err)
		}
	}
	return Message{From: c.from, To: []string{to}, MessageID: id, Bytes: b}, nil
}
