package threads

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Availability is what a member says about themself.
type Availability string

// Availabilities a member can set.
const (
	// Available: parley follows activity (online while a client is live).
	Available Availability = "available"
	Away      Availability = "away"
	Busy      Availability = "busy"
	Offline   Availability = "offline"
)

func (a Availability) valid() bool {
	switch a {
	case Available, Away, Busy, Offline:
		return true
	}
	return false
}

// State is a member's effective presence at one moment, the input of routing.
type State string

// Effective states.
const (
	StateOnline  State = "online"
	StateAway    State = "away"
	StateBusy    State = "busy"
	StateOffline State = "offline"
)

func (s State) valid() bool {
	switch s {
	case StateOnline, StateAway, StateBusy, StateOffline:
		return true
	}
	return false
}

const maxStatusText = 200

// Status is what a member set by hand.
type Status struct {
	Availability Availability `json:"availability"`
	Text         string       `json:"text,omitempty"`
	// Until, when set, ends the status by itself.
	Until time.Time `json:"until,omitempty"`
	Set   time.Time `json:"set"`
}

// Presence is a member's presence as others see it at one moment.
type Presence struct {
	User  string `json:"user"`
	State State  `json:"state"`
	// Status is the status set by hand, if any is in force.
	Status *Status `json:"status,omitempty"`
	// LastSeen is the last heartbeat of a live client (zero if never).
	LastSeen time.Time `json:"last_seen,omitempty"`
}

// Text is the status text in force, or "".
func (p Presence) Text() string {
	if p.Status == nil {
		return ""
	}
	return p.Status.Text
}

// SetStatus sets a member's availability by hand. Text and until are
// optional; available clears any away/busy/offline. An until in the past is
// refused.
func (s *Chat) SetStatus(ctx context.Context, user string, st Status) (Presence, error) {
	if !st.Availability.valid() {
		return Presence{}, invalid("availability %q is not available, away, busy or offline", st.Availability)
	}
	if !utf8.ValidString(st.Text) || utf8.RuneCountInString(st.Text) > maxStatusText {
		return Presence{}, invalid("status text must be valid text of at most %d characters", maxStatusText)
	}
	now := s.now()
	if !st.Until.IsZero() && !st.Until.After(now) {
		return Presence{}, invalid("until %s is not in the future", st.Until.Format(time.RFC3339))
	}
	if err := s.mustExist(ctx, []string{user}); err != nil {
		return Presence{}, err
	}
	st.Set = now.UTC()
	if !st.Until.IsZero() {
		st.Until = st.Until.UTC()
	}
	data, err := json.Marshal(st)
	if err != nil {
		return Presence{}, err
	}
	if err := s.rdb.HSet(ctx, s.k.presence(), user, data).Err(); err != nil {
		return Presence{}, fmt.Errorf("set status of %s: %w", user, err)
	}
	p, err := s.Presence(ctx, user)
	if err == nil {
		s.announcePresence(ctx, p)
	}
	return p, err
}

// Heartbeat records that a live client of user is there now. A member who
// was idle or offline comes online: their rooms hear of it.
func (s *Chat) Heartbeat(ctx context.Context, user string) error {
	now := s.now().UnixMilli()
	prev, err := scriptHeartbeat.Run(ctx, s.rdb, []string{s.k.users(), s.k.seen()}, user, now).Int64()
	if err != nil {
		return fmt.Errorf("heartbeat of %s: %w", user, err)
	}
	if prev < 0 {
		return fmt.Errorf("user %s: %w", user, ErrNotFound)
	}
	if now-prev >= s.opts.IdleAfter.Milliseconds() {
		if p, err := s.Presence(ctx, user); err == nil && p.State == StateOnline {
			s.announcePresence(ctx, p)
		}
	}
	return nil
}

// Presence returns one member's presence now.
func (s *Chat) Presence(ctx context.Context, user string) (Presence, error) {
	if err := s.mustExist(ctx, []string{user}); err != nil {
		return Presence{}, err
	}
	ps, err := s.Presences(ctx, []string{user})
	if err != nil {
		return Presence{}, err
	}
	return ps[user], nil
}

// Presences returns the presence of several members now, in one round trip.
func (s *Chat) Presences(ctx context.Context, users []string) (map[string]Presence, error) {
	var st, seen *redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		st, seen = s.presenceCmds(ctx, p, users)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	return s.decodePresences(users, st, seen), nil
}

// presenceCmds queues the reads of users' presence on p; decodePresences
// reads the answers. Split so that fan-out reads users and presence in one
// round trip.
func (s *Chat) presenceCmds(ctx context.Context, p redis.Pipeliner, users []string) (st, seen *redis.SliceCmd) {
	if len(users) == 0 {
		return nil, nil
	}
	return p.HMGet(ctx, s.k.presence(), users...), p.HMGet(ctx, s.k.seen(), users...)
}

func (s *Chat) decodePresences(users []string, st, seen *redis.SliceCmd) map[string]Presence {
	out := make(map[string]Presence, len(users))
	if st == nil {
		return out
	}
	stv, seenv := st.Val(), seen.Val()
	now := s.now()
	for i, u := range users {
		var status *Status
		if str, ok := stv[i].(string); ok {
			var v Status
			if json.Unmarshal([]byte(str), &v) == nil {
				status = &v
			}
		}
		var last time.Time
		if str, ok := seenv[i].(string); ok {
			if ms, err := strconv.ParseInt(str, 10, 64); err == nil {
				last = time.UnixMilli(ms).UTC()
			}
		}
		out[u] = EffectivePresence(u, status, last, now, s.opts.IdleAfter, s.opts.OfflineAfter)
	}
	return out
}

// EffectivePresence works out a member's state at now from the status they
// set (nil if none) and their last heartbeat:
//   - a status set by hand (away, busy, offline) wins until its until-time;
//     activity never overrides it;
//   - otherwise a heartbeat younger than idle means online, one younger
//     than offline means away (idle), and anything older means offline.
func EffectivePresence(user string, st *Status, lastSeen, now time.Time, idle, offline time.Duration) Presence {
	p := Presence{User: user, LastSeen: lastSeen}
	if st != nil && (st.Until.IsZero() || now.Before(st.Until)) {
		p.Status = st
		if st.Availability != Available {
			p.State = State(st.Availability)
			return p
		}
	}
	switch age := now.Sub(lastSeen); {
	case lastSeen.IsZero():
		p.State = StateOffline
	case age < idle:
		p.State = StateOnline
	case age < offline:
		p.State = StateAway
	default:
		p.State = StateOffline
	}
	return p
}
