package threads

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
	// LastSeen is the last activity a client reported (zero if never).
	LastSeen time.Time `json:"last_seen,omitempty"`
	// Idle: not online although a client was active within OfflineAfter,
	// or has a page open: the member routes as away (by email, by SMS) and
	// any open page still shows lines live.
	Idle bool `json:"idle,omitempty"`
	// Connected: a live page of the member beat within IdleAfter, active or not.
	Connected bool `json:"connected,omitempty"`
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

// Activity is what a client says in a heartbeat about the person at it.
type Activity string

// Activities a heartbeat can report.
const (
	// Active: real input just now (a key, the pointer, a touch, focus; a
	// script that says so). The member is online for IdleAfter.
	Active Activity = "active"
	// Idle: the client is open but nobody uses it (a hidden tab, no input).
	// It withdraws the activity this same client reported last, so the
	// member routes as away at once; another client's activity stands.
	Idle Activity = "idle"
	// Connected: a live stream is open. It says nothing of the person: the
	// member stays reachable live but is not online for routing.
	Connected Activity = "connected"
)

func (a Activity) valid() bool {
	switch a {
	case Active, Idle, Connected:
		return true
	}
	return false
}

// Beat is one heartbeat of a client.
type Beat struct {
	// Activity is what the client reports; "" means Active.
	Activity Activity
	// Client names the client (a tab, a device), so that its idle report
	// withdraws only its own activity. "" is one client like any other.
	Client string
}

// maxClientID bounds Beat.Client.
const maxClientID = 64

// Heartbeat records a beat of one of user's clients. An active beat makes
// the member online; an idle beat from the client that was active last
// makes them away at once; a connected beat only says a live page is open.
// When the member's state changes by it, their rooms hear of it.
func (s *Chat) Heartbeat(ctx context.Context, user string, b Beat) error {
	if b.Activity == "" {
		b.Activity = Active
	}
	if !b.Activity.valid() {
		return invalid("activity %q is not active, idle or connected", b.Activity)
	}
	if len(b.Client) > maxClientID || !utf8.ValidString(b.Client) {
		return invalid("client id must be valid text of at most %d bytes", maxClientID)
	}
	now := s.now().UnixMilli()
	res, err := scriptHeartbeat.Run(ctx, s.rdb, []string{s.k.users(), s.k.seen(), s.k.conn(), s.k.seenBy(), s.k.thresholds()},
		user, now, string(b.Activity), b.Client, s.opts.IdleAfter.Milliseconds()).Int64Slice()
	if err != nil {
		return fmt.Errorf("heartbeat of %s: %w", user, err)
	}
	if len(res) != 4 {
		return fmt.Errorf("heartbeat of %s: script answered %v", user, res)
	}
	if res[0] < 0 {
		return fmt.Errorf("user %s: %w", user, ErrNotFound)
	}
	prev, wasWithdrawn, withdrawn, idle := res[0], res[1] == 1, res[2] == 1, res[3]
	wasOnline := prev > 0 && !wasWithdrawn && now-prev < idle
	online := b.Activity == Active || (wasOnline && !withdrawn)
	if wasOnline != online {
		if p, err := s.Presence(ctx, user); err == nil {
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
	var pc presenceCmds
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		pc = s.presenceCmds(ctx, p, users)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read presence: %w", err)
	}
	return s.decodePresences(users, pc), nil
}

// presenceCmds are the pipelined reads of users' presence: the status set
// by hand, the last activity and the last beat of any client. Queued by
// Chat.presenceCmds and read by decodePresences, split so that fan-out reads
// users and presence in one round trip.
type presenceCmds struct {
	status, seen, conn *redis.StringSliceCmd // "" for none
	thresholds         *redis.SliceCmd
}

// presenceCmds queues the reads of users' presence on p.
func (s *Chat) presenceCmds(ctx context.Context, p redis.Pipeliner, users []string) presenceCmds {
	return s.presenceArgsCmds(ctx, p, boxed(users))
}

// presenceArgsCmds is presenceCmds for users already boxed as command
// arguments (by boxed), as the fan-out keeps them for a room's members.
func (s *Chat) presenceArgsCmds(ctx context.Context, p redis.Pipeliner, users []any) presenceCmds {
	if len(users) == 0 {
		return presenceCmds{}
	}
	return presenceCmds{
		status: hmgetArgs(ctx, p, s.k.presence(), users),
		seen:   hmgetArgs(ctx, p, s.k.seen(), users),
		conn:   hmgetArgs(ctx, p, s.k.conn(), users),
		// The thresholds are read with every presence, so that a change
		// holds in every process from its next read.
		thresholds: s.thresholdsCmd(ctx, p),
	}
}

// hmget queues HMGET on p, read as strings with a missing field as "":
// go-redis's HMGet boxes every value in an interface, and routing one line
// reads some 200 of them. Only for hashes whose values are never empty
// (records, beats, statuses).
func hmget(ctx context.Context, p redis.Pipeliner, key string, fields ...string) *redis.StringSliceCmd {
	args := make([]any, 2, 2+len(fields))
	args[0], args[1] = "hmget", key
	for _, f := range fields {
		args = append(args, f)
	}
	return processStrings(ctx, p, args)
}

// hmgetArgs is hmget for fields boxed already (by boxed): the fan-out reads
// the same members' fields for every line, and boxing each string is an
// allocation.
func hmgetArgs(ctx context.Context, p redis.Pipeliner, key string, fields []any) *redis.StringSliceCmd {
	args := make([]any, 0, 2+len(fields))
	return processStrings(ctx, p, append(append(args, "hmget", key), fields...))
}

// processStrings queues the command args on p, its answer read as strings.
func processStrings(ctx context.Context, p redis.Pipeliner, args []any) *redis.StringSliceCmd {
	cmd := redis.NewStringSliceCmd(ctx, args...)
	_ = p.Process(ctx, cmd)
	return cmd
}

// boxed returns strs as command arguments. The result is only read (by
// the commands that take it), so one may serve many commands at once.
func boxed(strs []string) []any {
	out := make([]any, len(strs))
	for i, v := range strs {
		out[i] = v
	}
	return out
}

// decodePresences reads the answers of presenceCmds, by member.
func (s *Chat) decodePresences(users []string, pc presenceCmds) map[string]Presence {
	out := make(map[string]Presence, len(users))
	if pc.status == nil {
		return out
	}
	for i, p := range s.presenceList(users, pc) {
		out[users[i]] = p
	}
	return out
}

// presenceList reads the answers of presenceCmds in the order of users
// (the fan-out's way: no map for a list it walks in order); all zero when
// nothing was read.
func (s *Chat) presenceList(users []string, pc presenceCmds) []Presence {
	out := make([]Presence, len(users))
	if pc.status == nil {
		return out
	}
	stv, seenv, connv := pc.status.Val(), pc.seen.Val(), pc.conn.Val()
	th := s.decodeThresholds(pc.thresholds)
	now := s.now()
	var statuses []Status // one allocation for the list, not one a member
	for i, u := range users {
		var status *Status
		if str := stv[i]; str != "" {
			if v, err := s.decodeStatus(u, str); err == nil {
				if statuses == nil {
					statuses = make([]Status, len(users))
				}
				statuses[i] = v
				status = &statuses[i]
			}
		}
		act := Activities{}
		if str := seenv[i]; str != "" {
			act.Last, act.Withdrawn = parseSeen(str)
		}
		if str := connv[i]; str != "" {
			act.Connected, _ = parseSeen(str)
		}
		out[i] = EffectivePresence(u, status, act, now, th.IdleAfter, th.OfflineAfter)
	}
	return out
}

// parseSeen reads a stored beat: "MS", or "MS idle" for an activity its
// client withdrew.
func parseSeen(str string) (t time.Time, withdrawn bool) {
	ms, rest, _ := strings.Cut(str, " ")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n).UTC(), rest == "idle"
}

// Activities is what the clients of a member reported, the input of
// EffectivePresence besides the status set by hand.
type Activities struct {
	// Last is the last activity reported (zero if never).
	Last time.Time
	// Withdrawn: the client that reported Last has since said it is idle.
	Withdrawn bool
	// Connected is the last beat of any client, active or not.
	Connected time.Time
}

// EffectivePresence works out a member's state at now from the status they
// set (nil if none) and what their clients reported:
//   - a status set by hand (away, busy, offline) wins until its until-time;
//     activity never overrides it;
//   - otherwise activity younger than idle, not withdrawn, means online;
//     activity younger than offline means away (idle); anything older, or
//     none, means offline. An open page that is not used changes nothing
//     of this: it keeps the member reachable live, not online.
func EffectivePresence(user string, st *Status, act Activities, now time.Time, idle, offline time.Duration) Presence {
	p := Presence{User: user, LastSeen: act.Last,
		Connected: !act.Connected.IsZero() && now.Sub(act.Connected) < idle}
	if st != nil && (st.Until.IsZero() || now.Before(st.Until)) {
		p.Status = st
		if st.Availability != Available {
			p.State = State(st.Availability)
			return p
		}
	}
	switch age := now.Sub(act.Last); {
	case !act.Last.IsZero() && age < idle && !act.Withdrawn:
		p.State = StateOnline
	case !act.Last.IsZero() && age < offline:
		p.State = StateAway
		p.Idle = true
	default:
		p.State = StateOffline
		p.Idle = p.Connected
	}
	return p
}
