package pgp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Autocrypt is one Autocrypt header (Autocrypt Level 1, section 2.1).
type Autocrypt struct {
	// Addr is the address the key is for, lower-case.
	Addr string
	// PreferEncrypt is "mutual" or "" (nopreference).
	PreferEncrypt string
	// KeyData is the public key, binary.
	KeyData []byte
}

// ErrBadAutocrypt: the header breaks the Autocrypt rules; the header is
// then ignored, as Level 1 asks.
var ErrBadAutocrypt = errors.New("bad Autocrypt header")

// ParseAutocrypt reads the value of an Autocrypt header. Attributes it does
// not know are ignored, unless critical (no leading underscore), which
// makes the whole header invalid, as the specification says.
func ParseAutocrypt(value string) (Autocrypt, error) {
	var a Autocrypt
	var keydata string
	seen := map[string]bool{}
	for _, attr := range strings.Split(value, ";") {
		attr = strings.TrimSpace(attr)
		if attr == "" {
			continue
		}
		name, val, ok := strings.Cut(attr, "=")
		if !ok {
			return a, fmt.Errorf("%w: attribute %q has no value", ErrBadAutocrypt, truncateAttr(attr))
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return a, fmt.Errorf("%w: attribute %s twice", ErrBadAutocrypt, name)
		}
		seen[name] = true
		switch {
		case name == "addr":
			a.Addr = strings.ToLower(strings.TrimSpace(val))
		case name == "prefer-encrypt":
			if v := strings.TrimSpace(val); v == "mutual" {
				a.PreferEncrypt = v
			}
		case name == "keydata":
			keydata = val
		case strings.HasPrefix(name, "_"):
		default:
			return a, fmt.Errorf("%w: unknown critical attribute %s", ErrBadAutocrypt, truncateAttr(name))
		}
	}
	if a.Addr == "" || !strings.Contains(a.Addr, "@") {
		return a, fmt.Errorf("%w: no addr", ErrBadAutocrypt)
	}
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, keydata)
	if clean == "" {
		return a, fmt.Errorf("%w: no keydata", ErrBadAutocrypt)
	}
	if base64.StdEncoding.DecodedLen(len(clean)) > MaxKeyBytes {
		return a, fmt.Errorf("%w: keydata larger than %d bytes", ErrBadAutocrypt, MaxKeyBytes)
	}
	data, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return a, fmt.Errorf("%w: keydata: %v", ErrBadAutocrypt, err)
	}
	a.KeyData = data
	return a, nil
}

func truncateAttr(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// FormatAutocrypt is the value of parley's own Autocrypt header: its
// address, prefer-encrypt=mutual and its public key. Long, but header
// folding breaks it at the spaces between the base64 chunks.
func FormatAutocrypt(addr string, key *PublicKey) string {
	enc := base64.StdEncoding.EncodeToString(key.Bytes)
	var b strings.Builder
	b.WriteString("addr=" + addr + "; prefer-encrypt=mutual; keydata=")
	for len(enc) > 0 {
		n := min(len(enc), 72)
		b.WriteString(" " + enc[:n])
		enc = enc[n:]
	}
	return b.String()
}
