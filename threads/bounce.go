package threads

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounce addresses (VERP). Every email parley sends has its own envelope
// sender, bounces+TOKEN@DOMAIN, where TOKEN is an HMAC of the message's
// Message-ID and its one recipient. Delivery reports go to the envelope
// sender, so a report that arrives at such an address, and whose token
// verifies, proves which recipient of which message failed: only such a
// report may mark an address failing. A forged report sent to parley@ or
// to a made-up token marks nothing.

// bouncePrefix starts the local part of every bounce address.
const bouncePrefix = "bounces+"

// bouncePurpose keys the HMAC of bounce tokens.
const bouncePurpose = "bounce"

// BounceTokenLifetime is how long a bounce token is remembered: delivery
// reports come within the five days MTAs retry, and late ones are rare.
const BounceTokenLifetime = 14 * 24 * time.Hour

// DefaultBounceRetryAfter is Options.BounceRetryAfter's default.
const DefaultBounceRetryAfter = 3 * 24 * time.Hour

// Bounced is what a verified bounce token names.
type Bounced struct {
	// Recipient is the address the message was sent to.
	Recipient string
	// MessageID is the Message-ID of the message that bounced.
	MessageID string
}

// bounceMAC is the HMAC of a message and recipient under key.
func bounceMAC(key []byte, messageID, rcpt string) string {
	return macText(key, 20, bouncePurpose, messageID, rcpt)
}

// BounceToken returns the token of the envelope sender of one message to
// one recipient and remembers it for BounceTokenLifetime.
func (s *Auth) BounceToken(ctx context.Context, messageID, rcpt string) (string, error) {
	if len(s.opts.Secret) == 0 {
		return "", errors.New("bounce addresses need a secret (PARLEY_SECRET)")
	}
	rcpt = strings.ToLower(strings.TrimSpace(rcpt))
	tok := bounceMAC(s.opts.Secret, messageID, rcpt)
	// Through the shared pipelines: concurrent sends remember their
	// tokens in one round trip (batcher.go).
	if _, err := s.batch.pipelined(ctx, func(p redis.Pipeliner) {
		p.Set(ctx, s.k.bounce(tok), rcpt+"\x00"+messageID, BounceTokenLifetime)
	}); err != nil {
		return "", fmt.Errorf("remember bounce token: %w", err)
	}
	return tok, nil
}

// ResolveBounceToken returns the recipient and message a bounce token was
// made for. A token never issued, expired, or whose HMAC does not verify
// under the current or previous secret is ErrBadToken.
func (s *Auth) ResolveBounceToken(ctx context.Context, token string) (Bounced, error) {
	token = strings.ToLower(token)
	if len(token) != 32 {
		return Bounced{}, ErrBadToken
	}
	v, err := s.rdb.Get(ctx, s.k.bounce(token)).Result()
	if errors.Is(err, redis.Nil) {
		return Bounced{}, ErrBadToken
	}
	if err != nil {
		return Bounced{}, fmt.Errorf("resolve bounce token: %w", err)
	}
	rcpt, msgID, ok := strings.Cut(v, "\x00")
	if !ok {
		return Bounced{}, ErrBadToken
	}
	for _, key := range s.keyRing() {
		if hmac.Equal([]byte(bounceMAC(key, msgID, rcpt)), []byte(token)) {
			return Bounced{Recipient: rcpt, MessageID: msgID}, nil
		}
	}
	return Bounced{}, ErrBadToken
}

// keyRing is the secrets tokens verify under: the current one first, then
// the previous one (Options.PreviousSecret) during a rotation.
func (s *Auth) keyRing() [][]byte {
	var ring [][]byte
	if len(s.opts.Secret) > 0 {
		ring = append(ring, s.opts.Secret)
	}
	if len(s.opts.PreviousSecret) > 0 {
		ring = append(ring, s.opts.PreviousSecret)
	}
	return ring
}

// BounceAddress is an envelope sender that carries a bounce token:
// bounces+TOKEN@domain.
func BounceAddress(token, domain string) string {
	return bouncePrefix + token + "@" + domain
}

// ParseBounceAddress returns the token of a bounce address of domain (any
// case), or false when addr is not one.
func ParseBounceAddress(addr, domain string) (string, bool) {
	return parseTokenAddress(addr, domain, bouncePrefix)
}

// MarkEmailFailing records that mail to addr, one of member's addresses,
// bounced for good: routing prefers the other channel until the address
// changes, is confirmed, a delivery to it succeeds, or
// Options.BounceRetryAfter has passed (the next email is then a test
// send). An address the member no longer has marks nothing (false).
func (s *Directory) MarkEmailFailing(ctx context.Context, member, addr string) (bool, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	marked := false
	_, err := s.UpdateUser(ctx, member, func(u *User) error {
		marked = addr == "" || slices.Contains(u.Emails, addr)
		if marked {
			u.EmailFailing = true
			u.EmailRetryAt = s.opts.Now().Add(s.opts.BounceRetryAfter).UTC()
		}
		return nil
	})
	return marked, err
}

// ClearEmailFailing forgets that the member's email failed: a delivery
// succeeded, or the member or an admin confirmed the address.
func (s *Directory) ClearEmailFailing(ctx context.Context, member string) error {
	_, err := s.UpdateUser(ctx, member, func(u *User) error {
		u.EmailFailing, u.EmailRetryAt = false, time.Time{}
		return nil
	})
	return err
}

// liftExpiredFailure puts a failing address on probation once its retry
// time has come: it reads as working again, so the next email is a test
// send; EmailRetryAt stays set until a delivery succeeds
// (ClearEmailFailing) or another bounce marks it again.
func (u *User) liftExpiredFailure(now time.Time) {
	if u.EmailFailing && !u.EmailRetryAt.IsZero() && !now.Before(u.EmailRetryAt) {
		u.EmailFailing = false
	}
}

// Unreachable reports whether no channel reaches u: no working email and
// no working, verified phone.
func (u User) Unreachable() bool {
	emailOK := u.Email() != "" && !u.EmailFailing
	smsOK := u.Phone != "" && u.PhoneVerified && !u.SMSOptOut && !u.PhoneFailing
	return !emailOK && !smsOK
}
