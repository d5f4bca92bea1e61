package mailcompose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strconv"

	"parley/internal/filelink"
	"parley/threads"
)

// RelayFile is one file of a relayed line as the member's email carries
// it: attached (Data), or as a signed link (Link), or only named when
// neither is there.
type RelayFile struct {
	// Link is the member's signed download link (filelink.URL).
	Link string
	// Data, when not nil, is the file itself: it goes as an attachment.
	Data []byte
}

// FileKey is the key of Relay.Files for the file at place i of line.
func FileKey(line string, i int) string { return line + "/" + strconv.Itoa(i) }

// FileData is one file of a line as the relay templates see it.
type FileData struct {
	// Name is the file's name, on one line; Type its media type; Size
	// says its size ("240 KB").
	Name, Type, Size string
	// Attached: the file is attached to this email.
	Attached bool
	// Link is the download link, or "".
	Link string
}

// attached is a file to attach to a relay.
type attached struct {
	name, ctype string
	data        []byte
}

// relayFiles fills ld.Files for the files of line l and returns the ones
// to attach.
func relayFiles(r Relay, l threads.Line, ld *LineData) []attached {
	return lineFiles(r.Files, l, ld)
}

// lineFiles fills ld.Files for the files of line l, as files says each
// goes, and returns the ones to attach.
func lineFiles(files map[string]RelayFile, l threads.Line, ld *LineData) []attached {
	var out []attached
	for i, a := range l.Attachments {
		f := files[FileKey(l.ID, i)]
		fd := FileData{Name: label(a.Name, "file", 200), Type: oneLine(a.Type, 100), Size: filelink.Size(a.Size), Link: f.Link}
		if f.Data != nil {
			fd.Attached = true
			fd.Size = filelink.Size(int64(len(f.Data)))
			out = append(out, attached{name: fd.Name, ctype: a.Type, data: f.Data})
		}
		ld.Files = append(ld.Files, fd)
	}
	return out
}

// checkRelayFiles refuses links that are not http(s) URLs.
func checkRelayFiles(r Relay) error {
	for k, f := range r.Files {
		if f.Link != "" {
			if err := checkURL("file link "+k, f.Link, "https", "http"); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeWithFiles assembles a relay that carries files: a multipart/mixed
// message whose first part is the text (and HTML alternative) and the
// files after it, base64-encoded. Boundaries derive from the Message-ID,
// as in write.
func (c *Composer) writeWithFiles(fields []field, id, text, html string, files []attached) ([]byte, error) {
	sum := sha256.Sum256([]byte(id))
	mixed := "=_m" + hex.EncodeToString(sum[:12])
	alt := "=_a" + hex.EncodeToString(sum[:12])
	fields = append(fields, field{"MIME-Version", "1.0"}, field{"Content-Type", "multipart/mixed; boundary=\"" + mixed + "\""})
	var buf bytes.Buffer
	size := 0
	for _, f := range files {
		size += len(f.data)
	}
	buf.Grow(2048 + 2*(len(text)+len(html)) + size*4/3 + size/38)
	if err := writeHeader(&buf, fields); err != nil {
		return nil, err
	}
	buf.WriteString("--" + mixed + "\r\n")
	if html == "" {
		if err := writeHeader(&buf, []field{{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Transfer-Encoding", "quoted-printable"}}); err != nil {
			return nil, err
		}
		writeQP(&buf, text)
	} else {
		if err := writeHeader(&buf, []field{{"Content-Type", "multipart/alternative; boundary=\"" + alt + "\""}}); err != nil {
			return nil, err
		}
		if err := writeAlternative(&buf, alt, text, html); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		mt, _, err := mime.ParseMediaType(f.ctype)
		if err != nil || mime.FormatMediaType(mt, nil) == "" {
			mt = "application/octet-stream"
		}
		params := map[string]string{"name": f.name}
		buf.WriteString("\r\n--" + mixed + "\r\n")
		if err := writeHeader(&buf, []field{
			{"Content-Type", mime.FormatMediaType(mt, params)},
			{"Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name})},
			{"Content-Transfer-Encoding", "base64"},
		}); err != nil {
			return nil, err
		}
		writeBase64(&buf, f.data)
	}
	buf.WriteString("\r\n--" + mixed + "--\r\n")
	if c.signer == nil {
		return buf.Bytes(), nil
	}
	signed, err := c.signer.sign(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("dkim-sign %s: %w", id, err)
	}
	return signed, nil
}

// writeAlternative writes the body of a multipart/alternative part: text,
// then html, each quoted-printable UTF-8.
func writeAlternative(buf *bytes.Buffer, boundary, text, html string) error {
	for _, p := range []struct{ ctype, body string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}} {
		buf.WriteString("--" + boundary + "\r\n")
		if err := writeHeader(buf, []field{{"Content-Type", p.ctype}, {"Content-Transfer-Encoding", "quoted-printable"}}); err != nil {
			return err
		}
		writeQP(buf, p.body)
		buf.WriteString("\r\n")
	}
	buf.WriteString("--" + boundary + "--\r\n")
	return nil
}
