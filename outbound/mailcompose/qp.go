package mailcompose

import "bytes"

// qpWriter encodes quoted-printable (RFC 2045 section 6.7) straight into a
// buffer, byte for byte as mime/quotedprintable.Writer does with Binary
// false (FuzzQP holds them to it): lines of at most 76 octets with soft
// breaks, "=" and bytes outside printable ASCII encoded, a space or tab at
// a line's end encoded, and CR, LF and CRLF all made CRLF. The standard
// writer takes a function call and a bounds check per byte; a relay body
// is encoded for every email, so runs of plain bytes are copied at once.
type qpWriter struct {
	buf *bytes.Buffer
	n   int  // octets in the current line
	cr  bool // the last line break written was a CR: an LF right after it is part of it
}

// qpMaxLine is the most octets a line holds before its soft break ("=").
const qpMaxLine = 75

// qpPlain marks the bytes written as they are: printable ASCII but "=",
// space and tab.
var qpPlain = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()

const qpHex = "0123456789ABCDEF"

// write encodes s.
func (q *qpWriter) write(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case qpPlain[c]:
			if q.n == qpMaxLine {
				q.softBreak()
			}
			j := i + 1
			for end := min(len(s), i+qpMaxLine-q.n); j < end && qpPlain[s[j]]; j++ {
			}
			q.buf.WriteString(s[i:j])
			q.n += j - i
			q.cr = false
			i = j
			continue
		case c == '\r' || c == '\n':
			if q.cr && c == '\n' {
				q.cr = false
				break
			}
			q.cr = c == '\r'
			q.checkLastByte()
			q.lineBreak()
		default:
			q.encode(c)
		}
		i++
	}
}

// encode writes c as "=XX", after a soft break when it does not fit.
func (q *qpWriter) encode(c byte) {
	if qpMaxLine-q.n < 3 {
		q.softBreak()
	}
	q.buf.Write([]byte{'=', qpHex[c>>4], qpHex[c&0x0f]})
	q.n += 3
}

// checkLastByte encodes the line's last byte when it is a space or a tab,
// which a line break must not follow.
func (q *qpWriter) checkLastByte() {
	if q.n == 0 {
		return
	}
	b := q.buf.Bytes()
	if c := b[len(b)-1]; c == ' ' || c == '\t' {
		q.buf.Truncate(len(b) - 1)
		q.n--
		q.encode(c)
	}
}

func (q *qpWriter) softBreak() {
	q.buf.WriteByte('=')
	q.lineBreak()
}

func (q *qpWriter) lineBreak() {
	q.buf.WriteString("\r\n")
	q.n = 0
}
