package threads

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Reply addresses. Every relayed email carries a per-member, per-room
// Reply-To address whose token is an HMAC of room and member under the
// deployment's secret (Options.Secret): 160 bits, so nobody can guess
// another member's address. The token is remembered in Redis when it is
// first handed out, so a reply can be traced back to its room and member;
// the HMAC is checked again, in constant time, on the way back.

// replyPrefix starts the local part of every reply address.
const replyPrefix = "reply+"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrBadToken: a reply address whose token parley never issued or that does
// not verify.
var ErrBadToken = errors.New("unknown or forged reply address")

func (s *Store) replyMAC(room, member string) (string, error) {
	if len(s.opts.Secret) == 0 {
		return "", errors.New("reply tokens need a secret (PARLEY_SECRET)")
	}
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("reply\x00" + room + "\x00" + member))
	return strings.ToLower(tokenEncoding.EncodeToString(m.Sum(nil)[:20])), nil
}

// ReplyToken returns member's reply token for room and remembers it.
func (s *Store) ReplyToken(ctx context.Context, room, member string) (string, error) {
	tok, err := s.replyMAC(room, member)
	if err != nil {
		return "", err
	}
	if err := s.rdb.HSet(ctx, s.k.replyTokens(), tok, room+"/"+member).Err(); err != nil {
		return "", fmt.Errorf("remember reply token of %s in %s: %w", member, room, err)
	}
	return tok, nil
}

// ResolveReplyToken returns the room and member a token was issued for. A
// token that was never issued, or whose HMAC does not match, is ErrBadToken.
func (s *Store) ResolveReplyToken(ctx context.Context, token string) (room, member string, err error) {
	token = strings.ToLower(token)
	if len(token) != 32 {
		return "", "", ErrBadToken
	}
	v, err := s.rdb.HGet(ctx, s.k.replyTokens(), token).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", ErrBadToken
	}
	if err != nil {
		return "", "", fmt.Errorf("resolve reply token: %w", err)
	}
	room, member, ok := strings.Cut(v, "/")
	if !ok {
		return "", "", ErrBadToken
	}
	want, err := s.replyMAC(room, member)
	if err != nil {
		return "", "", err
	}
	if !hmac.Equal([]byte(want), []byte(token)) {
		return "", "", ErrBadToken
	}
	return room, member, nil
}

// ReplyAddress is the address that carries a token: reply+TOKEN@domain.
func ReplyAddress(token, domain string) string {
	return replyPrefix + token + "@" + domain
}

// ParseReplyAddress returns the token of a reply address of domain (any
// case), or false when addr is not one.
func ParseReplyAddress(addr, domain string) (string, bool) {
	local, host, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok || host != strings.ToLower(domain) || !strings.HasPrefix(local, replyPrefix) {
		return "", false
	}
	tok := local[len(replyPrefix):]
	if len(tok) != 32 {
		return "", false
	}
	if _, err := tokenEncoding.DecodeString(strings.ToUpper(tok)); err != nil {
		return "", false
	}
	return tok, true
}
