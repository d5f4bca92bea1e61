package threads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// BatchState is what the worker checks again, and needs, just before it
// sends a batch: read in one round trip.
type BatchState struct {
	// Member is the recipient; MemberFound is false when they were removed.
	Member      User
	MemberFound bool
	// Room is the batch's room; RoomFound is false when it was removed.
	Room      Room
	RoomFound bool
	// Presence is the member's presence now.
	Presence Presence
	// ReadMarker is the last line the member has seen in the room.
	ReadMarker string
	// Lines are the batch's lines that still exist, oldest first.
	Lines []Line
}

// BatchState reads everything about b the worker needs, in one pipeline.
func (s *Store) BatchState(ctx context.Context, b Batch) (BatchState, error) {
	var st BatchState
	var user *redis.StringCmd
	var meta *redis.MapStringStringCmd
	var members *redis.StringSliceCmd
	var status, seen *redis.SliceCmd
	var marker *redis.StringCmd
	lines := make([]*redis.XMessageSliceCmd, len(b.Jobs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		user = p.HGet(ctx, s.k.users(), b.Member)
		meta = p.HGetAll(ctx, s.k.room(b.Room))
		members = p.SMembers(ctx, s.k.members(b.Room))
		status, seen = s.presenceCmds(ctx, p, []string{b.Member})
		marker = p.HGet(ctx, s.k.read(b.Room), b.Member)
		for i, j := range b.Jobs {
			lines[i] = p.XRange(ctx, s.k.lines(b.Room), j.Line, j.Line)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return st, fmt.Errorf("read state of batch %s: %w", b.name, err)
	}
	if data, err := user.Result(); err == nil {
		if st.Member, err = decodeUser(b.Member, data); err != nil {
			return st, err
		}
		st.MemberFound = true
	}
	st.Room, st.RoomFound = decodeRoom(b.Room, meta.Val(), members.Val())
	st.Presence = s.decodePresences([]string{b.Member}, status, seen)[b.Member]
	st.ReadMarker = marker.Val()
	for _, c := range lines {
		for _, m := range c.Val() {
			l, err := decodeLine(b.Room, m)
			if err != nil {
				return st, err
			}
			st.Lines = append(st.Lines, l)
		}
	}
	return st, nil
}

// GatherAll is Gather for many jobs in one round trip.
func (s *Store) GatherAll(ctx context.Context, jobs []Delivery, window func(Channel) time.Duration) error {
	for _, d := range jobs {
		if d.entry == "" {
			return invalid("delivery %s was not claimed", d.Key())
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	err := s.scriptPipeline(ctx, scriptGather, func(p redis.Pipeliner) {
		for _, d := range jobs {
			keys, args := s.gatherCall(d, window(d.Channel))
			scriptGather.EvalSha(ctx, p, keys, args...)
		}
	})
	if err != nil {
		return fmt.Errorf("gather %d deliveries: %w", len(jobs), err)
	}
	return nil
}
