package threads

import (
	"crypto/sha256"
	"encoding/base32"
)

// lowerTokenEncoding is tokenEncoding in lower case, the case tokens are
// handed out in.
var lowerTokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// macText is the HMAC-SHA256 under key of parts joined by NUL bytes, its
// first n bytes (at most 32) in lower-case base32: the MAC of every token
// parley hands out. It is crypto/hmac's result (TestMACText) worked out on
// the stack: a token goes into every email sent, and crypto/hmac makes
// its hashes and pads anew each time.
func macText(key []byte, n int, parts ...string) string {
	var k [sha256.BlockSize]byte
	if len(key) > len(k) {
		sum := sha256.Sum256(key)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	var buf [512]byte
	msg := buf[:0]
	for i := range k {
		msg = append(msg, k[i]^0x36)
	}
	for i, p := range parts {
		if i > 0 {
			msg = append(msg, 0)
		}
		msg = append(msg, p...)
	}
	inner := sha256.Sum256(msg)
	msg = buf[:0]
	for i := range k {
		msg = append(msg, k[i]^0x5c)
	}
	sum := sha256.Sum256(append(msg, inner[:]...))
	var out [52]byte
	lowerTokenEncoding.Encode(out[:], sum[:n])
	return string(out[:lowerTokenEncoding.EncodedLen(n)])
}
