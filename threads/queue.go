package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// group is the consumer group every delivery worker joins.
const group = "workers"

// doneFor is how long the record of a delivered job is kept; a duplicate of
// the job arriving later than this would be sent again.
const doneFor = 7 * 24 * time.Hour

// Job is one delivery: carry one line to one member by one channel.
type Job struct {
	Room    string  `json:"room"`
	Line    string  `json:"line"`
	Member  string  `json:"member"`
	Channel Channel `json:"channel"`
	// Attempt counts the attempts made so far (0 for a new job).
	Attempt int `json:"attempt,omitempty"`
	// Queued is when the job was first queued.
	Queued time.Time `json:"queued"`
	// LastError is the reason of the last temporary failure.
	LastError string `json:"last_error,omitempty"`
	// Now: the line goes at once, past the batching window (a meeting
	// link); its batch, with whatever else waits in it, is due now.
	Now bool `json:"now,omitempty"`

	shard     int    // where the claimed job lives
	entry     string // its stream entry id
	entrySize int    // the jobs its entry holds, settled together (jobentry.go)
}

// Key is the job's idempotency key: line, member and channel. Two jobs with
// the same key are one delivery.
func (d Job) Key() string {
	return d.Room + "/" + d.Line + "/" + d.Member + "/" + string(d.Channel)
}

// shardOf puts all of a member's jobs on one shard, so a worker sees a
// member's lines together and can batch them.
func (s *Queue) shardOf(member string) int {
	// FNV-1a, 32 bits, written out: hash/fnv's costs two allocations, and
	// fan-out shards every member of a room for every line.
	h := uint32(2166136261)
	for i := 0; i < len(member); i++ {
		h ^= uint32(member[i])
		h *= 16777619
	}
	return int(h % uint32(s.opts.QueueShards))
}

// enqueue queues jobs in p, one stream entry per shard for the jobs of
// one line (jobentry.go); jobs that cannot share an entry (sameEntry) get
// one each.
func (s *Queue) enqueue(ctx context.Context, p redis.Pipeliner, jobs ...Job) {
	if len(jobs) == 0 {
		return
	}
	for _, j := range jobs[1:] {
		if !sameEntry(jobs[0], j) {
			for _, j := range jobs {
				s.enqueue(ctx, p, j)
			}
			return
		}
	}
	first := jobs[0]
	g := jobGroup{Room: first.Room, Line: first.Line, Queued: first.Queued, Now: first.Now, To: make([][2]string, len(jobs))}
	for i, j := range jobs {
		g.To[i] = [2]string{j.Member, string(j.Channel)}
	}
	s.enqueueGroup(ctx, p, g)
}

// enqueueGroup queues the jobs of g in p, one stream entry per shard.
func (s *Queue) enqueueGroup(ctx context.Context, p redis.Pipeliner, g jobGroup) {
	if len(g.To) == 0 {
		return
	}
	// Put the members in shard order (a counting sort, keeping their
	// order within a shard): each shard's entry is then a run of them.
	shard := make([]int, len(g.To))
	count := make([]int, s.opts.QueueShards+1)
	for i, to := range g.To {
		shard[i] = s.shardOf(to[0])
		count[shard[i]+1]++
	}
	for n := 1; n < len(count); n++ {
		count[n] += count[n-1]
	}
	sorted := make([][2]string, len(g.To))
	next := count[:s.opts.QueueShards]
	for i, to := range g.To {
		sorted[next[shard[i]]] = to
		next[shard[i]]++
	}
	for start, n := 0, 0; start < len(sorted); n++ {
		end := next[n] // next[n] now ends shard n's run
		if end > start {
			part := g
			part.To = sorted[start:end]
			p.XAdd(ctx, &redis.XAddArgs{Stream: s.k.jobs(n), Values: []any{"g", groupJSON(part)}})
		}
		start = end
	}
}

// ClaimOptions say who claims and how much.
type ClaimOptions struct {
	// Consumer names this worker within the group (host and pid, say).
	Consumer string
	// PerShard is the most jobs taken from each shard (10 when 0).
	PerShard int
	// Wait is how long to wait for work when every shard is empty (0: return at once).
	Wait time.Duration
}

// Claim takes new jobs for this worker, reading each shard in one pipeline.
// The jobs of one queue entry come together and are settled together
// (Gather, Ack); a job already delivered (a fan-out run twice) folds
// away when it is gathered. Jobs not settled stay claimed until Reclaim
// gives them to another worker.
func (s *Queue) Claim(ctx context.Context, o ClaimOptions) ([]Job, error) {
	if o.Consumer == "" {
		return nil, invalid("claim needs a consumer name")
	}
	if o.PerShard <= 0 {
		o.PerShard = 10
	}
	deadline := time.Now().Add(o.Wait)
	for {
		// Take the wake-up signal before reading, so that a nudge sent
		// while the shards are read is not missed (wake.go).
		var wake <-chan struct{}
		if o.Wait > 0 {
			wake = s.wake.signal()
		}
		jobs, err := s.readShards(ctx, o)
		if err != nil {
			return nil, err
		}
		if len(jobs) > 0 || !time.Now().Before(deadline) {
			return jobs, nil
		}
		if !waitForWork(ctx, wake, deadline) {
			return nil, nil
		}
	}
}

// claimPoll is how often a waiting Claim looks at every shard again while
// the wake-up signal (wake.go) is not subscribed.
const claimPoll = 50 * time.Millisecond

// readShards reads every shard once, without blocking, in one pipeline.
func (s *Queue) readShards(ctx context.Context, o ClaimOptions) ([]Job, error) {
	reads := make([]*redis.XStreamSliceCmd, s.opts.QueueShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range s.opts.QueueShards {
			reads[n] = p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: o.Consumer,
				Streams: []string{s.k.jobs(n), ">"}, Count: int64(o.PerShard), Block: -1})
		}
		return nil
	})
	var jobs []Job
	for n, r := range reads {
		switch err := r.Err(); {
		case isNoGroup(err):
			if len(jobs) > 0 {
				return jobs, nil
			}
			if err := s.ensureGroups(ctx); err != nil {
				return nil, err
			}
			return s.readShards(ctx, o)
		case err != nil && !errors.Is(err, redis.Nil):
			return nil, fmt.Errorf("claim deliveries on shard %d: %w", n, err)
		}
		jobs = append(jobs, s.decodeJobs(ctx, n, r.Val())...)
	}
	if err != nil && !errors.Is(err, redis.Nil) && !isNoGroup(err) && len(jobs) == 0 {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return jobs, nil
}

func (s *Queue) decodeJobs(ctx context.Context, n int, streams []redis.XStream) []Job {
	var out []Job
	for _, st := range streams {
		out = append(out, s.decodeMessages(ctx, n, st.Messages)...)
	}
	return out
}

// decodeMessages reads the jobs of shard n's entries msgs. An entry that
// is not one of ours is dead-lettered, out of the way where a person can
// look.
func (s *Queue) decodeMessages(ctx context.Context, n int, msgs []redis.XMessage) []Job {
	out := make([]Job, 0, len(msgs))
	for _, m := range msgs {
		jobs, data, err := decodeEntry(m.Values)
		if err != nil {
			_ = s.settle(ctx, n, m.ID, "dead", nil, data, "undecodable job: "+err.Error())
			continue
		}
		for _, d := range jobs {
			d.shard, d.entry, d.entrySize = n, m.ID, len(jobs)
			out = append(out, d)
		}
	}
	return out
}

// entries groups claimed jobs by their queue entry, in the order they
// come. Each entry must be whole: its jobs are settled together.
func entries(jobs []Job) ([][]Job, error) {
	entryOf := func(d Job) string { return strconv.Itoa(d.shard) + "/" + d.entry }
	seen := make(map[string]bool, len(jobs))
	for _, d := range jobs {
		if d.entry == "" {
			return nil, invalid("delivery %s was not claimed", d.Key())
		}
		k := entryOf(d) + "/" + d.Key()
		if seen[k] {
			return nil, invalid("delivery %s is settled twice", d.Key())
		}
		seen[k] = true
	}
	out := groupInOrder(jobs, entryOf)
	for _, e := range out {
		if len(e) != e[0].entrySize {
			return nil, invalid("delivery %s is settled without the %d other jobs of its queue entry", e[0].Key(), e[0].entrySize-1)
		}
	}
	return out, nil
}

func (s *Queue) ensureGroups(ctx context.Context) error {
	for n := range s.opts.QueueShards {
		err := s.rdb.XGroupCreateMkStream(ctx, s.k.jobs(n), group, "0").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("create consumer group on shard %d: %w", n, err)
		}
	}
	return nil
}

func isNoGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOGROUP")
}

// Ack settles jobs as delivered, each queue entry's jobs together. Their
// idempotency keys are remembered, so a duplicate of a job folds away.
func (s *Queue) Ack(ctx context.Context, jobs ...Job) error {
	es, err := entries(jobs)
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := s.settle(ctx, e[0].shard, e[0].entry, "done", e, "", ""); err != nil {
			return err
		}
	}
	return nil
}

// Backoff is the wait before the given attempt (1 is the first retry):
// Backoff·2^(attempt-1), at most MaxBackoff, of which the last half is
// random jitter so that failed jobs do not come back all at once.
func (s *Queue) Backoff(attempt int) time.Duration {
	d := s.opts.Backoff
	for i := 1; i < attempt && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	return d/2 + time.Duration(s.opts.Rand()*float64(d/2))
}

// settle finishes the queue entry id of shard n: by mode, its jobs are
// recorded as done, or the entry (its text data) is dead-lettered with
// reason.
func (s *Queue) settle(ctx context.Context, n int, id, mode string, jobs []Job, data, reason string) error {
	keys := []string{s.k.jobs(n), s.k.dead(n)}
	for _, d := range jobs {
		keys = append(keys, s.k.done(n, d.Key()))
	}
	if err := scriptSettle.Run(ctx, s.rdb, keys, group, id, mode, data, reason, int(doneFor/time.Second)).Err(); err != nil {
		return fmt.Errorf("settle queue entry %d/%s as %s: %w", n, id, mode, err)
	}
	return nil
}

// Reclaim takes over the jobs that other workers claimed more than minIdle
// ago and never settled (the worker died), up to count per shard.
func (s *Queue) Reclaim(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]Job, error) {
	if count <= 0 {
		count = 10
	}
	var jobs []Job
	for n := range s.opts.QueueShards {
		msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: s.k.jobs(n), Group: group,
			Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: int64(count)}).Result()
		if isNoGroup(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reclaim deliveries on shard %d: %w", n, err)
		}
		jobs = append(jobs, s.decodeMessages(ctx, n, msgs)...)
	}
	return jobs, nil
}

// DeadLetter is a job that failed for good.
type DeadLetter struct {
	Job
	Reason string `json:"reason"`
	ID     string `json:"id"`
}

// DeadLetters lists up to limit dead letters of every shard, oldest first.
func (s *Queue) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	for n := range s.opts.QueueShards {
		msgs, err := s.rdb.XRangeN(ctx, s.k.dead(n), "-", "+", int64(limit)).Result()
		if err != nil {
			return nil, fmt.Errorf("read dead letters of shard %d: %w", n, err)
		}
		for _, m := range msgs {
			var dl DeadLetter
			data, _ := m.Values["j"].(string)
			_ = json.Unmarshal([]byte(data), &dl.Job)
			dl.Reason, _ = m.Values["reason"].(string)
			if a, ok := m.Values["attempt"].(string); ok {
				// The batch's count: the job's own is of when it was gathered.
				dl.Attempt, _ = strconv.Atoi(a)
			}
			dl.ID = fmt.Sprintf("%d/%s", n, m.ID)
			out = append(out, dl)
		}
	}
	return out, nil
}

// QueueStats counts the queue over all shards.
type QueueStats struct {
	// Waiting: queue entries on the streams, new or claimed and not yet
	// settled; each holds one line's jobs for the members of one shard.
	Waiting int64 `json:"waiting"`
	// Batches: batches gathered and not yet sent.
	Batches int64 `json:"batches"`
	// Dead: jobs that failed for good.
	Dead int64 `json:"dead"`
}

// Stats counts the jobs in the queue.
func (s *Queue) Stats(ctx context.Context) (QueueStats, error) {
	var st QueueStats
	lens := make([][3]*redis.IntCmd, s.opts.QueueShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range s.opts.QueueShards {
			lens[n] = [3]*redis.IntCmd{p.XLen(ctx, s.k.jobs(n)), p.ZCard(ctx, s.k.batches(n)), p.XLen(ctx, s.k.dead(n))}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return st, fmt.Errorf("queue stats: %w", err)
	}
	for _, l := range lens {
		st.Waiting += l[0].Val()
		st.Batches += l[1].Val()
		st.Dead += l[2].Val()
	}
	return st, nil
}
