package mailparse

import (
	"bytes"
	"mime"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
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
	switch c {
	case '(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"', '.':
		return false
	}
	return '!' <= c && c <= '~'
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
