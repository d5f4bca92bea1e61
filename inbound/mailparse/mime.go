package mailparse

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

const (
	// maxDepth bounds multipart nesting; deeper parts are ignored.
	maxDepth = 16
	// maxParts bounds the parts walked in one message.
	maxParts = 1000
	// maxReportBytes bounds the delivery-status and returned-header parts
	// kept for bounce parsing.
	maxReportBytes = 64 << 10
)

// textPiece is body text found in one part.
type textPiece struct {
	text string
	html bool
}

// collector walks the MIME tree once and keeps what Parse needs. Children
// of a multipart/alternative get their own collector for the text, sharing
// everything else through shared.
type collector struct {
	*shared
	texts []textPiece
}

type shared struct {
	opt          Options
	parts        int
	attachments  []Attachment
	encrypted    bool
	dsn          []byte // first message/delivery-status body
	returned     []byte // header of the returned message in a report
	failedHeader string // X-Failed-Recipients of the top-level header
}

func newCollector(opt Options) *collector {
	return &collector{shared: &shared{opt: opt}}
}

// text joins the body text found, in message order.
func (c *collector) text() string {
	var buf [4]string
	parts := buf[:0]
	for _, p := range c.texts {
		if t := strings.Trim(p.text, "\n"); trimSpace(t) != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "\n\n")
}

// walk visits one entity: its header h and its still-encoded body.
func (c *collector) walk(h Header, body io.Reader, depth int, inReport bool) {
	c.parts++
	if c.parts > maxParts || depth > maxDepth {
		return
	}
	ctype, params := parseParams(h.Get("Content-Type"))
	if !strings.Contains(ctype, "/") {
		ctype = "text/plain"
	}
	disp, dparams := parseParams(h.Get("Content-Disposition"))
	filename := decodeFilename(firstNonEmpty(dparams["filename"], params["name"]))

	if strings.HasPrefix(ctype, "multipart/") {
		if b := params["boundary"]; b != "" {
			c.walkMultipart(ctype, b, body, depth)
			return
		}
		ctype = "text/plain" // no boundary: read it as text
	}

	switch ctype {
	case "message/delivery-status", "message/global-delivery-status":
		if c.dsn == nil {
			c.dsn = readLimited(decodeTransfer(h, body), maxReportBytes)
		}
		return
	case "message/disposition-notification":
		return
	case "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature":
		return // signatures are not files a person sent
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		if !strings.Contains(strings.ToLower(params["smime-type"]), "signed") {
			c.encrypted = true
			return
		}
	}
	if inReport {
		switch ctype {
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers", "message/rfc822-headers":
			if c.returned == nil {
				c.returned = readLimited(decodeTransfer(h, body), maxReportBytes)
			}
			return
		}
	}

	isText := ctype == "text/plain" || ctype == "text/html"
	if isText && disp != "attachment" && filename == "" {
		c.addText(h, body, ctype, params)
		return
	}
	c.addAttachment(h, body, ctype, filename)
}

// walkMultipart visits the parts of a multipart body by subtype.
func (c *collector) walkMultipart(ctype, boundary string, body io.Reader, depth int) {
	mr := textproto.NewMultipartReader(body, boundary)
	next := func() (*textproto.Part, bool) {
		p, err := mr.NextPart()
		return p, err == nil && p != nil
	}
	switch ctype {
	case "multipart/alternative":
		// Keep the text of one alternative: the first non-empty plain
		// text, else the last one with any text (the richest, RFC 2046).
		// Files of every alternative are kept: inline images live in
		// the HTML branch.
		var best *collector
		bestScore := 0
		for p, ok := next(); ok; p, ok = next() {
			sub := &collector{shared: c.shared}
			sub.walk(&p.Header, p, depth+1, false)
			score := sub.score()
			if score == 2 && bestScore < 2 || score == 1 && bestScore <= 1 {
				best, bestScore = sub, score
			}
		}
		if best != nil {
			c.texts = append(c.texts, best.texts...)
		}
	case "multipart/encrypted":
		c.encrypted = true
	case "multipart/signed":
		if p, ok := next(); ok {
			c.walk(&p.Header, p, depth+1, false)
		}
	case "multipart/report":
		for p, ok := next(); ok; p, ok = next() {
			c.walk(&p.Header, p, depth+1, true)
		}
	default: // mixed, related, parallel, digest and unknown subtypes
		for p, ok := next(); ok; p, ok = next() {
			c.walk(&p.Header, p, depth+1, false)
		}
	}
}

// score rates the text an alternative produced: 2 for plain text, 1 for
// HTML only, 0 for none.
func (c *collector) score() int {
	s := 0
	for _, p := range c.texts {
		if trimSpace(p.text) == "" {
			continue
		}
		if !p.html {
			return 2
		}
		s = 1
	}
	return s
}

// addText decodes a text part into the body text.
func (c *collector) addText(h Header, body io.Reader, ctype string, params map[string]string) {
	r := decodeCharset(params["charset"], decodeTransfer(h, body))
	data := readText(r, c.opt.maxBytes())
	if ctype == "text/html" {
		c.texts = append(c.texts, textPiece{text: htmlToText(strings.ToValidUTF8(string(data), "\uFFFD")), html: true})
		return
	}
	text := plainText(data)
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	c.texts = append(c.texts, textPiece{text: text})
}

// addAttachment records a file, keeping its data up to the size cap.
func (c *collector) addAttachment(h Header, body io.Reader, ctype, filename string) {
	r := decodeTransfer(h, body)
	limit := c.opt.maxAttachmentBytes()
	data := readLimited(r, limit+1)
	size := int64(len(data))
	if size > limit {
		n, _ := io.Copy(io.Discard, r)
		size += n
		data = nil
	}
	c.attachments = append(c.attachments, Attachment{
		Filename:    filename,
		ContentType: ctype,
		Size:        size,
		Data:        data,
	})
}

// decodeTransfer undoes the Content-Transfer-Encoding. Unknown encodings
// are read as they are.
func decodeTransfer(h Header, body io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		return base64.NewDecoder(base64.RawStdEncoding, &base64Filter{r: bufio.NewReader(body)})
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	}
	return body
}

// decodeCharset converts text to UTF-8; unknown charsets are read as is.
func decodeCharset(cs string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cs)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return r
	}
	if cr, err := charset.Reader(cs, r); err == nil {
		return cr
	}
	return r
}

// base64Filter passes only base64 alphabet bytes, so that line breaks,
// stray spaces and padding in the middle of a body do not stop decoding.
type base64Filter struct {
	r *bufio.Reader
}

func (f *base64Filter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := f.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' {
			p[n] = c
			n++
		}
	}
	return n, nil
}

// memBody reads the body of a message held in memory. readText takes its
// bytes in place rather than copying them.
type memBody struct {
	data []byte
}

func (m *memBody) Read(p []byte) (int, error) {
	if len(m.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, m.data)
	m.data = m.data[n:]
	return n, nil
}

// readText is readLimited for a text part, which addText copies into a
// string: the bytes of a memBody are returned in place, not copied.
func readText(r io.Reader, limit int64) []byte {
	m, ok := r.(*memBody)
	if !ok {
		return readLimited(r, limit)
	}
	data := m.data[:min(limit, int64(len(m.data)))]
	m.data = m.data[len(data):]
	return data
}

// plainText turns the bytes of a text/plain part into valid UTF-8 with
// LF line ends, as normalizeNewlines(strings.ToValidUTF8(string(data),
// "\uFFFD")) does, but with one copy for valid UTF-8.
func plainText(data []byte) string {
	if !utf8.Valid(data) {
		return normalizeNewlines(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	if bytes.IndexByte(data, '\r') < 0 {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data))
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\r')
		if i < 0 {
			b.Write(data)
			break
		}
		b.Write(data[:i])
		b.WriteByte('\n')
		data = data[i+1:]
		if len(data) > 0 && data[0] == '\n' {
			data = data[1:]
		}
	}
	return b.String()
}

// readLimited reads at most limit bytes from r, keeping what was read
// before any decoding error: a damaged part still yields its good start.
func readLimited(r io.Reader, limit int64) []byte {
	if limit <= 0 {
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(r, limit))
	return data
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
