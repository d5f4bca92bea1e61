package threads

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The digest schedule. Every member whose digest is on has an entry in one
// sorted set scored by when their next digest is due. Any number of parley
// processes read it: ClaimDigests leases due members atomically (their
// score moves to the end of the lease, so a process that dies lets another
// take over), and a "sent" record per member and period, written before the
// mail is handed over (BeginDigest), makes sure no period's digest goes out
// twice, whatever the number of schedulers or crashes. A crash after
// BeginDigest and before the send loses that period's email, never its
// lines: the digested markers move only after a send (DigestSent), so the
// next digest carries them.

// WeeklyDigestDay is the day weekly digests go out, in the member's zone.
const WeeklyDigestDay = time.Monday

// digestSentFor is how long a period's "sent" record is kept.
const digestSentFor = 60 * 24 * time.Hour

// EffectiveDigest is the digest frequency in force for u: their choice, or
// daily when they chose nothing. Disabled users get none.
func EffectiveDigest(u User) DigestFrequency {
	switch {
	case u.Disabled:
		return DigestOff
	case u.Prefs.Digest == "":
		return DigestDaily
	}
	return u.Prefs.Digest
}

// NextDigest returns the first time after t at which u's digest is due: the
// next DigestHour:00 in u's time zone (daily), or the next such hour on a
// WeeklyDigestDay (weekly). It is zero when the digest is off. On a day when
// that hour does not exist (a daylight-saving jump) Go's normalisation
// picks the hour after.
func NextDigest(u User, t time.Time) time.Time {
	freq := EffectiveDigest(u)
	if freq == DigestOff {
		return time.Time{}
	}
	loc := u.Location()
	lt := t.In(loc)
	y, m, d := lt.Date()
	for i := 0; i < 15; i++ {
		c := time.Date(y, m, d+i, u.Prefs.DigestHour, 0, 0, 0, loc)
		if !c.After(t) {
			continue
		}
		if freq == DigestWeekly && c.Weekday() != WeeklyDigestDay {
			continue
		}
		return c
	}
	return time.Time{} // not reached: a week has every weekday
}

// DigestPeriod names the period a digest due at due covers, in u's zone:
// the day ("daily-2026-11-25") or the ISO week ("weekly-2026-W48").
func DigestPeriod(u User, due time.Time) string {
	lt := due.In(u.Location())
	if EffectiveDigest(u) == DigestWeekly {
		y, w := lt.ISOWeek()
		return fmt.Sprintf("weekly-%d-W%02d", y, w)
	}
	return "daily-" + lt.Format("2006-01-02")
}

// DigestClaim is a member whose digest is due, leased to the caller.
type DigestClaim struct {
	Member string `json:"member"`
	// Due is when the digest was due: it names the period.
	Due time.Time `json:"due"`
}

// ScheduleDigests puts every user on the schedule at their next due time,
// and takes off those whose digest is off. A member whose digest is due or
// being sent is left alone; a member whose preferences changed is moved.
// Run it at start-up and every few minutes. It returns how many entries
// changed.
func (s *Digests) ScheduleDigests(ctx context.Context) (int, error) {
	users, err := s.dir.Users(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	cmds := make([]*redis.Cmd, 0, len(users))
	err = s.scriptPipeline(ctx, scriptScheduleDigest, func(p redis.Pipeliner) {
		cmds = cmds[:0]
		for _, u := range users {
			next := int64(0)
			if t := NextDigest(u, now); !t.IsZero() {
				next = t.UnixMilli()
			}
			cmds = append(cmds, scriptScheduleDigest.EvalSha(ctx, p, []string{s.k.digestDue(), s.k.digestPeriod()},
				u.ID, next, now.UnixMilli()))
		}
	})
	if err != nil {
		return 0, fmt.Errorf("schedule digests: %w", err)
	}
	n := 0
	for _, c := range cmds {
		if v, _ := c.Int(); v == 1 {
			n++
		}
	}
	return n, nil
}

// ClaimDigests leases up to limit members whose digest is due: until lease
// has passed, no other caller gets them.
func (s *Digests) ClaimDigests(ctx context.Context, lease time.Duration, limit int) ([]DigestClaim, error) {
	now := s.now().UnixMilli()
	flat, err := scriptClaimDigests.Run(ctx, s.rdb, []string{s.k.digestDue(), s.k.digestPeriod()},
		now, lease.Milliseconds(), limit).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim due digests: %w", err)
	}
	out := make([]DigestClaim, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		ms, _ := strconv.ParseInt(flat[i+1], 10, 64)
		out = append(out, DigestClaim{Member: flat[i], Due: time.UnixMilli(ms).UTC()})
	}
	return out, nil
}

// DigestState is what the sent record says about a member's period.
type DigestState string

// Digest states.
const (
	// DigestNone: nothing was tried for the period.
	DigestNone DigestState = ""
	// DigestSending: a send began; it may or may not have reached the
	// mail server. It is never tried again.
	DigestSending DigestState = "sending"
	// DigestDone: the digest went out.
	DigestDone DigestState = "sent"
	// DigestFailed: the last try failed for now; it may be tried again.
	DigestFailed DigestState = "failed"
)

// DigestStatus returns the state of member's digest for period.
func (s *Digests) DigestStatus(ctx context.Context, member, period string) (DigestState, error) {
	v, err := s.rdb.Get(ctx, s.k.digestSent(member, period)).Result()
	if errors.Is(err, redis.Nil) {
		return DigestNone, nil
	}
	if err != nil {
		return DigestNone, fmt.Errorf("digest state of %s for %s: %w", member, period, err)
	}
	return DigestState(v), nil
}

// BeginDigest records, before the send, that member's digest for period
// is being sent. It returns false (and the state found) when the period
// was begun or sent before: the caller must not send.
func (s *Digests) BeginDigest(ctx context.Context, member, period string) (bool, DigestState, error) {
	if !validPeriod(period) {
		return false, DigestNone, invalid("digest period %q is not a plain name", period)
	}
	res, err := scriptBeginDigest.Run(ctx, s.rdb, []string{s.k.digestSent(member, period)},
		int(digestSentFor/time.Second)).Text()
	if err != nil {
		return false, DigestNone, fmt.Errorf("begin digest of %s for %s: %w", member, period, err)
	}
	if res == "ok" {
		return true, DigestSending, nil
	}
	return false, DigestState(res), nil
}

// DigestOutcome says how a claimed digest ended.
type DigestOutcome string

// Digest outcomes.
const (
	// DigestOutcomeSent: sent; the period is recorded as sent.
	DigestOutcomeSent DigestOutcome = "sent"
	// DigestOutcomeSkipped: nothing to send (nothing new, digest off,
	// already sent); only the schedule moves.
	DigestOutcomeSkipped DigestOutcome = "skipped"
	// DigestOutcomeRetry: failed for now; the same period is tried again
	// at next.
	DigestOutcomeRetry DigestOutcome = "retry"
)

// EndDigest settles a claim: the period's record (sent, or failed for a
// retry) and the member's next due time (zero: off the schedule).
func (s *Digests) EndDigest(ctx context.Context, c DigestClaim, period string, outcome DigestOutcome, next time.Time) error {
	if !validPeriod(period) {
		return invalid("digest period %q is not a plain name", period)
	}
	nextMS := int64(0)
	if !next.IsZero() {
		nextMS = next.UnixMilli()
	}
	err := scriptEndDigest.Run(ctx, s.rdb, []string{s.k.digestDue(), s.k.digestPeriod(), s.k.digestSent(c.Member, period)},
		c.Member, string(outcome), nextMS, int(digestSentFor/time.Second)).Err()
	if err != nil {
		return fmt.Errorf("settle digest of %s for %s: %w", c.Member, period, err)
	}
	return nil
}

// DigestDue is when one member's next digest is due.
type DigestDue struct {
	Member    string          `json:"member"`
	Frequency DigestFrequency `json:"frequency"`
	Hour      int             `json:"hour"`
	TimeZone  string          `json:"tz"`
	// Due is the next due time (zero when off).
	Due time.Time `json:"due,omitempty"`
	// State: scheduled, due (waiting for or being sent), not scheduled yet
	// (parley serve has not run since), or off.
	State string `json:"state"`
}

// Due lists every user with their next digest at now: the schedule's time
// when they are on it, else the time their preferences give.
func (s *Digests) Due(ctx context.Context, now time.Time) ([]DigestDue, error) {
	users, err := s.dir.Users(ctx)
	if err != nil {
		return nil, err
	}
	sched, err := s.DigestSchedule(ctx)
	if err != nil {
		return nil, err
	}
	on := make(map[string]time.Time, len(sched))
	for _, c := range sched {
		on[c.Member] = c.Due
	}
	out := make([]DigestDue, 0, len(users))
	for _, u := range users {
		r := DigestDue{Member: u.ID, Frequency: EffectiveDigest(u), Hour: u.Prefs.DigestHour, TimeZone: u.Location().String()}
		due, ok := on[u.ID]
		switch {
		case r.Frequency == DigestOff && !ok:
			r.State = "off"
		case ok && !due.After(now):
			r.Due, r.State = due, "due"
		case ok:
			r.Due, r.State = due, "scheduled"
		default:
			r.Due, r.State = NextDigest(u, now), "not scheduled yet (parley serve schedules it)"
		}
		out = append(out, r)
	}
	return out, nil
}

// DigestSchedule lists every member on the schedule with their next due
// time (or the end of the lease of a digest being sent), soonest first.
func (s *Digests) DigestSchedule(ctx context.Context) ([]DigestClaim, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.k.digestDue(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read digest schedule: %w", err)
	}
	out := make([]DigestClaim, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		out = append(out, DigestClaim{Member: m, Due: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return out, nil
}

// validPeriod keeps a period name key-safe.
func validPeriod(p string) bool {
	return p != "" && len(p) <= 64 && !strings.ContainsAny(p, " {}:\r\n")
}

// The digest scripts. Each touches keys of one hash tag only.

// scriptDigested moves a member's digested marker forward (never back) and
// forgets the held lines up to it. KEYS: digested, held. ARGV: member, line
// id, line ms.
var scriptDigested = redis.NewScript(`
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local nm, ns = parse(ARGV[2])
if cur then
  local cm, cs = parse(cur)
  if nm < cm or (nm == cm and ns <= cs) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])) do
  local m, q = parse(id)
  if m < nm or (m == nm and q <= ns) then redis.call('ZREM', KEYS[2], id) end
end
return 1
`)

// scriptScheduleDigest puts a member on the schedule at ARGV[2] (0: off),
// unless their digest is due or being sent (the period hash holds a due
// time not in the future). KEYS: due, period. ARGV: member, next ms, now ms.
var scriptScheduleDigest = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur and tonumber(cur) <= tonumber(ARGV[3]) then return 0 end
if ARGV[2] == '0' then
  if not cur then return 0 end
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
if cur == ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`)

// scriptClaimDigests leases due members: each one's score moves to the end
// of the lease. KEYS: due, period. ARGV: now ms, lease ms, limit.
// Returns member, due ms pairs.
var scriptClaimDigests = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, m in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), m)
  out[#out + 1] = m
  out[#out + 1] = redis.call('HGET', KEYS[2], m) or ARGV[1]
end
return out
`)

// scriptBeginDigest records that a period's digest is being sent, unless
// it was begun or sent before (a failed try may be made again).
// KEYS: sent. ARGV: seconds to keep. Returns "ok" or the state found.
var scriptBeginDigest = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= 'failed' then return cur end
redis.call('SET', KEYS[1], 'sending', 'EX', tonumber(ARGV[1]))
return 'ok'
`)

// scriptEndDigest settles a claim. Mode "sent" and "retry" write the
// period's record; "retry" keeps the period's due time so the same period
// is tried again; the others move the member to the next period (0: off).
// KEYS: due, period, sent. ARGV: member, mode, next ms, seconds to keep.
var scriptEndDigest = redis.NewScript(`
if ARGV[2] == 'sent' then
  redis.call('SET', KEYS[3], 'sent', 'EX', tonumber(ARGV[4]))
elseif ARGV[2] == 'retry' then
  if redis.call('GET', KEYS[3]) == 'sending' then
    redis.call('SET', KEYS[3], 'failed', 'EX', tonumber(ARGV[4]))
  end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if ARGV[3] == '0' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
`)
