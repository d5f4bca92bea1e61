package threads

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// UnreadCap is the most unread lines Unread counts in one room; a room
// with more shows "99+".
const UnreadCap = 99

// Unread is what a member has not read in one room: lines by others after
// their read marker, and how many of those mention them. The counts come
// from the read markers in Redis, so every device shows the same.
type Unread struct {
	Lines    int `json:"lines"`
	Mentions int `json:"mentions"`
	// More: there are more than UnreadCap unread lines.
	More bool `json:"more,omitempty"`
	// Upto is the newest line counted (or the read marker when none is
	// unread): a live client counts only lines after it.
	Upto string `json:"upto,omitempty"`
}

// scriptUnread counts a member's unread lines in one room.
// KEYS: read, lines. ARGV: member, @member (lower case), cap.
// Returns {count, more, upto, text...}: the texts are those of unread lines that
// may mention the member (Go checks each with Mentions), and every sealed
// text (it starts with a NUL byte, seal.go): Redis cannot read those, so
// Go opens them.
var scriptUnread = redis.NewScript(`
local marker = redis.call('HGET', KEYS[1], ARGV[1])
local lo = '-'
if marker then lo = '(' .. marker end
local cap = tonumber(ARGV[3])
local entries = redis.call('XREVRANGE', KEYS[2], '+', lo, 'COUNT', cap + 1)
local out = {0, 0, marker or ''}
if entries[1] then out[3] = entries[1][1] end
for i, e in ipairs(entries) do
  if i > cap then out[2] = 1; break end
  local f = e[2]
  local author, text = nil, ''
  for j = 1, #f, 2 do
    if f[j] == 'a' then author = f[j+1] elseif f[j] == 't' then text = f[j+1] end
  end
  if author ~= ARGV[1] then
    out[1] = out[1] + 1
    if string.byte(text, 1) == 0 or string.find(string.lower(text), ARGV[2], 1, true) then table.insert(out, text) end
  end
end
return out
`)

// Unread counts what member has not read in each of rooms, in one round
// trip. A room the member never marked counts all its lines (up to the cap).
func (s *Chat) Unread(ctx context.Context, member string, rooms []string) (map[string]Unread, error) {
	if err := ValidID("user", member); err != nil {
		return nil, err
	}
	cmds := make([]*redis.Cmd, len(rooms))
	err := s.scriptPipeline(ctx, scriptUnread, func(p redis.Pipeliner) {
		for i, r := range rooms {
			cmds[i] = scriptUnread.EvalSha(ctx, p, []string{s.k.read(r), s.k.lines(r)}, member, "@"+member, UnreadCap)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("unread lines of %s: %w", member, err)
	}
	out := make(map[string]Unread, len(rooms))
	for i, r := range rooms {
		vals, err := cmds[i].Slice()
		if err != nil {
			return nil, fmt.Errorf("unread lines of %s in %s: %w", member, r, err)
		}
		var u Unread
		if len(vals) >= 3 {
			n, _ := vals[0].(int64)
			more, _ := vals[1].(int64)
			u.Lines, u.More = int(n), more == 1
			u.Upto, _ = vals[2].(string)
		}
		for _, v := range vals[min(3, len(vals)):] {
			text, _ := v.(string)
			if text, err = s.open("unread line in "+r, text); err != nil {
				return nil, err
			}
			if contains(Mentions(text), strings.ToLower(member)) {
				u.Mentions++
			}
		}
		out[r] = u
	}
	return out, nil
}
