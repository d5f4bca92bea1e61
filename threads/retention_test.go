package threads

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// lineAt stores a line as Post would have at time at: its stream id holds
// that time (Redis's clock cannot be moved, the store's can).
func (e *env) lineAt(t *testing.T, room string, at time.Time, text string) {
	t.Helper()
	ms := at.UnixMilli()
	err := e.redis.Client.XAdd(e.ctx, &redis.XAddArgs{Stream: e.k.lines(room), ID: strconv.FormatInt(ms, 10) + "-0",
		Values: []any{"a", "alice", "n", "Alice", "t", text, "o", "api", "ts", ms}}).Err()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.redis.Client.ZAdd(e.ctx, e.k.pending(room), redis.Z{Score: float64(ms), Member: text}).Err(); err != nil {
		t.Fatal(err)
	}
}

func (e *env) texts(t *testing.T, room string) []string {
	t.Helper()
	lines, err := e.Chat.Lines(e.ctx, room, Range{})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, l := range lines {
		out = append(out, l.Text)
	}
	return out
}

func TestApplyRetention(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	now := e.clock.Now()
	ages := []int{40, 10, 8, 6, 1} // days
	for _, r := range []string{"design", "legal", "ops"} {
		e.room(t, r, Group, "alice", "bob")
		for _, d := range ages {
			e.lineAt(t, r, now.Add(-time.Duration(d)*24*time.Hour), fmt.Sprintf("%dd", d))
		}
	}
	// Nothing set: lines are kept forever.
	if n, err := e.Chat.ApplyRetention(e.ctx); err != nil || n != 0 {
		t.Fatalf("ApplyRetention with no policy = %d, %v", n, err)
	}
	for _, set := range []struct {
		room string
		days int
	}{{"", 7}, {"legal", 0}, {"ops", 30}} {
		if err := e.Chat.SetRetention(e.ctx, "cli", set.room, set.days); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Chat.Retention(e.ctx)
	if want := (RetentionPolicy{Default: 7, Rooms: map[string]int{"legal": 0, "ops": 30}}); err != nil || !reflect.DeepEqual(p, want) {
		t.Fatalf("Retention = %+v, %v; want %+v", p, err, want)
	}
	fresh := e.post(t, "design", "alice", "just now") // a real post, stored at Redis's time

	n, err := e.Chat.ApplyRetention(e.ctx)
	if err != nil || n != 4 {
		t.Fatalf("ApplyRetention = %d, %v; want 4 (3 in design, 1 in ops)", n, err)
	}
	want := map[string][]string{
		"design": {"6d", "1d", "just now"},
		"legal":  {"40d", "10d", "8d", "6d", "1d"},
		"ops":    {"10d", "8d", "6d", "1d"},
	}
	for r, w := range want {
		if got := e.texts(t, r); !reflect.DeepEqual(got, w) {
			t.Errorf("%s after retention: %q, want %q", r, got, w)
		}
	}
	// The removed lines' fan-out records went with them.
	if left := e.redis.Client.ZRange(e.ctx, e.k.pending("design"), 0, -1).Val(); !reflect.DeepEqual(left, []string{"6d", "1d"}) {
		t.Errorf("design's pending records after retention: %q", left)
	}
	if _, err := e.Chat.Line(e.ctx, "design", fresh.Line.ID); err != nil {
		t.Errorf("the fresh line: %v", err)
	}
	// Again: nothing more to do.
	if n, err := e.Chat.ApplyRetention(e.ctx); err != nil || n != 0 {
		t.Fatalf("second ApplyRetention = %d, %v", n, err)
	}

	// Two days later, from two processes at once: the 6-day lines of design
	// (now 8 days old) go once, counted once.
	e.clock.Add(48 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if counts[i], err = e.Chat.ApplyRetention(e.ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Fatalf("concurrent runs removed %v lines, want 1 in all", counts)
	}

	// The override goes: ops follows the default of 7 days.
	if err := e.Chat.ResetRetention(e.ctx, "cli", "ops"); err != nil {
		t.Fatal(err)
	}
	if by, err := e.Chat.ApplyRetentionByRoom(e.ctx); err != nil || !reflect.DeepEqual(by, map[string]int{"ops": 3}) {
		t.Fatalf("after reset: removed %v, %v; want 3 from ops", by, err)
	}
	if got := e.texts(t, "ops"); !reflect.DeepEqual(got, []string{"1d"}) {
		t.Fatalf("ops after reset: %q", got)
	}

	log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{Action: "retention."})
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" "+a.Target+": "+a.Detail)
	}
	wantLog := []string{"retention.reset room ops: follows the default", "retention.set room ops: 30 days",
		"retention.set room legal: keep forever", "retention.set all rooms: 7 days"}
	if !reflect.DeepEqual(got, wantLog) {
		t.Fatalf("audit %q, want %q", got, wantLog)
	}
}

func TestSetRetentionBadInput(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		room string
		days int
		err  error
	}{
		{"", -1, ErrInvalid},
		{"", MaxRetentionDays + 1, ErrInvalid},
		{"nope", 3, ErrNotFound},
		{"Bad Room", 3, ErrInvalid},
	}
	for _, c := range cases {
		if err := e.Chat.SetRetention(e.ctx, "cli", c.room, c.days); !errors.Is(err, c.err) {
			t.Errorf("SetRetention(%q, %d) = %v, want %v", c.room, c.days, err, c.err)
		}
	}
	if err := e.Chat.ResetRetention(e.ctx, "cli", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ResetRetention of an unknown room: %v", err)
	}
	if log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{}); len(log) != 0 {
		t.Errorf("refused changes were audited: %+v", log)
	}
	if n := e.rdb.Exists(e.ctx, e.k.room("nope")).Val(); n != 0 {
		t.Errorf("setting the retention of an unknown room created it")
	}
}
