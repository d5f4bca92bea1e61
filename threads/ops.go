package threads

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// What an operator watches (parley's /metrics): the age of the oldest job
// and the live clients of this process.

// OldestJob is the age of the oldest job not yet gathered into its batch,
// over every shard (0 when there is none): how far the workers lag behind
// the fan-out. Settled jobs are deleted from their stream, so the first
// entry of a shard is its oldest waiting job.
func (s *Queue) OldestJob(ctx context.Context) (time.Duration, error) {
	heads := make([]*redis.XMessageSliceCmd, s.opts.QueueShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range s.opts.QueueShards {
			heads[n] = p.XRangeN(ctx, s.k.jobs(n), "-", "+", 1)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("oldest job: %w", err)
	}
	var oldest time.Duration
	now := time.Now() // entry ids are Redis's wall clock, not Options.Now
	for _, h := range heads {
		msgs := h.Val()
		if len(msgs) == 0 {
			continue
		}
		ms, err := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
		if err != nil {
			continue
		}
		oldest = max(oldest, now.Sub(time.UnixMilli(ms)))
	}
	return oldest, nil
}

// LiveClients is the number of live subscriptions (open pages and
// streams) this process serves.
func (s *Chat) LiveClients() int {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[*Subscription]bool{}
	for _, subs := range h.chans {
		for sub := range subs {
			if !sub.lossy && !sub.closed {
				seen[sub] = true
			}
		}
	}
	return len(seen)
}
