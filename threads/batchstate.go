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

// batchRoomReads are BatchStates's reads of one room, shared by the
// batches of the room leased together, and its lines as decoded.
type batchRoomReads struct {
	members  []string // the recipients of its batches
	memberAt map[string]int
	meta     *redis.MapStringStringCmd
	isMember *redis.BoolSliceCmd
	markers  *redis.StringSliceCmd
	lines    map[string]*redis.XMessageSliceCmd // by line id
	decoded  map[string]decodedLines
}

// decodedLines is a line as XRANGE read it (none when it is gone), decoded.
type decodedLines struct {
	lines []Line
	err   error
}

// line returns line id of room, decoded once for all the batches that
// carry it.
func (r *batchRoomReads) line(s *Queue, room, id string) ([]Line, error) {
	if d, ok := r.decoded[id]; ok {
		return d.lines, d.err
	}
	var d decodedLines
	for _, m := range r.lines[id].Val() {
		l, err := s.decodeLine(room, m)
		if err != nil {
			d = decodedLines{err: err}
			break
		}
		d.lines = append(d.lines, l)
	}
	if r.decoded == nil {
		r.decoded = map[string]decodedLines{}
	}
	r.decoded[id] = d
	return d.lines, d.err
}

// BatchStates reads everything the worker needs about each batch, for all
// of them in one round trip. Batches leased together are often one line's
// to many members of its room: the reads are made once per member, once
// per room and once per line, and each record and line is decoded once.
// A batch whose state cannot be decoded gets an error of its own in errs;
// err is for the round trip.
func (s *Queue) BatchStates(ctx context.Context, batches []Batch) (states []BatchState, errs []error, err error) {
	var members []string
	memberAt := map[string]int{}
	rooms := map[string]*batchRoomReads{}
	for _, b := range batches {
		if _, ok := memberAt[b.Member]; !ok {
			memberAt[b.Member] = len(members)
			members = append(members, b.Member)
		}
		r := rooms[b.Room]
		if r == nil {
			r = &batchRoomReads{memberAt: map[string]int{}, lines: map[string]*redis.XMessageSliceCmd{}}
			rooms[b.Room] = r
		}
		if _, ok := r.memberAt[b.Member]; !ok {
			r.memberAt[b.Member] = len(r.members)
			r.members = append(r.members, b.Member)
		}
		for _, j := range b.Jobs {
			r.lines[j.Line] = nil
		}
	}
	var users *redis.StringSliceCmd
	var presence presenceCmds
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		users = hmget(ctx, p, s.k.users(), members...)
		presence = s.chat.presenceCmds(ctx, p, members)
		for id, r := range rooms {
			r.meta = p.HGetAll(ctx, s.k.room(id))
			r.isMember = p.SMIsMember(ctx, s.k.members(id), boxed(r.members)...)
			r.markers = hmget(ctx, p, s.k.read(id), r.members...)
			for line := range r.lines {
				r.lines[line] = p.XRange(ctx, s.k.lines(id), line, line)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("read state of %d batches: %w", len(batches), err)
	}
	userData := users.Val()
	presences := s.chat.presenceList(members, presence)
	states = make([]BatchState, len(batches))
	errs = make([]error, len(batches))
	for i, b := range batches {
		st := &states[i]
		at := memberAt[b.Member]
		if at < len(userData) && userData[at] != "" {
			data := userData[at]
			if st.Member, errs[i] = s.decodeUser(b.Member, data); errs[i] != nil {
				continue
			}
			st.MemberFound = true
		}
		r := rooms[b.Room]
		st.Room, st.RoomFound = decodeRoom(b.Room, r.meta.Val(), nil)
		ra := r.memberAt[b.Member]
		if in := r.isMember.Val(); ra < len(in) {
			st.IsMember = in[ra]
		}
		if markers := r.markers.Val(); ra < len(markers) {
			st.ReadMarker = markers[ra]
		}
		st.Presence = presences[at]
		for _, j := range b.Jobs {
			lines, err := r.line(s, b.Room, j.Line)
			if err != nil {
				errs[i] = fmt.Errorf("batch %s: %w", b.name, err)
				break
			}
			st.Lines = append(st.Lines, lines...)
		}
	}
	return states, errs, nil
}
