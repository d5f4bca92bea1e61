package mailparse

import (
	"bufio"
	"bytes"
	"mime"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

const (
	// maxAddresses bounds the addresses kept from one field.
	maxAddresses = 1000
	// maxAddressHeader bounds the address field text parsed.
	maxAddressHeader = 64 << 10
)

// addressList parses an address field. It uses the strict RFC 5322 parser
// first and falls back to a lenient reading, because bounces and old
// clients write things like `MAILER-DAEMON@host (Mail Delivery System)` or
// `"=?utf-8?q??=" <x@example.org>` that strict parsers reject.
func addressList(h Header, key string) []Address {
	v := h.Get(key)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if len(v) > maxAddressHeader {
		v = v[:maxAddressHeader]
	}
	if addr, ok := plainAddress(v); ok {
		return []Address{{Email: addr}}
	}
	if a, ok := plainNamedAddress(v); ok {
		return []Address{a}
	}
	if list, err := mail.ParseAddressList(v); err == nil && len(list) > 0 {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			if len(out) == maxAddresses {
				break
			}
			// Encoded words inside a quoted name are not decoded by the
			// strict parser, though MailMate and Delta Chat send them.
			out = append(out, Address{Name: decodeWords(a.Name), Email: a.Address})
		}
		return out
	}
	return lenientAddressList(v)
}

// plainAddress recognises the commonest field, one bare address such as
// "bob@example.org" or "<bob@example.org>" with dot-atoms of ASCII on both
// sides of the "@", without going through mail.ParseAddressList, which
// returns that address with no name for such a value.
func plainAddress(v string) (string, bool) {
	if len(v) >= 2 && v[0] == '<' && v[len(v)-1] == '>' {
		v = v[1 : len(v)-1]
	}
	local, domain, ok := strings.Cut(v, "@")
	return v, ok && isDotAtom(local) && isDotAtom(domain)
}

// plainNamedAddress recognises the next commonest field, one address with
// a plain name: "Ann Lee <ann@example.org>", words of ASCII letters, digits
// and ".-_'" apart by single spaces, a space or more, then a bracketed
// address as plainAddress takes it. mail.ParseAddressList reads the words
// as the name (no word is an encoded one) and then the address.
func plainNamedAddress(v string) (Address, bool) {
	lt := strings.IndexByte(v, '<')
	if lt <= 0 || v[len(v)-1] != '>' {
		return Address{}, false
	}
	email, ok := plainAddress(v[lt:])
	name := strings.TrimRight(v[:lt], " ")
	if !ok || name == "" || name[0] == ' ' || strings.Contains(name, "  ") {
		return Address{}, false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == ' ', isASCIILetter(c), '0' <= c && c <= '9', strings.IndexByte(".-_'", c) >= 0:
		default:
			return Address{}, false
		}
	}
	return Address{Name: name, Email: email}, true
}

// isDotAtom reports an RFC 5322 dot-atom of ASCII characters: atext runs
// joined by single dots.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !isASCIIAtext(c) {
			return false
		}
	}
	return true
}

// isASCIIAtext reports the printable ASCII characters other than the RFC
// 5322 specials.
func isASCIIAtext(c byte) bool {
	if c < '!' || c > '~' {
		return false
	}
	return !strings.ContainsRune(`()<>[]:;@\,".`, rune(c))
}

// lenientAddressList splits v at commas outside quotes, brackets and
// comments, and makes the best address it can of each piece.
func lenientAddressList(v string) []Address {
	var out []Address
	depth, inQuote, start := 0, false, 0
	flush := func(end int) {
		if a, ok := lenientAddress(v[start:end]); ok && len(out) < maxAddresses {
			out = append(out, a)
		}
		start = end + 1
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '<' || c == '(':
			depth++
		case (c == '>' || c == ')') && depth > 0:
			depth--
		case c == ',' && depth == 0:
			flush(i)
		}
	}
	flush(len(v))
	return out
}

func lenientAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	var name, email string
	if lt := strings.IndexByte(s, '<'); lt >= 0 {
		rest := s[lt+1:]
		if gt := strings.IndexByte(rest, '>'); gt >= 0 {
			email = rest[:gt]
		} else {
			email = rest
		}
		name = s[:lt]
	} else if lp := strings.IndexByte(s, '('); lp >= 0 {
		email = s[:lp]
		name = strings.TrimSuffix(s[lp+1:], ")")
	} else {
		email = s
	}
	email = strings.Trim(strings.TrimSpace(email), "\"'")
	if email == "" || strings.ContainsAny(email, " \t:;,<>()\"") {
		return Address{}, false
	}
	name = strings.Trim(strings.TrimSpace(name), "\"")
	return Address{Name: decodeWords(name), Email: email}, true
}

// decodeWords decodes RFC 2047 encoded words in a display name, keeping
// the input when it cannot be decoded.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return cleanText(s)
	}
	if d, err := newWordDecoder().DecodeHeader(s); err == nil {
		return cleanText(d)
	}
	return cleanText(s)
}

// newWordDecoder returns an RFC 2047 decoder for every charset that
// go-message/charset knows.
func newWordDecoder() *mime.WordDecoder {
	return &mime.WordDecoder{CharsetReader: message.CharsetReader}
}

// cleanText makes a header value safe to show: valid UTF-8, trimmed.
func cleanText(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}

// cleanHeader drops the lines of the header section that are neither a
// "Key: value" field nor a continuation, so that one stray line does not
// make the whole message unreadable. It returns data itself when the header
// is clean.
func cleanHeader(data []byte) []byte {
	pos, bad := 0, false
	for first := true; pos < len(data); first = false {
		line, next := nextLine(data, pos)
		if len(bytes.TrimRight(line, "\r")) == 0 {
			break
		}
		if !validHeaderLine(line, first) {
			bad = true
			break
		}
		pos = next
	}
	if !bad {
		return data
	}
	out := make([]byte, 0, len(data))
	pos = 0
	for first := true; pos < len(data); {
		line, next := nextLine(data, pos)
		if len(bytes.TrimRight(line, "\r")) == 0 {
			break
		}
		if validHeaderLine(line, first) {
			out = append(out, data[pos:next]...)
			first = false
		}
		pos = next
	}
	return append(out, data[pos:]...)
}

// nextLine returns the line starting at pos (without its LF) and the
// position after it.
func nextLine(data []byte, pos int) (line []byte, next int) {
	if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
		return data[pos : pos+i], pos + i + 1
	}
	return data[pos:], len(data)
}

func validHeaderLine(line []byte, first bool) bool {
	if line[0] == ' ' || line[0] == '\t' {
		return !first
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	key := bytes.TrimRight(line[:colon], " \t")
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// topHeader is the header of a message with a summary of its keys, which
// answers for the many fields Parse and Classify ask for that are absent
// without the key canonicalization and map lookup of textproto.Header.Get.
// It satisfies Header and multiHeader as textproto.Header does.
type topHeader struct {
	textproto.Header
	keys keySet
}

// Get returns the first value of the field k, or "".
func (h *topHeader) Get(k string) string {
	if !h.keys.mayHave(k) {
		return ""
	}
	return h.Header.Get(k)
}

// Values returns the values of the fields k in message order.
func (h *topHeader) Values(k string) []string {
	if !h.keys.mayHave(k) {
		return nil
	}
	return h.Header.Values(k)
}

// keySet sums up the keys of a header in 256 bits, one set for each length,
// first and last byte (ASCII letters in either case) of a key. Those survive
// the canonicalization of keys, which changes the case of ASCII letters
// only, so a key whose bit is clear is in no field.
type keySet [4]uint64

func keyBit(n int, first, last byte) (word int, bit uint64) {
	h := uint(n)*31 + uint(lowerASCII(first))*7 + uint(lowerASCII(last))
	return int(h>>6) & 3, 1 << (h & 63)
}

func (s *keySet) add(k []byte) {
	if len(k) > 0 {
		w, b := keyBit(len(k), k[0], k[len(k)-1])
		s[w] |= b
	}
}

func (s *keySet) mayHave(k string) bool {
	if k == "" {
		return true
	}
	w, b := keyBit(len(k), k[0], k[len(k)-1])
	return s[w]&b != 0
}

// readHeader reads the header section at the start of data as
// textproto.ReadHeader does and returns it with the body that follows.
func readHeader(data []byte) (*topHeader, []byte, error) {
	if h, body, ok := readPlainHeader(data); ok {
		return h, body, nil
	}
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, headerBufferSize(data))
	h := &topHeader{}
	var err error
	h.Header, err = textproto.ReadHeader(br)
	for f := h.Header.Fields(); f.Next(); {
		h.keys.add([]byte(f.Key()))
	}
	// The body is what br has not handed out.
	return h, data[len(data)-rd.Len()-br.Buffered():], err
}

// readPlainHeader builds the header that textproto.ReadHeader would read
// from data, straight from memory, when the header section is plain: every
// line ends in "\n", a blank line ends the section, and each field starts
// with a non-empty key of valid bytes and a colon. ok is false for anything
// else, which is left to ReadHeader and its errors.
//
// ReadHeader joins a field's lines with "\r\n" whatever ended them and
// makes the value as writeValue does, which drops the "\r" before a "\n"
// either way. Every key and value is put in one string, and Header.Add
// takes slices of it; Add puts a field in front of the ones added before,
// so the fields are added last first.
func readPlainHeader(data []byte) (h *topHeader, body []byte, ok bool) {
	var keys keySet
	type field struct{ start, colon, end, keyEnd, valueEnd int }
	var fieldsBuf [32]field
	fields := fieldsBuf[:0]
	pos := 0
	for {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			return h, nil, false
		}
		end += pos + 1
		line := data[pos:end]
		if len(line) == 1 || len(line) == 2 && line[0] == '\r' {
			pos = end
			break
		}
		if pos == 0 && (line[0] == ' ' || line[0] == '\t') {
			return h, nil, false // ReadHeader's "malformed initial line"
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return h, nil, false
		}
		key := bytes.Trim(line[:colon], " \t")
		if !validHeaderKey(key) {
			return h, nil, false
		}
		keys.add(key)
		for end < len(data) && (data[end] == ' ' || data[end] == '\t') {
			next := bytes.IndexByte(data[end:], '\n')
			if next < 0 {
				return h, nil, false
			}
			end += next + 1
		}
		fields = append(fields, field{start: pos, colon: pos + colon, end: end})
		pos = end
	}
	var b strings.Builder
	b.Grow(pos) // the keys and values are shorter than the section
	for i := range fields {
		f := &fields[i]
		b.Write(bytes.Trim(data[f.start:f.colon], " \t"))
		f.keyEnd = b.Len()
		writeValue(&b, data[f.colon+1:f.end])
		f.valueEnd = b.Len()
	}
	all := b.String()
	h = &topHeader{keys: keys}
	for i := len(fields) - 1; i >= 0; i-- {
		start := 0
		if i > 0 {
			start = fields[i-1].valueEnd
		}
		h.Add(all[start:fields[i].keyEnd], all[fields[i].keyEnd:fields[i].valueEnd])
	}
	return h, data[pos:], true
}

// writeValue writes the value of a header field as go-message's textproto
// makes it of the text after the colon: each line without one "\r" at its
// end and without spaces and tabs around it, the lines left non-empty
// joined by a space.
func writeValue(b *strings.Builder, v []byte) {
	wrote := false
	for len(v) > 0 {
		line := v
		if i := bytes.IndexByte(v, '\n'); i >= 0 {
			line, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		line = bytes.Trim(line, " \t")
		if len(line) == 0 {
			continue
		}
		if wrote {
			b.WriteByte(' ')
		}
		b.Write(line)
		wrote = true
	}
}

// validHeaderKey reports a key that ReadHeader takes without complaint:
// not empty, printable ASCII without a colon.
func validHeaderKey(key []byte) bool {
	for _, c := range key {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return len(key) > 0
}

// headerBufferSize sizes the buffer that textproto.ReadHeader reads data
// through, which is bufio's default of 4096 bytes unless the header section
// is shorter. ReadHeader reads the same through any buffer longer than every
// line it reads (a line that fills the buffer at the end of the input is an
// error), and it reads up to the first line that is empty once "\n" or
// "\r\n" is dropped.
func headerBufferSize(data []byte) int {
	const defaultSize = 4096
	end := 0
	for end < len(data) && end < defaultSize {
		line, next := nextLine(data, end)
		end = next
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			break
		}
	}
	return min(end+1, defaultSize)
}
