package threads

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestThreadSubject: the first subject stored for a member and room wins,
// for every later call, from any process (a second Store on the same
// Redis), and members and rooms do not share one.
func TestThreadSubject(t *testing.T) {
	e := newEnv(t)
	other := New(e.redis.Client, Options{Prefix: e.redis.Prefix})

	got, err := e.Chat.ThreadSubject(e.ctx, "design", "bob", "[Design] Alice: first words")
	if err != nil || got != "[Design] Alice: first words" {
		t.Fatalf("first = %q, %v", got, err)
	}
	for _, s := range []*Store{e.Store, other} {
		got, err := s.Chat.ThreadSubject(e.ctx, "design", "bob", "[Design] Carol: later words")
		if err != nil || got != "[Design] Alice: first words" {
			t.Errorf("later = %q, %v; want the first subject", got, err)
		}
	}
	if got, err := other.Chat.ThreadSubject(e.ctx, "design", "carol", "[Design] Carol: later words"); err != nil || got != "[Design] Carol: later words" {
		t.Errorf("second member = %q, %v", got, err)
	}
	if got, err := e.Chat.ThreadSubject(e.ctx, "ops", "bob", "[Ops] Dave: hi"); err != nil || got != "[Ops] Dave: hi" {
		t.Errorf("second room = %q, %v", got, err)
	}
	if n, err := e.redis.Client.TTL(e.ctx, e.Store.k.subjects("design")).Result(); err != nil || n != -1 {
		t.Errorf("TTL = %v, %v; want none", n, err)
	}

	// Racing first writers all get the one that won.
	var wg sync.WaitGroup
	res := make([]string, 8)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], _ = e.Chat.ThreadSubject(e.ctx, "race", "bob", "subject "+strings.Repeat("x", i+1))
		}()
	}
	wg.Wait()
	for _, r := range res {
		if r != res[0] || r == "" {
			t.Fatalf("racing writers got %q", res)
		}
	}

	for name, c := range map[string][3]string{
		"empty subject": {"design", "bob", ""},
		"long subject":  {"design", "bob", strings.Repeat("x", MaxThreadSubject+1)},
		"bad room":      {"de sign", "bob", "s"},
		"bad member":    {"design", "", "s"},
	} {
		if _, err := e.Chat.ThreadSubject(e.ctx, c[0], c[1], c[2]); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
