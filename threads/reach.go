package threads

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// MemberReach is how one member of a room stands now: their presence and
// how a line posted now by someone else would reach them.
type MemberReach struct {
	User     User     `json:"-"`
	Presence Presence `json:"presence"`
	Reach    Decision `json:"reach"`
	// Escalates, when set, is the member's first pending escalation in the
	// room: an unseen line that goes out again on Channel at At.
	Escalates *Escalation `json:"escalates,omitempty"`
}

// Reach tells, for every member of a room, their presence and how a plain
// line (no mention) posted now by someone else would reach them, with the
// same routing as Post. Members whose user record is gone are left out.
func (s *Chat) Reach(ctx context.Context, room string) (Room, map[string]MemberReach, error) {
	r, err := s.Room(ctx, room)
	if err != nil {
		return Room{}, nil, err
	}
	out := make(map[string]MemberReach, len(r.Members))
	if len(r.Members) == 0 {
		return r, out, nil
	}
	var users *redis.StringSliceCmd
	var pc presenceCmds
	var muted *redis.StringSliceCmd
	var esc *redis.MapStringStringCmd
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		users = hmget(ctx, p, s.k.users(), r.Members...)
		muted = p.SMembers(ctx, s.k.muted(room))
		esc = p.HGetAll(ctx, s.k.escalating(room))
		pc = s.presenceCmds(ctx, p, r.Members)
		return nil
	})
	if err != nil {
		return Room{}, nil, fmt.Errorf("reach of %s: %w", room, err)
	}
	presence := s.decodePresences(r.Members, pc)
	now := s.now()
	pending := decodeEscalating(esc.Val(), "")
	for i, m := range r.Members {
		str := users.Val()[i]
		if str == "" {
			continue
		}
		u, err := s.decodeUser(m, str)
		if err != nil {
			return Room{}, nil, err
		}
		quiet := u.Prefs.Quiet != nil && u.Prefs.Quiet.Active(now, u.Location())
		d := Route(routeInput(u, presence[m], r.Kind == Direct, quiet, contains(muted.Val(), m)))
		mr := MemberReach{User: u, Presence: presence[m], Reach: d}
		if e, ok := pending[m]; ok && e.At.After(now) {
			mr.Escalates = &e
		}
		out[m] = mr
	}
	return r, out, nil
}
