package threads

import (
	"crypto/sha256"
	"errors"
	"strings"
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

// TestRepeatHash: the streamed hash is the digest of the member, a NUL and
// the text lowered with its white space collapsed, for every kind of text.
func TestRepeatHash(t *testing.T) {
	long := strings.Repeat("Quoted LINE\twith  ÉTÉ and İstanbul\n", 40)
	for _, text := range []string{"", "   ", "Ship it", "  ship \t IT\r\n", "ÀÉÎÕÜ ΣΑΣ", "bad \xff\xfe utf8", long, long + "\xc3",
		strings.Repeat("x", 511) + " y", strings.Repeat("x", 512) + " y", strings.Repeat("x", 510) + "É y", strings.Repeat("ab ", 700)} {
		want := sha256.Sum256([]byte("bob\x00" + strings.Join(strings.Fields(strings.ToLower(text)), " ")))
		if got := repeatHash("bob", text); got != want {
			t.Errorf("repeatHash(%.30q) = %x, want %x", text, got[:6], want[:6])
		}
	}
	if repeatHash("bob", "Ship it") == repeatHash("carol", "Ship it") {
		t.Error("two members' texts share a hash")
	}
}

// FuzzRepeatHash holds repeatHash to its definition for any text.
func FuzzRepeatHash(f *testing.F) {
	for _, text := range []string{"", " ", "Ship it", "  ship \t IT\r\n", "ÀÉÎÕÜ ΣΑΣ", "bad \xff\xfe utf8", "a\u0085b\u00a0c\u3000d", "\xc3"} {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want := sha256.Sum256([]byte("bob\x00" + strings.Join(strings.Fields(strings.ToLower(text)), " ")))
		if got := repeatHash("bob", text); got != want {
			t.Errorf("repeatHash(%q) = %x, want %x", text, got[:6], want[:6])
		}
	})
}

func BenchmarkRepeatHash(b *testing.B) {
	for name, text := range map[string]string{
		"words":      strings.Repeat("a line of an emailed reply, quoted > and all\n", 45),
		"long lines": strings.Repeat(strings.Repeat("X", 78)+"\r\n", 26), // smtp-source's
		"non-ASCII":  strings.Repeat("Ça a été réglé, à demain ! Σας ευχαριστώ.\n", 45),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				repeatHash("bob", text)
			}
		})
	}
}

// TestPostLoopCheck: a line posted with LoopCheck goes through the loop
// breaker in the post's own script: a repeated text and a line over the
// rate are refused with a *LoopError and not stored, a redelivery of the
// same message is a duplicate, and a line without LoopCheck is not
// counted.
func TestPostLoopCheck(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	opts := e.Store.opts
	opts.EmailLinesPerMinute = 3
	s := New(e.redis.Client, opts)
	for i, tc := range []struct {
		text, source string
		check        bool
		want         LoopVerdict // LoopOK: posted
		dup          bool
	}{
		{"Ship it", "<1@x>", true, LoopOK, false},
		{"Ship it", "<1@x>", true, LoopOK, true},        // the same message again: dedupe answers
		{"  ship IT", "<2@x>", true, LoopRepeat, false}, // the same text in another message
		{"Ship it", "", false, LoopOK, false},           // no check asked: posted, not counted
		{"!urgent Ship it", "<3@x>", true, LoopOK, false},
		{"Fourth", "<4@x>", true, LoopRate, false}, // the fourth counted line of the minute
	} {
		p, err := s.Chat.Post(e.ctx, NewLine{Room: "design", Author: "bob", Text: tc.text, Origin: FromEmail, SourceID: tc.source, LoopCheck: tc.check})
		var loop *LoopError
		switch {
		case tc.want != LoopOK && (!errors.As(err, &loop) || loop.Verdict != tc.want):
			t.Errorf("post %d: %v, want a loop error %v", i, err, tc.want)
		case tc.want == LoopOK && (err != nil || p.Duplicate != tc.dup):
			t.Errorf("post %d: duplicate %v, %v; want posted (duplicate %v)", i, p.Duplicate, err, tc.dup)
		}
	}
	lines, err := s.Chat.Lines(e.ctx, "design", Range{})
	if err != nil || len(lines) != 3 {
		t.Errorf("%d lines stored (%v), want the 3 posted", len(lines), err)
	}
}
