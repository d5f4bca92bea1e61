package threads

import (
	"testing"
)

// TestCheckEmailLoop: the same text from one sender in one room is a
// repeat unless it is the same message again, and the eleventh line of the
// minute is over the rate; with a negative RepeatWindow (a load test) the
// same text is no repeat, and the rate still counts.
func TestCheckEmailLoop(t *testing.T) {
	type check struct {
		room, member, text, source string
		want                       LoopVerdict
	}
	for _, tc := range []struct {
		name   string
		window int // 0: the default hour; -1: no repeat check
		limit  int
		checks []check
	}{
		{"repeats", 0, 10, []check{
			{"design", "bob", "Ship it", "<1@x>", LoopOK},
			{"design", "bob", "Ship it", "<1@x>", LoopOK},          // the same message redelivered
			{"design", "bob", "  ship   IT ", "<2@x>", LoopRepeat}, // the same text, case and spaces aside
			{"design", "carol", "Ship it", "<3@x>", LoopOK},        // another sender
			{"ops", "bob", "Ship it", "<4@x>", LoopOK},             // another room
		}},
		{"rate", 0, 2, []check{
			{"design", "bob", "one", "<1@x>", LoopOK},
			{"design", "bob", "two", "<2@x>", LoopOK},
			{"design", "bob", "three", "<3@x>", LoopRate},
		}},
		{"no repeat check", -1, 3, []check{
			{"design", "bob", "Ship it", "<1@x>", LoopOK},
			{"design", "bob", "Ship it", "<2@x>", LoopOK},
			{"design", "bob", "Ship it", "<3@x>", LoopOK},
			{"design", "bob", "Ship it", "<4@x>", LoopRate},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			opts := e.Store.opts
			opts.EmailLinesPerMinute = tc.limit
			if tc.window < 0 {
				opts.RepeatWindow = -1
			}
			s := New(e.redis.Client, opts)
			for i, c := range tc.checks {
				got, err := s.Chat.CheckEmailLoop(e.ctx, c.room, c.member, c.text, c.source)
				if err != nil || got != c.want {
					t.Errorf("check %d (%s in %s: %q): %v, %v; want %v", i, c.member, c.room, c.text, got, err, c.want)
				}
			}
		})
	}
}
