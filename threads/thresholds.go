package threads

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Thresholds turn a member without activity away (idle), then offline.
// They live in Redis so that every process — each `parley serve`, the
// CLI, the web page — computes the same presence; a process's
// Options.IdleAfter and OfflineAfter only seed them (SeedThresholds) and
// stand in while Redis has none.
type Thresholds struct {
	IdleAfter    time.Duration `json:"idle_after"`
	OfflineAfter time.Duration `json:"offline_after"`
}

// Bounds of the thresholds an admin may set.
const (
	MinIdleAfter    = time.Second
	MaxOfflineAfter = 30 * 24 * time.Hour
)

// Fields of {users}:thresholds, in milliseconds.
const (
	idleField    = "idle_ms"
	offlineField = "offline_ms"
)

func (t Thresholds) validate() error {
	switch {
	case t.IdleAfter < MinIdleAfter:
		return invalid("idle after %s is shorter than %s", t.IdleAfter, MinIdleAfter)
	case t.OfflineAfter < t.IdleAfter:
		return invalid("offline after %s is shorter than idle after %s", t.OfflineAfter, t.IdleAfter)
	case t.OfflineAfter > MaxOfflineAfter:
		return invalid("offline after %s is longer than %s", t.OfflineAfter, MaxOfflineAfter)
	}
	return nil
}

// SetThresholds stores the presence thresholds every process uses from
// its next presence read. A zero field keeps the value in force. Audited
// under actor.
func (s *Chat) SetThresholds(ctx context.Context, actor string, t Thresholds) (Thresholds, error) {
	cur, err := s.Thresholds(ctx)
	if err != nil {
		return Thresholds{}, err
	}
	if t.IdleAfter == 0 {
		t.IdleAfter = cur.IdleAfter
	}
	if t.OfflineAfter == 0 {
		t.OfflineAfter = cur.OfflineAfter
	}
	if err := t.validate(); err != nil {
		return Thresholds{}, err
	}
	if err := s.rdb.HSet(ctx, s.k.thresholds(), idleField, t.IdleAfter.Milliseconds(),
		offlineField, t.OfflineAfter.Milliseconds()).Err(); err != nil {
		return Thresholds{}, fmt.Errorf("set presence thresholds: %w", err)
	}
	return t, s.dir.auditDone(ctx, AuditEntry{Actor: actor, Action: "presence.thresholds", Target: "all members",
		Detail: "idle after " + t.IdleAfter.String() + ", offline after " + t.OfflineAfter.String()})
}

// SeedThresholds stores the process's Options.IdleAfter and OfflineAfter
// as the thresholds unless some are stored already: the first process
// to start sets them, and an admin changes them (SetThresholds).
func (s *Chat) SeedThresholds(ctx context.Context) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, s.k.thresholds(), idleField, s.opts.IdleAfter.Milliseconds())
		p.HSetNX(ctx, s.k.thresholds(), offlineField, s.opts.OfflineAfter.Milliseconds())
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed presence thresholds: %w", err)
	}
	return nil
}

// Thresholds returns the presence thresholds in force.
func (s *Chat) Thresholds(ctx context.Context) (Thresholds, error) {
	cmd := s.rdb.HMGet(ctx, s.k.thresholds(), idleField, offlineField)
	if err := cmd.Err(); err != nil {
		return Thresholds{}, fmt.Errorf("read presence thresholds: %w", err)
	}
	return s.decodeThresholds(cmd), nil
}

// thresholdsCmd queues the read of the thresholds on p, for a pipeline
// that reads presence.
func (s *Chat) thresholdsCmd(ctx context.Context, p redis.Pipeliner) *redis.SliceCmd {
	return p.HMGet(ctx, s.k.thresholds(), idleField, offlineField)
}

// decodeThresholds reads the answer of thresholdsCmd; what is missing or
// broken is the process's own option.
func (s *Chat) decodeThresholds(cmd *redis.SliceCmd) Thresholds {
	t := Thresholds{IdleAfter: s.opts.IdleAfter, OfflineAfter: s.opts.OfflineAfter}
	if cmd == nil {
		return t
	}
	v := cmd.Val()
	ms := func(i int) time.Duration {
		if i >= len(v) {
			return 0
		}
		str, _ := v[i].(string)
		if str == "" {
			return 0 // not set: the usual case, and ParseInt's error allocates
		}
		n, err := strconv.ParseInt(str, 10, 64)
		if err != nil || n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Millisecond
	}
	if d := ms(0); d > 0 {
		t.IdleAfter = d
	}
	if d := ms(1); d > 0 {
		t.OfflineAfter = d
	}
	if t.OfflineAfter < t.IdleAfter {
		t.OfflineAfter = t.IdleAfter
	}
	return t
}
