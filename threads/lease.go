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

// Crash recovery. A worker records its lease owner name with each lease
// ({q:N}:leases) and beats its heartbeat ({workers}:alive) every second or
// so. A worker that restarts under the same name takes back its own claims
// and leases at once (ReleaseOwned, ReclaimFrom); the claims and leases of
// a worker whose heartbeat stopped are taken over by the others after a few
// seconds (TakeOver), instead of waiting for the lease to end.

// Heartbeat records that consumer is alive now, without naming its run
// (see HeartbeatRun).
func (s *Queue) Heartbeat(ctx context.Context, consumer string) error {
	_, err := s.HeartbeatRun(ctx, consumer, "")
	return err
}

// HeartbeatRun records that consumer, in the run named run (an id of the
// process, new at each start), is alive now, and returns the run that beat
// last under that name ("" for none, or a beat without a run). Another run
// there while this one beats means two live processes share the name.
func (s *Queue) HeartbeatRun(ctx context.Context, consumer, run string) (string, error) {
	prev, err := scriptBeat.Run(ctx, s.rdb, []string{s.k.alive()}, consumer, strconv.FormatInt(s.now().UnixMilli(), 10)+" "+run).Text()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("heartbeat of %s: %w", consumer, err)
	}
	_, prevRun, _ := strings.Cut(prev, " ")
	return prevRun, nil
}

// Retire removes consumer's heartbeat: it stopped cleanly and holds
// nothing.
func (s *Queue) Retire(ctx context.Context, consumer string) error {
	if err := s.rdb.HDel(ctx, s.k.alive(), consumer).Err(); err != nil {
		return fmt.Errorf("retire %s: %w", consumer, err)
	}
	return nil
}

// Release hands back a batch leased by owner before its lease ends: it is
// due again now. With uncount the attempt it was leased for is not counted
// (the send never began). It reports whether the lease was still owner's.
func (s *Queue) Release(ctx context.Context, b Batch, owner string, uncount bool) (bool, error) {
	if b.name == "" {
		return false, invalid("batch for %s was not leased", b.Member)
	}
	return s.release(ctx, b.shard, b.name, owner, uncount)
}

func (s *Queue) release(ctx context.Context, n int, name, owner string, uncount bool) (bool, error) {
	flag := "0"
	if uncount {
		flag = "1"
	}
	keys := []string{s.k.batches(n), s.k.batch(n, name), s.k.leases(n)}
	r, err := scriptReleaseBatch.Run(ctx, s.rdb, keys, name, s.now().UnixMilli(), owner, flag).Int()
	if err != nil {
		return false, fmt.Errorf("release batch %s: %w", name, err)
	}
	return r == 1, nil
}

// ReleaseOwned makes every batch leased by one of owners due now (their
// attempts stay counted: a send may have been under way) and returns how
// many it released. A worker calls it at start-up with its own name, and
// TakeOver with the names of stopped workers.
func (s *Queue) ReleaseOwned(ctx context.Context, owners ...string) (int, error) {
	if len(owners) == 0 {
		return 0, nil
	}
	want := map[string]bool{}
	for _, o := range owners {
		want[o] = true
	}
	leases := make([]*redis.MapStringStringCmd, s.opts.QueueShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range s.opts.QueueShards {
			leases[n] = p.HGetAll(ctx, s.k.leases(n))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read leases: %w", err)
	}
	released := 0
	for n, c := range leases {
		for name, owner := range c.Val() {
			if !want[owner] {
				continue
			}
			ok, err := s.release(ctx, n, name, owner, false)
			if err != nil {
				return released, err
			}
			if ok {
				released++
			}
		}
	}
	return released, nil
}

// ReclaimFrom takes over, for consumer, the jobs claimed by from and not yet
// settled, however recently (from has stopped, or is consumer itself
// restarted), up to count per shard.
func (s *Queue) ReclaimFrom(ctx context.Context, consumer, from string, count int) ([]Job, error) {
	if count <= 0 {
		count = 100
	}
	var jobs []Job
	for n := range s.opts.QueueShards {
		pend, err := s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: s.k.jobs(n), Group: group,
			Start: "-", End: "+", Count: int64(count), Consumer: from}).Result()
		if isNoGroup(err) || errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pending deliveries of %s on shard %d: %w", from, n, err)
		}
		if len(pend) == 0 {
			continue
		}
		ids := make([]string, len(pend))
		for i, p := range pend {
			ids[i] = p.ID
		}
		msgs, err := s.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: s.k.jobs(n), Group: group, Consumer: consumer,
			MinIdle: 0, Messages: ids}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("take over deliveries of %s on shard %d: %w", from, n, err)
		}
		jobs = append(jobs, s.decodeMessages(ctx, n, msgs)...)
	}
	return jobs, nil
}

// Stopped lists the consumers other than self whose last heartbeat is older
// than after: they have stopped (or lost Redis for that long).
func (s *Queue) Stopped(ctx context.Context, self string, after time.Duration) ([]string, error) {
	beats, err := s.rdb.HGetAll(ctx, s.k.alive()).Result()
	if err != nil {
		return nil, fmt.Errorf("read heartbeats: %w", err)
	}
	limit := s.now().Add(-after).UnixMilli()
	var out []string
	for name, v := range beats {
		at, _, _ := strings.Cut(v, " ") // "ms run", or "ms" from an older parley
		ms, err := strconv.ParseInt(at, 10, 64)
		if name != self && (err != nil || ms < limit) {
			out = append(out, name)
		}
	}
	return out, nil
}

// TakeOver hands the work of consumers that stopped heartbeating more than
// after ago to consumer: their leased batches come due now and their
// claimed jobs become consumer's. Then their heartbeats are removed, so
// they are handled once. It returns the batches released and the jobs
// taken, which the caller gathers.
func (s *Queue) TakeOver(ctx context.Context, consumer string, after time.Duration) (int, []Job, error) {
	stopped, err := s.Stopped(ctx, consumer, after)
	if err != nil || len(stopped) == 0 {
		return 0, nil, err
	}
	released, err := s.ReleaseOwned(ctx, stopped...)
	if err != nil {
		return released, nil, err
	}
	var jobs []Job
	for _, from := range stopped {
		js, err := s.ReclaimFrom(ctx, consumer, from, 0)
		if err != nil {
			return released, jobs, err
		}
		jobs = append(jobs, js...)
	}
	// A stopped worker that comes back beats again; one that had more
	// than a round's worth of claims is found again by Reclaim.
	if err := s.rdb.HDel(ctx, s.k.alive(), stopped...).Err(); err != nil {
		return released, jobs, fmt.Errorf("forget stopped workers: %w", err)
	}
	return released, jobs, nil
}
