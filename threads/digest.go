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

// Digest selection. A member's digest holds, per room, the lines they have
// not seen: lines after both their read marker (read live) and their
// "digested" marker (covered by an earlier digest), written by someone
// else, and either newer than their "emailed" marker (not yet carried by
// email or SMS) or held for the digest by routing (Channel Hold). The
// delivery worker moves the emailed marker when it settles a batch sent
// (Queue.BatchDelivered; MarkEmailed alone); fan-out records held lines;
// DigestSent moves the digested marker once a digest went out.

// DigestLimits bound what a digest shows of one room.
type DigestLimits struct {
	// Whole: a room with at most this many unseen lines is shown whole (8).
	Whole int
	// First and Last: a longer room shows its first and last lines (3 each)
	// and is summarised (count, who took part).
	First, Last int
}

func (l DigestLimits) withDefaults() DigestLimits {
	if l.Whole <= 0 {
		l.Whole = 8
	}
	if l.First <= 0 {
		l.First = 3
	}
	if l.Last <= 0 {
		l.Last = 3
	}
	l.Whole = max(l.Whole, l.First+l.Last)
	return l
}

// DigestRoom is what a digest says about one room.
type DigestRoom struct {
	Room Room `json:"room"`
	// Count is the number of unseen lines.
	Count int `json:"count"`
	// First are the unseen lines, oldest first: all of them when the room
	// is not summarised, else the first few.
	First []Line `json:"first"`
	// Last are the last few unseen lines when the room is summarised
	// (Count > len(First)+len(Last)); empty otherwise.
	Last []Line `json:"last,omitempty"`
	// People are the names of those who wrote the unseen lines, in the
	// order of their first line.
	People []string `json:"people"`
	// Newest is when the newest unseen line was posted.
	Newest time.Time `json:"newest"`
	// Upto is the id of the newest line looked at: the room's digested
	// marker once the digest is sent.
	Upto string `json:"upto"`
}

// Summarised reports whether only the first and last lines are shown.
func (r DigestRoom) Summarised() bool { return len(r.Last) > 0 }

// Omitted is the number of lines between First and Last that are not shown.
func (r DigestRoom) Omitted() int { return r.Count - len(r.First) - len(r.Last) }

// DigestContent is what one member has not seen, newest rooms first.
type DigestContent struct {
	Member User         `json:"member"`
	Rooms  []DigestRoom `json:"rooms"`
}

// Lines is the number of unseen lines over all rooms.
func (d DigestContent) Lines() int {
	n := 0
	for _, r := range d.Rooms {
		n += r.Count
	}
	return n
}

// digestPage is how many lines one read of a room takes.
const digestPage = 500

// maxHeld caps each member's held set in a room (the oldest go first).
const maxHeld = 10000

// SelectDigest gathers, for each room of member, the lines the member has
// not seen (see the comment at the top of this file), summarising long
// rooms as limits say. Rooms with nothing unseen are left out; rooms are
// ordered newest first. Reading pages through each room's lines, so a room
// with many unseen lines costs round trips, not memory.
func (s *Digests) SelectDigest(ctx context.Context, member string, limits DigestLimits) (DigestContent, error) {
	limits = limits.withDefaults()
	u, err := s.dir.User(ctx, member)
	if err != nil {
		return DigestContent{}, err
	}
	rooms, err := s.chat.RoomsOf(ctx, member)
	if err != nil {
		return DigestContent{}, err
	}
	out := DigestContent{Member: u}
	for _, r := range rooms {
		dr, err := s.digestRoom(ctx, r, member, limits)
		if err != nil {
			return DigestContent{}, err
		}
		if dr.Count > 0 {
			out.Rooms = append(out.Rooms, dr)
		}
	}
	sort.SliceStable(out.Rooms, func(i, j int) bool { return out.Rooms[i].Newest.After(out.Rooms[j].Newest) })
	return out, nil
}

// digestMarkers are one member's markers in one room.
type digestMarkers struct {
	read, emailed, digested string
	held                    map[string]bool
}

func (s *Digests) markers(ctx context.Context, room, member string) (digestMarkers, error) {
	var read, emailed, digested *redis.StringCmd
	var held *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		read = p.HGet(ctx, s.k.read(room), member)
		emailed = p.HGet(ctx, s.k.emailed(room), member)
		digested = p.HGet(ctx, s.k.digested(room), member)
		held = p.ZRange(ctx, s.k.heldFor(room, member), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return digestMarkers{}, fmt.Errorf("digest markers of %s in %s: %w", member, room, err)
	}
	m := digestMarkers{read: read.Val(), emailed: emailed.Val(), digested: digested.Val(), held: map[string]bool{}}
	for _, id := range held.Val() {
		m.held[id] = true
	}
	return m, nil
}

// wanted reports whether line l belongs in member's digest. Auto-replies
// never leave the room, not even in a digest.
func (m digestMarkers) wanted(l Line, member string) bool {
	if l.Author == member || l.Origin == FromAutoReply || Seen(l.ID, m.read) || Seen(l.ID, m.digested) {
		return false
	}
	return !Seen(l.ID, m.emailed) || m.held[l.ID]
}

func (s *Digests) digestRoom(ctx context.Context, r Room, member string, limits DigestLimits) (DigestRoom, error) {
	m, err := s.markers(ctx, r.ID, member)
	if err != nil {
		return DigestRoom{}, err
	}
	dr := DigestRoom{Room: r}
	after := m.read
	if m.digested != "" && (after == "" || compareStreamIDs(m.digested, after) > 0) {
		after = m.digested
	}
	var ring []Line // the last limits.Whole lines, once First is full
	seen := map[string]bool{}
	for {
		page, err := s.chat.Lines(ctx, r.ID, Range{After: after, Limit: digestPage})
		if err != nil {
			return DigestRoom{}, err
		}
		for _, l := range page {
			dr.Upto = l.ID
			if !m.wanted(l, member) {
				continue
			}
			dr.Count++
			dr.Newest = l.Time
			if name := lineName(l); !seen[name] && l.Origin != FromSystem {
				seen[name] = true
				dr.People = append(dr.People, name)
			}
			if len(dr.First) < limits.First {
				dr.First = append(dr.First, l)
				continue
			}
			ring = append(ring, l)
			if len(ring) > limits.Whole {
				ring = ring[1:]
			}
		}
		if len(page) < digestPage {
			break
		}
		after = page[len(page)-1].ID
	}
	if dr.Count <= limits.Whole {
		dr.First = append(dr.First, ring...)
	} else {
		dr.Last = append([]Line(nil), ring[len(ring)-limits.Last:]...)
	}
	return dr, nil
}

func lineName(l Line) string {
	if l.Name != "" {
		return l.Name
	}
	return l.Author
}

// MarkEmailed records that member was sent room's lines up to line by
// email or SMS: the digest leaves them out. The marker only moves forward.
func (s *Digests) MarkEmailed(ctx context.Context, room, member, line string) error {
	if err := checkLineID(line); err != nil {
		return err
	}
	if err := scriptMarkRead.Run(ctx, s.rdb, []string{s.k.emailed(room)}, member, line).Err(); err != nil {
		return fmt.Errorf("mark %s emailed to %s in %s: %w", line, member, room, err)
	}
	return nil
}

// checkLineID refuses what is not a full line id (milliseconds and sequence).
func checkLineID(line string) error {
	if !streamID.MatchString(line) || !strings.Contains(line, "-") {
		return invalid("line id %q is not like 1732500000000-0", line)
	}
	return nil
}

// holdForDigest queues, on p, the record that routing held line for
// member's digest.
func (s *Digests) holdForDigest(ctx context.Context, p redis.Pipeliner, line Line, member string) {
	ms, _ := splitID(line.ID)
	key := s.k.heldFor(line.Room, member)
	p.ZAdd(ctx, key, redis.Z{Score: float64(ms), Member: line.ID})
	p.ZRemRangeByRank(ctx, key, 0, -maxHeld-1)
}

// DigestSent records that a digest carried d's lines: each room's digested
// marker moves to the newest line looked at, and the held lines up to it
// are forgotten. Call it only after the digest was handed to the mail
// server: lines are never lost from digests, at worst shown twice.
func (s *Digests) DigestSent(ctx context.Context, d DigestContent) error {
	err := s.scriptPipeline(ctx, scriptDigested, func(p redis.Pipeliner) {
		for _, r := range d.Rooms {
			if r.Upto == "" {
				continue
			}
			ms, _ := splitID(r.Upto)
			scriptDigested.EvalSha(ctx, p, []string{s.k.digested(r.Room.ID), s.k.heldFor(r.Room.ID, d.Member.ID)},
				d.Member.ID, r.Upto, strconv.FormatUint(ms, 10))
		}
	})
	if err != nil {
		return fmt.Errorf("record digest of %s: %w", d.Member.ID, err)
	}
	s.opts.Observer.DigestSent()
	return nil
}
