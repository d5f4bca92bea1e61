package smtpserver

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// redactAddr hides the tag of a tagged address (reply+TOKEN@DOMAIN,
// bounces+TOKEN@DOMAIN) behind a short hash, so that logs never hold a
// token that works as a credential yet still tell one address from
// another: reply+#1a2b3c4d@DOMAIN.
func redactAddr(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	base, tag, tagged := strings.Cut(local, "+")
	if !ok || !tagged {
		return addr
	}
	h := sha256.Sum256([]byte(strings.ToLower(tag)))
	return base + "+#" + hex.EncodeToString(h[:4]) + "@" + domain
}

// redactAddrs is redactAddr of each address.
func redactAddrs(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = redactAddr(a)
	}
	return out
}
