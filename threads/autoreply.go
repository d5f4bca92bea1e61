package threads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Away auto-replies: the one engine for every door.
//
// A member who is away, busy or offline with a status text (set with
// SetStatus from the CLI, the web, an email to status@ or an SMS AWAY) has
// that text sent as an auto-reply, unless their Prefs.AutoReply is "off".
// When a line is personal to them (a direct room, or it mentions @them),
// fan-out posts one line into the room on their behalf, Origin
// FromAutoReply, named "Name (auto-reply)". The rules follow RFC 3834 and
// the vacation semantics of RFC 5230:
//
//   - at most once per sender per period (Options.AutoReplyPeriod, 1 day),
//     remembered in Redis and decided by one script, so two processes
//     never both answer; the memory is keyed on the text, so a changed
//     text may be sent again;
//   - never in answer to an automatic line (an auto-reply or a system
//     notice), a bot's line, or the member's own line; never for a
//     room-wide line without a mention;
//   - bounces, list and bulk mail never become lines (inbound ignores
//     them), so they are never answered either;
//   - it stops when the status ends (its until-time, or the member sets
//     available).
//
// Auto-reply lines are shown live and kept in the log, but routing never
// relays them by email or SMS (Route), and they are never answered, so two
// away members cannot answer each other in a loop.

// AutoReplyInput is what the rules look at for one member and one line.
type AutoReplyInput struct {
	// Line is the line written; Author its author's record (zero if gone).
	Line   Line
	Author User
	// Member is the member who might answer; Presence theirs now.
	Member   User
	Presence Presence
	// Personal: the line is in a direct room or mentions the member.
	Personal bool
	Now      time.Time
}

// AutoReplyText applies every rule that needs no memory and returns the
// text the member answers with, or "" and the reason there is none. The
// once-per-period rule is Store's: see claimAutoReply.
func AutoReplyText(in AutoReplyInput) (text, reason string) {
	st := in.Presence.Status
	switch {
	case in.Line.Origin.Automatic():
		return "", "the line is automatic"
	case in.Author.Bot:
		return "", "the author is a bot"
	case in.Line.Author == in.Member.ID:
		return "", "the member's own line"
	case !in.Personal:
		return "", "not a direct line or a mention"
	case in.Member.Disabled:
		return "", "the member is disabled"
	case in.Member.Prefs.AutoReply == AutoReplyOff:
		return "", "auto-replies turned off"
	case st == nil || st.Availability == Available:
		return "", "no away, busy or offline status"
	case !st.Until.IsZero() && !in.Now.Before(st.Until):
		return "", "the status has ended"
	case st.Text == "":
		return "", "the status has no text"
	}
	if st.Until.IsZero() {
		return st.Text, ""
	}
	return st.Text + " (until " + st.Until.In(in.Member.Location()).Format("Mon 2 Jan 15:04 MST") + ")", ""
}

// autoReplyName is the display name of an auto-reply line.
func autoReplyName(u User) string { return u.Name + " (auto-reply)" }

// autoReplies posts the auto-replies due for a line, each after claiming
// it. A member who left the room meanwhile is skipped; any other error is
// returned, and the line's fan-out is then finished by recovery.
func (s *Chat) autoReplies(ctx context.Context, ins []AutoReplyInput) ([]Line, error) {
	var out []Line
	for _, in := range ins {
		text, _ := AutoReplyText(in)
		if text == "" {
			continue
		}
		m, l := in.Member.ID, in.Line
		ok, err := s.claimAutoReply(ctx, m, l.Author, text, l.Room+"/"+l.ID)
		if err != nil {
			return out, err
		}
		if !ok {
			continue
		}
		if err := s.sendAutoReplyBack(ctx, in, text); err != nil {
			return out, err
		}
		// The source id makes a second attempt for the same line (recovery)
		// return the first auto-reply instead of a new one.
		p, err := s.post(ctx, NewLine{Room: l.Room, Author: m, Text: text, Origin: FromAutoReply,
			SourceID: "autoreply:" + l.ID + "/" + m}, autoReplyName(in.Member), false)
		switch {
		case errors.Is(err, ErrNotMember), errors.Is(err, ErrNotFound):
			s.log.Info("auto-reply skipped: no longer in the room", "room", l.Room, "member", m)
			continue
		case err != nil:
			return out, fmt.Errorf("auto-reply of %s in %s: %w", m, l.Room, err)
		}
		if !p.Duplicate {
			out = append(out, p.Line)
		}
	}
	return out, nil
}

// claimAutoReply decides, atomically, whether member answers sender with
// text now for the line trigger ("room/line"): yes when they have not
// within the period, or when the last answer was for this very line (a
// fan-out run again by recovery; the post's source id then keeps it to one
// line).
func (s *Chat) claimAutoReply(ctx context.Context, member, sender, text, trigger string) (bool, error) {
	period := s.opts.AutoReplyPeriod
	n, err := scriptClaimAutoReply.Run(ctx, s.rdb, []string{s.k.autoReplied(member, sender, text)},
		s.now().UnixMilli(), period.Milliseconds(), trigger).Int()
	if err != nil {
		return false, fmt.Errorf("claim auto-reply of %s to %s: %w", member, sender, err)
	}
	return n == 1, nil
}

// scriptClaimAutoReply claims an auto-reply. The value is "ms trigger":
// when and for which line the member last answered the sender with this
// text. The period is measured with parley's clock (so tests move it); the
// key's expiry only cleans up.
// KEYS: memory. ARGV: now ms, period ms, trigger. Returns 1 to answer.
var scriptClaimAutoReply = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local at, trig = string.match(v, '^(%d+) (.*)$')
  if trig == ARGV[3] then return 1 end
  if at and tonumber(ARGV[1]) - tonumber(at) < tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[3], 'PX', ARGV[2])
return 1
`)

// sendAutoReplyBack queues the auto-reply to the sender's channel when
// they wrote by email or SMS (autoreplyback.go). It comes before the
// auto-reply line is posted, and both are idempotent, so recovery after a
// crash in between finishes the pair.
func (s *Chat) sendAutoReplyBack(ctx context.Context, in AutoReplyInput, text string) error {
	n, ok := autoReplyBack(in, text, "")
	if !ok {
		return nil
	}
	if r, err := s.Room(ctx, in.Line.Room); err == nil {
		n.AutoReply.RoomName = r.Name
	}
	return s.queueAutoReplyBack(ctx, n, in.Member.ID, in.Line.Room+"/"+in.Line.ID)
}
