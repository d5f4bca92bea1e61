package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxRetentionDays is the longest retention that can be set (100 years);
// 0 means keep forever.
const MaxRetentionDays = 36500

// retentionField names the retention in days in the settings hash and in a
// room's meta hash (the room's override).
const retentionField = "retention_days"

// RetentionPolicy says how long lines are kept: Default for every room,
// Rooms for the rooms that override it. 0 days keeps lines forever.
type RetentionPolicy struct {
	Default int            `json:"default_days"`
	Rooms   map[string]int `json:"rooms,omitempty"`
}

// Days returns the retention in force for a room.
func (p RetentionPolicy) Days(room string) int {
	if d, ok := p.Rooms[room]; ok {
		return d
	}
	return p.Default
}

func validRetention(days int) error {
	if days < 0 || days > MaxRetentionDays {
		return invalid("retention of %d days is not between 0 (keep forever) and %d", days, MaxRetentionDays)
	}
	return nil
}

// SetRetention sets how many days lines are kept: for every room when room
// is "", else as that room's override. 0 keeps lines forever. Lines go when
// ApplyRetention next runs. Audited under actor.
func (s *Chat) SetRetention(ctx context.Context, actor, room string, days int) error {
	if err := validRetention(days); err != nil {
		return err
	}
	target := "all rooms"
	if room == "" {
		if err := s.rdb.HSet(ctx, s.k.settings(), retentionField, days).Err(); err != nil {
			return fmt.Errorf("set retention: %w", err)
		}
	} else {
		if err := s.setRoomRetention(ctx, room, strconv.Itoa(days)); err != nil {
			return err
		}
		target = "room " + room
	}
	return s.dir.auditDone(ctx, AuditEntry{Actor: actor, Action: "retention.set", Target: target,
		Detail: describeDays(days)})
}

// ResetRetention removes a room's override: the room follows the default
// again. Audited under actor.
func (s *Chat) ResetRetention(ctx context.Context, actor, room string) error {
	if err := s.setRoomRetention(ctx, room, ""); err != nil {
		return err
	}
	return s.dir.auditDone(ctx, AuditEntry{Actor: actor, Action: "retention.reset", Target: "room " + room,
		Detail: "follows the default"})
}

// setRoomRetention sets (or, with "", removes) a room's override, only if
// the room exists.
func (s *Chat) setRoomRetention(ctx context.Context, room, days string) error {
	if err := ValidID("room", room); err != nil {
		return err
	}
	n, err := scriptRoomSetting.Run(ctx, s.rdb, []string{s.k.room(room)}, retentionField, days).Int()
	if err != nil {
		return fmt.Errorf("set retention of room %s: %w", room, err)
	}
	if n == 0 {
		return fmt.Errorf("room %s: %w", room, ErrNotFound)
	}
	return nil
}

// scriptRoomSetting sets or (value "") removes a field of an existing
// room's meta hash. KEYS: meta. ARGV: field, value. Returns 0 when the
// room does not exist.
var scriptRoomSetting = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`)

func describeDays(days int) string {
	if days == 0 {
		return "keep forever"
	}
	return strconv.Itoa(days) + " days"
}

// Retention returns the retention policy: the default and each room's
// override.
func (s *Chat) Retention(ctx context.Context) (RetentionPolicy, error) {
	p, _, err := s.retention(ctx)
	return p, err
}

// retention reads the policy and returns every room id with it.
func (s *Chat) retention(ctx context.Context) (RetentionPolicy, []string, error) {
	var p RetentionPolicy
	rooms, err := s.rdb.SMembers(ctx, s.k.rooms()).Result()
	if err != nil {
		return p, nil, fmt.Errorf("read retention: %w", err)
	}
	sort.Strings(rooms)
	var def *redis.StringCmd
	over := make([]*redis.StringCmd, len(rooms))
	_, err = s.rdb.Pipelined(ctx, func(pp redis.Pipeliner) error {
		def = pp.HGet(ctx, s.k.settings(), retentionField)
		for i, r := range rooms {
			over[i] = pp.HGet(ctx, s.k.room(r), retentionField)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return p, nil, fmt.Errorf("read retention: %w", err)
	}
	if v, err := def.Int(); err == nil {
		p.Default = v
	}
	for i, r := range rooms {
		if v, err := over[i].Int(); err == nil {
			if p.Rooms == nil {
				p.Rooms = map[string]int{}
			}
			p.Rooms[r] = v
		}
	}
	return p, rooms, nil
}

// ApplyRetention removes, in every room, the lines older than the room's
// retention, and returns how many it removed. See ApplyRetentionByRoom.
func (s *Chat) ApplyRetention(ctx context.Context) (int, error) {
	byRoom, err := s.ApplyRetentionByRoom(ctx)
	removed := 0
	for _, n := range byRoom {
		removed += n
	}
	return removed, err
}

// ApplyRetentionByRoom removes, in every room, the lines older than the
// room's retention, and returns how many it removed in each room that lost
// lines. A line's stream id holds the time Redis stored it, so each room's
// stream is cut at the id of the cutoff time (Redis's clock and parley's
// must agree to within what the retention can tell apart); the lines'
// fan-out records go with them, and the files the removed lines held are
// counted down (filerefs.go), so that a file no line holds any more is
// deleted and its links stop working. Running it from several processes
// at once is safe: each room is cut by one script, which returns the lines
// it removed, so each line (and each file) is counted by the process that
// removed it.
func (s *Chat) ApplyRetentionByRoom(ctx context.Context) (map[string]int, error) {
	p, rooms, err := s.retention(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := map[string]int{}
	for _, r := range rooms {
		d := p.Days(r)
		if d <= 0 {
			continue
		}
		cutoff := now.Add(-time.Duration(d) * 24 * time.Hour).UnixMilli()
		n, err := s.trimRoom(ctx, r, cutoff)
		if n > 0 {
			out[r] = n
		}
		if err != nil {
			return out, fmt.Errorf("apply retention: %w", err)
		}
	}
	return out, nil
}

// retentionChunk is the most lines one retention script removes.
const retentionChunk = 1000

// trimRoom removes the lines of room stored before cutoff (unix ms), a
// chunk at a time, and releases the files they held.
func (s *Chat) trimRoom(ctx context.Context, room string, cutoff int64) (int, error) {
	removed := 0
	for {
		res, err := scriptTrimLines.Run(ctx, s.rdb, []string{s.k.lines(room), s.k.pending(room)},
			strconv.FormatInt(cutoff, 10), retentionChunk).StringSlice()
		if err != nil {
			return removed, fmt.Errorf("trim %s: %w", room, err)
		}
		n, _ := strconv.Atoi(res[0])
		removed += n
		var files []string
		for _, at := range res[1:] {
			var atts []Attachment
			if json.Unmarshal([]byte(at), &atts) != nil {
				continue
			}
			for _, a := range atts {
				files = append(files, a.ID)
			}
		}
		if err := s.releaseFiles(ctx, files); err != nil {
			return removed, fmt.Errorf("trim %s: %w", room, err)
		}
		if n < retentionChunk {
			return removed, nil
		}
	}
}

// scriptTrimLines removes up to ARGV[2] lines stored before ARGV[1] (unix
// ms) and their fan-out records, and returns how many it removed and the
// attachments (JSON) of those that held files.
// KEYS: lines, pending. ARGV: cutoff ms, limit.
var scriptTrimLines = redis.NewScript(`
local limit = tonumber(ARGV[2])
local es = redis.call('XRANGE', KEYS[1], '-', '(' .. ARGV[1] .. '-0', 'COUNT', limit)
local out = {tostring(#es)}
if #es == 0 then return out end
for _, e in ipairs(es) do
  local f = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'at' then out[#out + 1] = f[i + 1] end
  end
end
local last = es[#es][1]
if #es < limit then
  redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1] .. '-0')
else
  redis.call('XTRIM', KEYS[1], 'MINID', last)
  redis.call('XDEL', KEYS[1], last)
end
local upto = ARGV[1]
if #es >= limit then upto = string.match(last, '^(%d+)') end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. upto)
return out
`)
