package threads

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// BatchState is what the worker checks again, and needs, just before it
// sends a batch.
type BatchState struct {
	// Member is the recipient; MemberFound is false when they were removed.
	Member      User
	MemberFound bool
	// Room is the batch's room; RoomFound is false when it was removed.
	// Its Members are not read: IsMember tells about the recipient.
	Room      Room
	RoomFound bool
	// IsMember: the recipient is still a member of the room.
	IsMember bool
	// Presence is the member's presence now.
	Presence Presence
	// ReadMarker is the last line the member has seen in the room.
	ReadMarker string
	// Lines are the batch's lines that still exist, oldest first.
	Lines []Line
}

// batchStateCmds are the pipelined reads of one batch's state.
type batchStateCmds struct {
	user, marker *redis.StringCmd
	meta         *redis.MapStringStringCmd
	member       *redis.BoolCmd
	presence     presenceCmds
	lines        []*redis.XMessageSliceCmd
}

// BatchStates reads everything the worker needs about each batch, for all
// of them in one round trip. A batch whose state cannot be decoded gets an
// error of its own in errs; err is for the round trip.
func (s *Queue) BatchStates(ctx context.Context, batches []Batch) (states []BatchState, errs []error, err error) {
	cmds := make([]batchStateCmds, len(batches))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, b := range batches {
			c := &cmds[i]
			c.user = p.HGet(ctx, s.k.users(), b.Member)
			c.meta = p.HGetAll(ctx, s.k.room(b.Room))
			c.member = p.SIsMember(ctx, s.k.members(b.Room), b.Member)
			c.presence = s.chat.presenceCmds(ctx, p, []string{b.Member})
			c.marker = p.HGet(ctx, s.k.read(b.Room), b.Member)
			c.lines = make([]*redis.XMessageSliceCmd, len(b.Jobs))
			for j, job := range b.Jobs {
				c.lines[j] = p.XRange(ctx, s.k.lines(b.Room), job.Line, job.Line)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("read state of %d batches: %w", len(batches), err)
	}
	states = make([]BatchState, len(batches))
	errs = make([]error, len(batches))
	for i, b := range batches {
		states[i], errs[i] = s.decodeBatchState(b, &cmds[i])
	}
	return states, errs, nil
}

func (s *Queue) decodeBatchState(b Batch, c *batchStateCmds) (BatchState, error) {
	var st BatchState
	if data, err := c.user.Result(); err == nil {
		if st.Member, err = s.decodeUser(b.Member, data); err != nil {
			return st, err
		}
		st.MemberFound = true
	}
	st.Room, st.RoomFound = decodeRoom(b.Room, c.meta.Val(), nil)
	st.IsMember = c.member.Val()
	st.Presence = s.chat.decodePresences([]string{b.Member}, c.presence)[b.Member]
	st.ReadMarker = c.marker.Val()
	for _, lc := range c.lines {
		for _, m := range lc.Val() {
			l, err := s.decodeLine(b.Room, m)
			if err != nil {
				return st, fmt.Errorf("batch %s: %w", b.name, err)
			}
			st.Lines = append(st.Lines, l)
		}
	}
	return st, nil
}
