package twiliosms

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiterReserve(t *testing.T) {
	type step struct {
		at   time.Duration // clock since start
		key  string
		n    int
		wait time.Duration
	}
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"one a second", 1, 1, []step{
			{0, "a", 1, 0},
			{0, "a", 1, time.Second},
			{0, "a", 1, 2 * time.Second},
			{3 * time.Second, "a", 1, 0},
		}},
		{"numbers apart", 1, 1, []step{
			{0, "a", 1, 0},
			{0, "b", 1, 0},
			{0, "a", 1, time.Second},
		}},
		{"text larger than the bucket", 1, 1, []step{
			{0, "a", 3, 2 * time.Second},
			{0, "a", 1, 3 * time.Second},
			{10 * time.Second, "a", 2, time.Second},
		}},
		{"burst", 2, 4, []step{
			{0, "a", 2, 0},
			{0, "a", 2, 0},
			{0, "a", 1, 500 * time.Millisecond},
			{time.Second, "a", 1, 0},
		}},
		{"refill capped at burst", 1, 2, []step{
			{0, "a", 2, 0},
			{time.Hour, "a", 3, time.Second},
		}},
		{"clock going back is ignored", 1, 1, []step{
			{time.Second, "a", 1, 0},
			{0, "a", 1, time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var now time.Time
			l := newLimiter(tt.rate, tt.burst, func() time.Time { return now })
			for i, s := range tt.steps {
				now = start.Add(s.at)
				if got := l.reserve(s.key, s.n); got != s.wait {
					t.Errorf("step %d: reserve(%q, %d) at %v = %v, want %v", i, s.key, s.n, s.at, got, s.wait)
				}
			}
		})
	}
}

func TestLimiterWaitCancelRefunds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(1, 1, func() time.Time { return now })
	ctx := context.Background()
	if err := l.wait(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.wait(cctx, "a", 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context = %v", err)
	}
	// The cancelled reservation was given back: one second, not two.
	if d := l.reserve("a", 1); d != time.Second {
		t.Errorf("after refund, reserve waits %v, want 1s", d)
	}
}
