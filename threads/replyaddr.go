package threads

import (
	"context"
	"crypto/hmac"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
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

// Token purposes: a token made for one purpose never works for another.
const (
	replyPurpose = "reply"
	unsubPurpose = "unsubscribe"
	// digestPurpose: the digest's own Reply-To (digest+TOKEN@domain), which
	// posts nowhere and is answered with an explanation; digestOffPurpose:
	// the digest's one-click unsubscribe link. Both have no room.
	digestPurpose    = "digest"
	digestOffPurpose = "digestoff"
)

// tokenMAC is the token of purpose for room and member under the current
// secret and the member's token generation (User.TokenGen).
func (s *Auth) tokenMAC(purpose, room, member string, gen int) (string, error) {
	if len(s.opts.Secret) == 0 {
		return "", errors.New("reply and unsubscribe tokens need a secret (PARLEY_SECRET)")
	}
	return macToken(s.opts.Secret, purpose, room, member, gen), nil
}

// macToken is the HMAC of a token. Generation 0 adds nothing, so the
// addresses made before generations existed keep working.
func macToken(key []byte, purpose, room, member string, gen int) string {
	if gen != 0 {
		return macText(key, 20, purpose, room, member, strconv.Itoa(gen))
	}
	return macText(key, 20, purpose, room, member)
}

// tokenGen is member's token generation. A disabled member has no tokens
// that work; one who does not exist (any more) has generation 0, and the
// door that resolves the token finds they are gone.
func (s *Auth) tokenGen(ctx context.Context, member string) (int, error) {
	u, err := s.dir.User(ctx, member)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if u.Disabled {
		return 0, ErrBadToken
	}
	return u.TokenGen, nil
}

// ReplyToken returns member's reply token for room and remembers it.
func (s *Auth) ReplyToken(ctx context.Context, room, member string) (string, error) {
	return s.token(ctx, replyPurpose, room, member)
}

// ResolveReplyToken returns the room and member a reply token was issued
// for. A token that was never issued, or whose HMAC does not match, is
// ErrBadToken.
func (s *Auth) ResolveReplyToken(ctx context.Context, token string) (room, member string, err error) {
	return s.resolveToken(ctx, replyPurpose, token)
}

// UnsubscribeToken returns the token of member's one-click unsubscribe link
// for room. It is not the reply token: the link, which passes through more
// hands (link scanners, logs), cannot be used to post.
func (s *Auth) UnsubscribeToken(ctx context.Context, room, member string) (string, error) {
	return s.token(ctx, unsubPurpose, room, member)
}

// ResolveUnsubscribeToken is ResolveReplyToken for unsubscribe tokens.
func (s *Auth) ResolveUnsubscribeToken(ctx context.Context, token string) (room, member string, err error) {
	return s.resolveToken(ctx, unsubPurpose, token)
}

// Tokens returns member's reply and unsubscribe tokens for room, and
// remembers both, in one round trip.
func (s *Auth) Tokens(ctx context.Context, room, member string) (reply, unsubscribe string, err error) {
	gen, err := s.tokenGen(ctx, member)
	if err != nil {
		return "", "", fmt.Errorf("tokens of %s: %w", member, err)
	}
	if reply, err = s.tokenMAC(replyPurpose, room, member, gen); err != nil {
		return "", "", err
	}
	if unsubscribe, err = s.tokenMAC(unsubPurpose, room, member, gen); err != nil {
		return "", "", err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.k.tokens(replyPurpose), reply, room+"/"+member)
		p.HSet(ctx, s.k.tokens(unsubPurpose), unsubscribe, room+"/"+member)
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("remember tokens of %s in %s: %w", member, room, err)
	}
	return reply, unsubscribe, nil
}

func (s *Auth) token(ctx context.Context, purpose, room, member string) (string, error) {
	gen, err := s.tokenGen(ctx, member)
	if err != nil {
		return "", fmt.Errorf("%s token of %s: %w", purpose, member, err)
	}
	tok, err := s.tokenMAC(purpose, room, member, gen)
	if err != nil {
		return "", err
	}
	if err := s.rdb.HSet(ctx, s.k.tokens(purpose), tok, room+"/"+member).Err(); err != nil {
		return "", fmt.Errorf("remember %s token of %s in %s: %w", purpose, member, room, err)
	}
	return tok, nil
}

// resolveToken finds what a token was issued for and checks its HMAC, in
// constant time, under the member's current token generation and each
// secret of the key ring: a member whose tokens were rotated, or who was
// disabled, has none that work.
func (s *Auth) resolveToken(ctx context.Context, purpose, token string) (room, member string, err error) {
	token = strings.ToLower(token)
	if len(token) != 32 {
		return "", "", ErrBadToken
	}
	v, err := s.rdb.HGet(ctx, s.k.tokens(purpose), token).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", ErrBadToken
	}
	if err != nil {
		return "", "", fmt.Errorf("resolve %s token: %w", purpose, err)
	}
	room, member, ok := strings.Cut(v, "/")
	if !ok {
		return "", "", ErrBadToken
	}
	if len(s.opts.Secret) == 0 {
		return "", "", errors.New("reply and unsubscribe tokens need a secret (PARLEY_SECRET)")
	}
	gen, err := s.tokenGen(ctx, member)
	if err != nil {
		return "", "", err
	}
	for _, key := range s.keyRing() {
		if hmac.Equal([]byte(macToken(key, purpose, room, member, gen)), []byte(token)) {
			return room, member, nil
		}
	}
	return "", "", ErrBadToken
}

// RotateTokens invalidates every reply, digest and unsubscribe address of
// a member: their token generation goes up, so no token made before
// verifies. Emails sent from now on carry new addresses.
func (s *Directory) RotateTokens(ctx context.Context, actor, member string) (User, error) {
	u, err := s.UpdateUser(ctx, member, func(u *User) error { u.TokenGen++; return nil })
	if err != nil {
		return u, err
	}
	return u, s.auditDone(ctx, AuditEntry{Actor: actor, Action: "user.rotate-tokens", Target: member})
}

// ReplyAddress is the address that carries a token: reply+TOKEN@domain.
func ReplyAddress(token, domain string) string {
	return replyPrefix + token + "@" + domain
}

// ParseReplyAddress returns the token of a reply address of domain (any
// case), or false when addr is not one.
func ParseReplyAddress(addr, domain string) (string, bool) {
	return parseTokenAddress(addr, domain, replyPrefix)
}

// parseTokenAddress returns the token of prefix+TOKEN@domain (any case), or
// false when addr is not such an address with a well-formed token.
func parseTokenAddress(addr, domain, prefix string) (string, bool) {
	local, host, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok || host != strings.ToLower(domain) || !strings.HasPrefix(local, prefix) {
		return "", false
	}
	tok := local[len(prefix):]
	if len(tok) != 32 {
		return "", false
	}
	if _, err := tokenEncoding.DecodeString(strings.ToUpper(tok)); err != nil {
		return "", false
	}
	return tok, true
}

// RootMessageID is the Message-ID (without angle brackets) of a room's
// thread: every relay of the room names it in In-Reply-To and References.
// It is derived from the room's id and creation time, so it needs no storage
// and a room created again under the same id starts a new thread. No email
// with this id is ever sent; clients show the relays as replies to it.
func RootMessageID(room Room, domain string) string {
	created := int64(0)
	if !room.Created.IsZero() {
		created = room.Created.UnixMilli()
	}
	return "room." + room.ID + "." + strconv.FormatInt(created, 10) + "@" + domain
}
