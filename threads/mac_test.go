package threads

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
)

// TestMACText: macText is HMAC-SHA256 as crypto/hmac makes it, for keys
// shorter and longer than a block and messages shorter and longer than
// its buffer.
func TestMACText(t *testing.T) {
	for _, key := range []string{"", "k", strings.Repeat("s", 32), strings.Repeat("b", 64), strings.Repeat("l", 65), strings.Repeat("x", 300)} {
		for _, parts := range [][]string{{}, {"a"}, {"reply", "room", "member"}, {strings.Repeat("m", 600), "z"}} {
			for _, n := range []int{10, 20, 32} {
				m := hmac.New(sha256.New, []byte(key))
				m.Write([]byte(strings.Join(parts, "\x00")))
				want := strings.ToLower(tokenEncoding.EncodeToString(m.Sum(nil)[:n]))
				if got := macText([]byte(key), n, parts...); got != want {
					t.Errorf("key %d bytes, parts %q, n %d: %s, want %s", len(key), parts, n, got, want)
				}
			}
		}
	}
}
