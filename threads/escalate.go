package threads

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Escalation: a line that needs a member (a direct-room line, a mention of
// them, an !urgent line) which they have neither seen on the web nor
// answered anywhere within their escalation time goes out once more on
// the next channel of their ladder: live → email → SMS.
//
// Fan-out schedules it: one entry in the sorted set {esc}:due, scored by
// when it is due, written in the pipeline that queues the line's jobs (no
// extra round trip). EscalateDue, run by the digest scheduler's loop of
// every process, leases due entries atomically (their score moves to the
// end of the lease), reads in one pipeline what the decision needs (the
// member, their presence, read marker, mute, the lines posted since) and,
// when the line still needs them, claims the escalation with one script
// ({esc}:done:ROOM/LINE/MEMBER, SET NX) before queuing the delivery job,
// so however many processes run, a line escalates at most once per member.
// A process dying between the claim and the job loses that escalation
// (at most once, never twice); one dying before the claim leaves the entry
// to come due again when its lease ends.

// DefaultEscalateAfter is Options.EscalateAfter when unset.
const DefaultEscalateAfter = 30 * time.Minute

// EscalateOff is the Prefs.Escalate value that turns escalation off.
const EscalateOff = "off"

// escalateDoneFor is how long an escalation's claim is remembered.
const escalateDoneFor = 7 * 24 * time.Hour

// answeredWindow is how many later lines are read to tell whether the
// member answered.
const answeredWindow = 200

func checkEscalatePref(v string) error {
	if v == "" || v == EscalateOff {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute || d > 24*time.Hour {
		return invalid("escalation preference %q is not off or a time from 1m to 24h (such as 30m)", v)
	}
	return nil
}

// EscalateAfter is how long a line that needs u waits before it escalates,
// with def the server's setting; 0 means never.
func EscalateAfter(u User, def time.Duration) time.Duration {
	switch v := u.Prefs.Escalate; {
	case v == EscalateOff || u.Disabled:
		return 0
	case v != "":
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return max(def, 0)
}

// NextRung is the channel after from on the ladder live → email → SMS, or
// "" when there is none.
func NextRung(from Channel) Channel {
	switch from {
	case Live:
		return Email
	case Email:
		return SMS
	}
	return ""
}

// Escalation is a pending escalation: the line goes out again on Channel
// at At unless the member sees or answers it first.
type Escalation struct {
	Channel Channel   `json:"channel"`
	At      time.Time `json:"at"`
}

// escalation is one scheduled escalation, as kept in {esc}:due.
type escalation struct {
	room, line, member string
	from               Channel
}

func (e escalation) String() string {
	return e.room + " " + e.line + " " + e.member + " " + string(e.from)
}

func parseEscalation(s string) (escalation, bool) {
	f := strings.Fields(s)
	if len(f) != 4 || ValidID("room", f[0]) != nil || !streamID.MatchString(f[1]) || ValidID("user", f[2]) != nil {
		return escalation{}, false
	}
	return escalation{room: f[0], line: f[1], member: f[2], from: Channel(f[3])}, true
}

// escalatePlan says whether a line that needs u (personal or urgent:
// the caller knows) and went to u on d escalates, and when; nil when it
// does not.
func (s *Chat) escalatePlan(u User, line Line, d Decision, now time.Time) *Escalation {
	if line.Origin.Automatic() {
		return nil
	}
	after := EscalateAfter(u, s.opts.EscalateAfter)
	next := NextRung(d.Channel)
	in := routeInput(u, Presence{}, true, false, false)
	if after <= 0 || next == "" || (next == Email && !in.EmailOK) || (next == SMS && !in.SMSOK) {
		return nil
	}
	return &Escalation{Channel: next, At: now.Add(after).UTC().Truncate(time.Second)}
}

// scheduleEscalation queues, on p, the due entry of member's escalation of
// line and the room's note of it (the members list shows the first).
func (s *Chat) scheduleEscalation(ctx context.Context, p redis.Pipeliner, line Line, member string, from Channel, e Escalation) {
	entry := escalation{room: line.Room, line: line.ID, member: member, from: from}
	p.ZAddNX(ctx, s.k.escalateDue(), redis.Z{Score: float64(e.At.UnixMilli()), Member: entry.String()})
	p.HSetNX(ctx, s.k.escalating(line.Room), member, strconv.FormatInt(e.At.UnixMilli(), 10)+" "+line.ID+" "+string(e.Channel))
}

// noteReached records, on p, that line went to member on c at t, for the
// sender's view of how their line travelled (Reached).
func (s *Chat) noteReached(ctx context.Context, p redis.Pipeliner, room, line, member string, c Channel, t time.Time) {
	key := s.k.reached(room, line)
	p.HSet(ctx, key, member+" "+string(c), t.UnixMilli())
	p.Expire(ctx, key, escalateDoneFor)
}

// Delivery is one way a line went out to a member.
type Delivery struct {
	Channel Channel   `json:"channel"`
	At      time.Time `json:"at"`
}

// Reached tells how a line that needed its members went out to each (by
// email at 10:02, by text at 10:32), oldest first, and which escalations
// of theirs in the room are pending. Lines that needed nobody have no
// record.
func (s *Chat) Reached(ctx context.Context, room, line string) (map[string][]Delivery, map[string]Escalation, error) {
	if err := ValidID("room", room); err != nil {
		return nil, nil, err
	}
	if !streamID.MatchString(line) {
		return nil, nil, invalid("line id %q is not like 1732500000000-0", line)
	}
	var got, esc *redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		got = p.HGetAll(ctx, s.k.reached(room, line))
		esc = p.HGetAll(ctx, s.k.escalating(room))
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("deliveries of %s/%s: %w", room, line, err)
	}
	out := make(map[string][]Delivery)
	for k, v := range got.Val() {
		m, c, ok := strings.Cut(k, " ")
		ms, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			continue
		}
		out[m] = append(out[m], Delivery{Channel: Channel(c), At: time.UnixMilli(ms).UTC()})
	}
	for _, ds := range out {
		sort.Slice(ds, func(i, j int) bool { return ds[i].At.Before(ds[j].At) })
	}
	return out, decodeEscalating(esc.Val(), line), nil
}

// decodeEscalating reads a room's pending escalations; with line set, only
// those of that line.
func decodeEscalating(m map[string]string, line string) map[string]Escalation {
	out := make(map[string]Escalation)
	for member, v := range m {
		f := strings.Fields(v)
		if len(f) != 3 || (line != "" && f[1] != line) {
			continue
		}
		ms, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		out[member] = Escalation{Channel: Channel(f[2]), At: time.UnixMilli(ms).UTC()}
	}
	return out
}

// EscalateInput is what deciding one escalation looks at.
type EscalateInput struct {
	Member   User
	Presence Presence
	// Line is the line; Gone when it no longer exists.
	Line Line
	Gone bool
	// From is the channel it went by; Seen: the member's read marker is
	// at or past it; Answered: the member posted in the room since.
	From     Channel
	Seen     bool
	Answered bool
	Muted    bool
	Now      time.Time
	// After is the server's escalation time (Options.EscalateAfter).
	After time.Duration
}

// EscalateTo decides whether a due escalation goes out, and on which
// channel, or "" and why not.
func EscalateTo(in EscalateInput) (Channel, string) {
	u := in.Member
	next := NextRung(in.From)
	switch {
	case in.Gone:
		return "", "the line is gone"
	case u.Disabled:
		return "", "disabled"
	case EscalateAfter(u, in.After) == 0:
		return "", "escalation turned off"
	case in.Seen:
		return "", "seen on the web"
	case in.Answered:
		return "", "answered"
	case in.Presence.State == StateOnline:
		return "", "online now"
	case in.Presence.State == StateBusy:
		return "", "busy"
	case in.Muted:
		return "", "room muted"
	case next == "":
		return "", "no channel after " + string(in.From)
	}
	quiet := u.Prefs.Quiet != nil && u.Prefs.Quiet.Active(in.Now, u.Location()) && !in.Line.Urgent
	in2 := routeInput(u, in.Presence, true, quiet, false)
	switch {
	case next == Email && !in2.EmailOK:
		return "", "no working email"
	case next == SMS && !in2.SMSOK:
		return "", "no verified phone that works"
	case quiet && (next == SMS || in2.QuietMode == QuietHoldAll):
		return "", "quiet hours"
	}
	return next, "unseen and unanswered"
}

// Escalated is what EscalateDue did with one due escalation.
type Escalated struct {
	Room    string  `json:"room"`
	Line    string  `json:"line"`
	Member  string  `json:"member"`
	Channel Channel `json:"channel,omitempty"` // "" when it did not go out
	Reason  string  `json:"reason"`
}

// escalateReads are the reads one due escalation needs.
type escalateReads struct {
	e                escalation
	line, after      *redis.XMessageSliceCmd
	user, read, note *redis.StringCmd
	muted            *redis.BoolCmd
}

// EscalateDue settles up to limit escalations that are due: each is
// leased for lease, then goes out on the member's next channel (a delivery
// job) or is dropped with the reason. Any number of processes may run it
// at once: each escalation is handled by one and goes out at most once.
func (s *Chat) EscalateDue(ctx context.Context, lease time.Duration, limit int) ([]Escalated, error) {
	now := s.now()
	raw, err := scriptClaimEscalations.Run(ctx, s.rdb, []string{s.k.escalateDue()},
		now.UnixMilli(), now.Add(lease).UnixMilli(), limit).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim escalations: %w", err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	reads := make([]escalateReads, 0, len(raw))
	var members []string
	var bad []any
	for _, r := range raw {
		e, ok := parseEscalation(r)
		if !ok {
			bad = append(bad, r)
			continue
		}
		reads = append(reads, escalateReads{e: e})
		members = append(members, e.member)
	}
	var pc presenceCmds
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(bad) > 0 {
			p.ZRem(ctx, s.k.escalateDue(), bad...)
		}
		for i := range reads {
			r := &reads[i]
			r.line = p.XRange(ctx, s.k.lines(r.e.room), r.e.line, r.e.line)
			r.after = p.XRangeN(ctx, s.k.lines(r.e.room), "("+r.e.line, "+", answeredWindow)
			r.user = p.HGet(ctx, s.k.users(), r.e.member)
			r.read = p.HGet(ctx, s.k.read(r.e.room), r.e.member)
			r.note = p.HGet(ctx, s.k.escalating(r.e.room), r.e.member)
			r.muted = p.SIsMember(ctx, s.k.muted(r.e.room), r.e.member)
		}
		pc = s.presenceCmds(ctx, p, members)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read escalations: %w", err)
	}
	presence := s.decodePresences(members, pc)
	out := make([]Escalated, 0, len(reads))
	for _, r := range reads {
		res, err := s.settleEscalation(ctx, r, presence[r.e.member], now)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// settleEscalation decides one escalation and carries it out.
func (s *Chat) settleEscalation(ctx context.Context, r escalateReads, pr Presence, now time.Time) (Escalated, error) {
	e := r.e
	res := Escalated{Room: e.room, Line: e.line, Member: e.member}
	in := EscalateInput{Presence: pr, From: e.from, Now: now, After: s.opts.EscalateAfter, Muted: r.muted.Val()}
	if str, err := r.user.Result(); err == nil {
		u, err := s.decodeUser(e.member, str)
		if err != nil {
			return res, err
		}
		in.Member = u
	} else {
		in.Member.Disabled = true // gone: nothing reaches them
	}
	if ms := r.line.Val(); len(ms) == 1 {
		l, err := s.decodeLine(e.room, ms[0])
		if err != nil {
			return res, err
		}
		in.Line = l
	} else {
		in.Gone = true
	}
	in.Seen = Seen(e.line, r.read.Val())
	for _, m := range r.after.Val() {
		if a, _ := m.Values["a"].(string); a == e.member {
			in.Answered = true
			break
		}
	}
	next, why := EscalateTo(in)
	res.Reason = why
	owned := true
	if next != "" {
		n, err := scriptFinishEscalation.Run(ctx, s.rdb, []string{s.k.escalateDue(), s.k.escalated(e.room + "/" + e.line + "/" + e.member)},
			e.String(), escalateDoneFor.Milliseconds()).Int()
		if err != nil {
			return res, fmt.Errorf("claim escalation of %s/%s to %s: %w", e.room, e.line, e.member, err)
		}
		owned = n == 1
		if !owned {
			res.Reason = "already escalated"
		}
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if next == "" || !owned {
			p.ZRem(ctx, s.k.escalateDue(), e.String())
		}
		if f := strings.Fields(r.note.Val()); len(f) == 3 && f[1] == e.line {
			p.HDel(ctx, s.k.escalating(e.room), e.member)
		}
		if next != "" && owned {
			s.queue.enqueue(ctx, p, Job{Room: e.room, Line: e.line, Member: e.member, Channel: next,
				Queued: now.UTC().Truncate(time.Millisecond)})
			s.noteReached(ctx, p, e.room, e.line, e.member, next, now)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("settle escalation of %s/%s to %s: %w", e.room, e.line, e.member, err)
	}
	if next != "" && owned {
		res.Channel = next
	}
	return res, nil
}

// scriptClaimEscalations leases up to ARGV[3] escalations due by ARGV[1]
// until ARGV[2]. KEYS: due set. Returns their entries.
var scriptClaimEscalations = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m)
end
return due
`)

// scriptFinishEscalation takes an escalation off the due set and claims
// it, once: 1 when this caller is the one to send it. KEYS: due set,
// claim. ARGV: entry, claim ms.
var scriptFinishEscalation = redis.NewScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`)
