package threads

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/redis/go-redis/v9"
)

// UrgentPrefix starts a line its author wants to go through quiet hours.
const UrgentPrefix = "!urgent"

// CutUrgent reports whether text starts with !urgent (any case, after
// leading blanks, followed by a blank, a colon or the end) and returns the
// text without it.
func CutUrgent(text string) (string, bool) {
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	if len(t) < len(UrgentPrefix) || !strings.EqualFold(t[:len(UrgentPrefix)], UrgentPrefix) {
		return text, false
	}
	rest := t[len(UrgentPrefix):]
	if rest != "" && rest[0] != ':' && !unicode.IsSpace(rune(rest[0])) {
		return text, false // "!urgently" is not the prefix
	}
	rest = strings.TrimPrefix(rest, ":")
	return strings.TrimLeftFunc(rest, unicode.IsSpace), true
}

// allowUrgent counts an !urgent line of author against their limit
// (Options.UrgentLimit per UrgentWindow, a sliding window). Beyond it the
// line is an ordinary one, and the author is told once per window: note is
// then set, and an author who wrote by email or SMS also gets an email
// notice (at most one a day).
func (s *Chat) allowUrgent(ctx context.Context, author User, origin Origin) (ok bool, note string, err error) {
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	now := s.now().UnixMilli()
	member := strconv.FormatInt(now, 10) + "-" + hex.EncodeToString(nonce[:])
	n, err := scriptUrgent.Run(ctx, s.rdb, []string{s.k.urgent(author.ID), s.k.urgentTold(author.ID)},
		now, s.opts.UrgentWindow.Milliseconds(), s.opts.UrgentLimit, member).Int()
	if err != nil {
		return false, "", fmt.Errorf("urgent limit of %s: %w", author.ID, err)
	}
	switch n {
	case 1:
		return true, "", nil
	case 0:
		return false, "", nil
	}
	note = fmt.Sprintf("you have sent %d urgent lines within %s; this one was posted as an ordinary line (the !urgent prefix was removed)",
		s.opts.UrgentLimit, s.opts.UrgentWindow)
	if (origin == FromEmail || origin == FromSMS) && author.Email() != "" {
		if _, err := s.queue.QueueNotice(ctx, Notice{To: author.Email(), Kind: "urgent-limit",
			Title: "Your line was not marked urgent", Text: "parley: " + note + "."}); err != nil {
			s.log.Warn("queue urgent-limit notice", "member", author.ID, "err", err)
		}
	}
	return false, note, nil
}

// scriptUrgent counts an urgent line within the sliding window.
// KEYS: the sender's urgent zset, their "told" marker.
// ARGV: now ms, window ms, limit, a unique member.
// Returns 1 (urgent), 0 (over the limit, already told) or 2 (over the
// limit, tell the sender now).
var scriptUrgent = redis.NewScript(`
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 1
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', window) then return 2 end
return 0
`)
