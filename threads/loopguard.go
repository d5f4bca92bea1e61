package threads

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Mail loops beyond RFC 3834. Two mailboxes that auto-answer without the
// usual headers answer each other through parley for ever. Two rules
// break that: a sender may post at most a few lines a minute by email in
// one room, and the same text from the same sender in one room within an
// hour is a repeat, dropped.

// Defaults of the loop breaker.
const (
	// DefaultEmailLinesPerMinute is how many lines one sender may post by
	// email in one room per minute.
	DefaultEmailLinesPerMinute = 10
	// RepeatWindow is how long a sender's text is remembered per room.
	RepeatWindow = time.Hour
)

// LoopVerdict is what the loop breaker says of an emailed line.
type LoopVerdict int

// Loop verdicts.
const (
	// LoopOK: post the line.
	LoopOK LoopVerdict = iota
	// LoopRate: the sender posted too many lines by email in the room this minute.
	LoopRate
	// LoopRepeat: the sender posted the same text in the room within
	// RepeatWindow (Options.RepeatWindow).
	LoopRepeat
)

// repeatHash names a text of member for the repeat check: the SHA-256 of
// the member, a NUL and the text in lower case with its runs of white
// space made one space and cut at both ends, so that a text differing only
// in case or spacing is the same text. It reads the text once, a byte at a
// time while it is ASCII, and writes it into the hash in blocks: the door
// checks every emailed line, some 2 KB long.
func repeatHash(member, text string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(member))
	h.Write([]byte{0})
	var buf [512]byte
	b := buf[:0]
	// space: white space was seen since the last word; it becomes one
	// space before the next word, none at the ends.
	space, started := false, false
	for i := 0; i < len(text); {
		if len(b) > len(buf)-1-utf8.UTFMax {
			h.Write(b)
			b = buf[:0]
		}
		if c := text[i]; c < utf8.RuneSelf {
			if asciiSpace[c] != 0 {
				space = started
				i++
				continue
			}
			if space {
				b = append(b, ' ')
				space = false
			}
			started = true
			// The rest of an ASCII word, as far as the buffer goes.
			for n := len(buf) - 1; i < len(text) && len(b) < n; i++ {
				c := text[i]
				if c >= utf8.RuneSelf || asciiSpace[c] != 0 {
					break
				}
				b = append(b, asciiLower[c])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.IsSpace(r) {
			space = started
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		started = true
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	h.Write(b)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// asciiSpace is white space among ASCII bytes, as strings.Fields sees
// it; asciiLower maps an ASCII byte to lower case.
var asciiSpace, asciiLower = func() (sp, lo [utf8.RuneSelf]byte) {
	for c := range lo {
		lo[c] = lower(byte(c))
	}
	for _, c := range " \t\n\v\f\r" {
		sp[c] = 1
	}
	return sp, lo
}()

// loopGuardLua checks and counts one emailed line: guard(rate, repeat,
// limit, source, window) with the sender's per-minute counter in the room,
// the text's repeat record, the limit, the message's source id (a
// redelivery of the same message is not a repeat: Post's dedupe answers
// it) and the repeat window in seconds (0: no repeat check). It returns a
// LoopVerdict. scriptLoopGuard runs it alone; the post script runs it
// first for a line posted with NewLine.LoopCheck.
const loopGuardLua = `
local function guard(rate, repeated, limit, source, window)
  window = tonumber(window)
  if window > 0 then
    local seen = redis.call('GET', repeated)
    if seen and seen ~= source then return 2 end
  end
  local n = redis.call('INCR', rate)
  if n == 1 then redis.call('EXPIRE', rate, 60) end
  if n > tonumber(limit) then return 1 end
  if window > 0 then redis.call('SET', repeated, source, 'EX', window) end
  return 0
end
`

// scriptLoopGuard is the loop check alone. KEYS: the sender's per-minute
// counter in the room, the text's repeat record. ARGV: the limit, the
// message's source id, the repeat window in seconds.
var scriptLoopGuard = redis.NewScript(loopGuardLua + `
return guard(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
`)

// LoopError is Post's error for a line that NewLine.LoopCheck dropped:
// nothing was written.
type LoopError struct{ Verdict LoopVerdict }

func (e *LoopError) Error() string {
	if e.Verdict == LoopRate {
		return "loop breaker: too many lines by email this minute"
	}
	return "loop breaker: the same text again within the hour"
}

// loopCheck is the loop breaker's keys and arguments for a line of member
// in room with text and source id: what CheckEmailLoop and the post script
// (NewLine.LoopCheck) send.
func (s *Chat) loopCheck(room, member, text, sourceID string) (keys []string, limit, source string, window int) {
	h := repeatHash(member, text)
	if sourceID == "" {
		sourceID = "-"
	}
	return []string{s.k.emailRate(room, member), s.k.repeat(room, hex.EncodeToString(h[:12]))},
		strconv.Itoa(s.opts.EmailLinesPerMinute), sourceID, int(max(s.opts.RepeatWindow, 0) / time.Second)
}

// CheckEmailLoop counts a line member is about to post in room by email
// and says whether to post it. sourceID is the message's id (its
// Message-ID), so that the same message delivered twice is no repeat.
func (s *Chat) CheckEmailLoop(ctx context.Context, room, member, text, sourceID string) (LoopVerdict, error) {
	keys, limit, source, window := s.loopCheck(room, member, text, sourceID)
	// Through the shared pipelines (batcher.go): the SMTP door's sessions
	// check at once, and share their round trips.
	var check *redis.Cmd
	err := s.scriptBatched(ctx, scriptLoopGuard, func(p redis.Pipeliner) {
		check = scriptLoopGuard.EvalSha(ctx, p, keys, limit, source, window)
	})
	v := 0
	if err == nil {
		v, err = check.Int()
	}
	if err != nil {
		return LoopOK, fmt.Errorf("loop check in %s: %w", room, err)
	}
	return LoopVerdict(v), nil
}
