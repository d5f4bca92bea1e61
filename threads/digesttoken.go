package threads

import (
	"context"
)

// digestPrefix starts the local part of a digest's own reply address.
const digestPrefix = "digest+"

// DigestTokens returns member's digest reply token (for DigestAddress) and
// digest unsubscribe token, and remembers both.
func (s *Auth) DigestTokens(ctx context.Context, member string) (reply, unsubscribe string, err error) {
	if reply, err = s.token(ctx, digestPurpose, "", member); err != nil {
		return "", "", err
	}
	if unsubscribe, err = s.token(ctx, digestOffPurpose, "", member); err != nil {
		return "", "", err
	}
	return reply, unsubscribe, nil
}

// ResolveDigestToken returns the member a digest reply token was issued
// for, or ErrBadToken.
func (s *Auth) ResolveDigestToken(ctx context.Context, token string) (string, error) {
	_, member, err := s.resolveToken(ctx, digestPurpose, token)
	return member, err
}

// ResolveDigestUnsubscribeToken returns the member a digest unsubscribe
// token was issued for, or ErrBadToken.
func (s *Auth) ResolveDigestUnsubscribeToken(ctx context.Context, token string) (string, error) {
	_, member, err := s.resolveToken(ctx, digestOffPurpose, token)
	return member, err
}

// DigestAddress is a digest's own reply address: digest+TOKEN@domain. Mail
// to it is never posted; its sender is told to use a room's address.
func DigestAddress(token, domain string) string {
	return digestPrefix + token + "@" + domain
}

// ParseDigestAddress returns the token of a digest address of domain (any
// case), or false when addr is not one.
func ParseDigestAddress(addr, domain string) (string, bool) {
	return parseTokenAddress(addr, domain, digestPrefix)
}
