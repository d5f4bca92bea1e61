package threads

import (
	"errors"
	"testing"
	"time"
)

// TestThresholdsShared: two processes started with different idle times
// (PARLEY_IDLE_AFTER) compute the same presence once the thresholds are in
// Redis, and both follow a change from their next read.
func TestThresholdsShared(t *testing.T) {
	e := newEnv(t) // idle 5 min by default
	other := New(e.redis.Client, Options{Prefix: e.redis.Prefix, Now: e.clock.Now, IdleAfter: time.Hour, OfflineAfter: 2 * time.Hour})
	e.seed(t, "bob")
	if err := e.Chat.Heartbeat(e.ctx, "bob", Beat{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(10 * time.Minute)
	states := func() (State, State) {
		t.Helper()
		a, err1 := e.Chat.Presence(e.ctx, "bob")
		b, err2 := other.Chat.Presence(e.ctx, "bob")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return a.State, b.State
	}
	if a, b := states(); a != StateAway || b != StateOnline {
		t.Fatalf("before any thresholds are stored each process uses its own: %s, %s", a, b)
	}
	// The first process to start seeds them; the second does not override.
	if err := e.Chat.SeedThresholds(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.Chat.SeedThresholds(e.ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := states(); a != StateAway || b != StateAway {
		t.Fatalf("after seeding: %s, %s", a, b)
	}
	steps := []struct {
		set  Thresholds
		want State
	}{
		{Thresholds{IdleAfter: 15 * time.Minute}, StateOnline},
		{Thresholds{IdleAfter: time.Minute, OfflineAfter: 5 * time.Minute}, StateOffline},
		{Thresholds{OfflineAfter: time.Hour}, StateAway},
	}
	for _, s := range steps {
		if _, err := other.Chat.SetThresholds(e.ctx, "admin", s.set); err != nil {
			t.Fatal(err)
		}
		if a, b := states(); a != s.want || b != s.want {
			t.Errorf("after %+v: %s and %s, want %s", s.set, a, b, s.want)
		}
	}
	if got, _ := e.Chat.Thresholds(e.ctx); got != (Thresholds{IdleAfter: time.Minute, OfflineAfter: time.Hour}) {
		t.Errorf("thresholds %+v", got)
	}
}

func TestSetThresholdsBadInput(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []Thresholds{
		{IdleAfter: time.Millisecond},
		{IdleAfter: time.Hour, OfflineAfter: time.Minute},
		{OfflineAfter: time.Minute}, // shorter than the 5 min in force
		{OfflineAfter: 365 * 24 * time.Hour},
	} {
		if _, err := e.Chat.SetThresholds(e.ctx, "admin", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetThresholds(%+v) = %v, want invalid", bad, err)
		}
	}
}
