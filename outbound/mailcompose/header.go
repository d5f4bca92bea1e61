package mailcompose

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"mime"
	"net/mail"
	"strings"
	"time"
)

// field is one header field with its value already encoded (RFC 2047 where
// needed) and free of line breaks. A value must be printable ASCII: anything
// else is a bug in this package, reported rather than written.
type field struct{ key, value string }

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// foldAt is the length beyond which header lines are folded.
const foldAt = 78

// fold writes "key: value\r\n", breaking the line before a space whenever
// the next word would pass foldAt. Unfolding (removing each CRLF) gives back
// the value unchanged. A word longer than a line stays whole: the callers
// keep every word under 998 octets.
func fold(b *bytes.Buffer, key, value string) {
	b.WriteString(key)
	b.WriteByte(':')
	n := len(key) + 1
	for i := 0; ; i++ {
		word, rest, more := strings.Cut(value, " ")
		if i > 0 && n+1+len(word) > foldAt {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		n += 1 + len(word)
		if !more {
			break
		}
		value = rest
	}
	b.WriteString("\r\n")
}

// dateLayout is RFC 5322's date-time.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

func date(t time.Time) string { return t.Format(dateLayout) }

// address formats a mailbox with a display name (RFC 2047-encoded when it is
// not plain ASCII; a name with line breaks is always encoded, so it can never
// start a header field).
func address(name, addr string) string {
	name = oneLine(name, 200)
	if local, _, ok := splitAddress(addr); ok && plainName(name) && dotAtom(local, "._+-") {
		if name == "" {
			return "<" + addr + ">"
		}
		return `"` + name + `" <` + addr + ">"
	}
	a := mail.Address{Name: name, Address: addr}
	return a.String()
}

// The forms net/mail writes as they are (FuzzAddress, FuzzCheckAddress
// hold the two to the same): a name of printable ASCII without quotes or
// backslashes, quoted; an address whose local part is letters, digits and
// ._+-, and whose domain is letters, digits, dots and hyphens, neither
// with a dot at either end or beside another.

// plainName reports whether net/mail writes name in quotes as it is.
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// splitAddress cuts addr at its last "@"; ok is false without a local part.
func splitAddress(addr string) (local, domain string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	return addr[:max(at, 0)], addr[at+1:], at > 0
}

// dotAtom reports whether s is letters, digits and the bytes of extra,
// with no dot at either end or beside another.
func dotAtom(s, extra string) bool {
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..") && alnumOr(s, extra)
}

// alnumOr reports whether s is ASCII letters, digits and the bytes of
// extra.
func alnumOr(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// listID formats a List-Id field (RFC 2919): the phrase, encoded like a
// display name, then the id in angle brackets.
func listID(name, id string) string {
	const stub = "x@x"
	phrase := strings.TrimSuffix(address(name, stub), " <"+stub+">")
	return phrase + " <" + id + ">"
}

// subject encodes a subject line.
func subject(s string) string {
	return mime.QEncoding.Encode("utf-8", oneLine(s, 200))
}

// msgIDs formats one or more Message-IDs (given without brackets).
func msgIDs(ids ...string) string {
	return "<" + strings.Join(ids, "> <") + ">"
}

// checkAddress accepts a bare ASCII address (local@domain) of at most 254
// bytes. (An internationalized address would need SMTPUTF8 all the way.)
func checkAddress(what, addr string) (string, error) {
	if local, domain, ok := splitAddress(addr); ok && len(addr) <= 254 && dotAtom(local, "._+-") && dotAtom(domain, ".-") {
		return addr, nil // what net/mail takes as it is (FuzzCheckAddress)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" || len(addr) > 254 || !printableASCII(addr) {
		return "", invalid("%s %q is not a plain address like bob@example.org", what, addr)
	}
	return a.Address, nil
}

// maxURL bounds a link in a header: a header line holds at most 998 octets
// and a URL cannot be folded.
const maxURL = 900

// checkURL accepts an absolute URL of scheme that fits in a header between
// angle brackets.
func checkURL(what, u string, schemes ...string) error {
	ok := false
	for _, s := range schemes {
		ok = ok || strings.HasPrefix(strings.ToLower(u), s+":")
	}
	if !ok || len(u) > maxURL || !urlSafe(u) {
		return invalid("%s %q is not a %s URL without spaces, of at most %d bytes", what, u, strings.Join(schemes, " or "), maxURL)
	}
	return nil
}

// urlSafe reports whether u has nothing a header's <URL> cannot carry as
// it is: no control character, space, angle bracket, double quote, DEL or
// byte of a non-ASCII character.
func urlSafe(u string) bool {
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return false
		}
	}
	return true
}

// isIDPart reports whether s may be a piece of a Message-ID's left side:
// 1 to 64 ASCII letters, digits, underscores and hyphens.
func isIDPart(s string) bool {
	return len(s) > 0 && len(s) <= 64 && alnumOr(s, "_-")
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// digest is a short, lower-case, id-safe hash of parts.
func digest(parts ...string) string {
	var buf [256]byte
	b := buf[:0]
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	sum := sha256.Sum256(b)
	return idEncoding.EncodeToString(sum[:10])
}
