package threads

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batch is what goes to one member from one room by one channel in one
// message: the jobs gathered during the batching window. Batches live in
// Redis, so any worker can send one and none is lost when a worker dies.
type Batch struct {
	Member  string  `json:"member"`
	Room    string  `json:"room"`
	Channel Channel `json:"channel"`
	// Jobs are the batch's deliveries, oldest line first.
	Jobs []Job `json:"jobs"`
	// Attempt counts attempts including the one now leased (1 the first time).
	Attempt int `json:"attempt"`
	// LastError is the reason of the last temporary failure.
	LastError string `json:"last_error,omitempty"`

	shard int
	name  string
}

// First is when the batch's oldest job was queued.
func (b Batch) First() time.Time {
	var first time.Time
	for _, j := range b.Jobs {
		if first.IsZero() || j.Queued.Before(first) {
			first = j.Queued
		}
	}
	return first
}

// Lines returns the ids of the batch's lines, oldest first.
func (b Batch) Lines() []string {
	ids := make([]string, len(b.Jobs))
	for i, j := range b.Jobs {
		ids[i] = j.Line
	}
	return ids
}

// batchName names the batch a job joins: one per member, room and channel
// while a window gathers lines; with no window (0, "send at once") every
// line is a message of its own, even when the worker is behind.
func batchName(d Job, window time.Duration) string {
	name := d.Member + "/" + d.Room + "/" + string(d.Channel)
	if window <= 0 {
		name += "/" + d.Line
	}
	return name
}

// Order: the batches of one member, room and channel are sent one at a
// time, oldest line first. Each is also kept in the stream's order set
// ({q:N}:order:MEMBER/ROOM/CHANNEL, scored by its first line), and a batch
// is leased only while it heads that set; it leaves the set when it is
// settled for good. So a text cut or split into batches, or a send that is
// retried, never lets a later line overtake it: the later batches wait.
//
// Waiting batches must not stand in the way of others: Lease reads only
// the earliest due batches of each shard, and a stream whose head is
// leased or backing off (a member's phone failing for hours, a line every
// minute) would fill that look with batches that cannot go, and every
// other member of the shard would wait behind them. So Lease parks the
// batches it read behind a head that is not due: their due time moves to
// the head's (they cannot go before it anyway) and they are marked in
// {q:N}:parked. When the head is settled for good, the settle makes the
// next batch of the stream due at once if it was parked.

// dueStream is a stream (member, room and channel) with due batches, as
// Lease read them: its shard, its first due batch, member and order set
// key, every due batch of it read, and whether the caller skips its member.
type dueStream struct {
	n                   int
	name, member, order string
	names               []string
	skip                bool
}

// streamKey names a member, room and channel stream in one shard.
type streamKey struct {
	n      int
	stream string
}

// batchKey names a batch in one shard.
type batchKey struct {
	n    int
	name string
}

// dueStreams groups the due batch names read (due) by stream, in the order
// of each stream's first: a later batch of a stream can only go once the
// first is settled, so the first stands for its stream. The skip is asked
// once per member, and the order set key made once per stream.
func (s *Queue) dueStreams(due []*redis.StringSliceCmd, o LeaseOptions) []*dueStream {
	var out []*dueStream
	seen := map[streamKey]*dueStream{}
	skipped := map[string]bool{}
	for n, c := range due {
		for _, name := range c.Val() {
			k := streamKey{n, orderStream(name)}
			if d := seen[k]; d != nil {
				d.names = append(d.names, name)
				continue
			}
			member, _, _ := strings.Cut(name, "/")
			skip, asked := skipped[member]
			if !asked {
				skip = o.Skip != nil && o.Skip(member)
				skipped[member] = skip
			}
			d := &dueStream{n: n, name: name, member: member, order: s.k.order(n, name), names: []string{name}, skip: skip}
			seen[k] = d
			out = append(out, d)
		}
	}
	return out
}

// orderHeads reads the head of the order set of every due stream, in one
// pipeline: order set key → the batch that goes first.
func (s *Queue) orderHeads(ctx context.Context, due []*dueStream) (map[string]string, error) {
	if len(due) == 0 {
		return nil, nil
	}
	heads := make(map[string]*redis.StringSliceCmd, len(due))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range due {
			heads[d.order] = p.ZRange(ctx, d.order, 0, 0)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the order of due batches: %w", err)
	}
	out := make(map[string]string, len(heads))
	for k, c := range heads {
		if v := c.Val(); len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out, nil
}

// headsBehind reads the due time of each stream's head that is not the
// stream's first due batch read: the batches read came behind it, with
// earlier due times (it was handed back, retried, or is leased). It
// returns them in one pipeline, or none without a round trip when every
// head was read; a head gone from the due set is left out.
func (s *Queue) headsBehind(ctx context.Context, due []*dueStream, heads map[string]string) (map[batchKey]float64, error) {
	asks := map[batchKey]*redis.FloatCmd{}
	for _, d := range due {
		if head, ok := heads[d.order]; ok && head != d.name {
			asks[batchKey{d.n, head}] = nil
		}
	}
	if len(asks) == 0 {
		return nil, nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k := range asks {
			asks[k] = p.ZScore(ctx, s.k.batches(k.n), k.name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read the due time of waiting streams' first batches: %w", err)
	}
	out := make(map[batchKey]float64, len(asks))
	for k, c := range asks {
		if at, err := c.Result(); err == nil {
			out[k] = at
		}
	}
	return out, nil
}

// orderStream is the member/room/channel part of a batch name.
func orderStream(name string) string {
	end := 0
	for range 3 {
		i := strings.IndexByte(name[end:], '/')
		if i < 0 {
			return name
		}
		end += i + 1
	}
	return name[:end-1]
}

// orderScore scores a batch in its order set by its first line: the
// line id's milliseconds and sequence, exact in a float64.
func orderScore(line string) float64 {
	ms, seq := splitID(line)
	return float64(ms)*1000 + float64(min(seq, 999))
}

// Gather moves claimed jobs into their batches, each queue entry's jobs
// together in one script, all in one round trip. A batch becomes due
// window(channel) after its first job was queued; with a window of 0 a job
// is a batch of its own, due at once. A job whose line is already in its
// batch, or that was delivered before, folds away.
func (s *Queue) Gather(ctx context.Context, jobs []Job, window func(Channel) time.Duration) error {
	es, err := entries(jobs)
	if err != nil || len(es) == 0 {
		return err
	}
	err = s.scriptPipeline(ctx, scriptGather, func(p redis.Pipeliner) {
		for _, e := range es {
			keys, args := s.gatherCall(e, window)
			scriptGather.EvalSha(ctx, p, keys, args...)
		}
	})
	if err != nil {
		return fmt.Errorf("gather %d deliveries: %w", len(jobs), err)
	}
	return nil
}

// gatherCall is the keys and arguments of scriptGather for the jobs of one
// queue entry.
func (s *Queue) gatherCall(entry []Job, window func(Channel) time.Duration) ([]string, []any) {
	n := entry[0].shard
	keys := make([]string, 3, 3+3*len(entry))
	keys[0], keys[1], keys[2] = s.k.jobs(n), s.k.batches(n), s.k.leases(n)
	args := make([]any, 2, 2+6*len(entry))
	args[0], args[1] = group, entry[0].entry
	for _, d := range entry {
		w := window(d.Channel)
		name := batchName(d, w)
		start := d.Queued
		if start.IsZero() {
			start = s.now()
		}
		due := start.Add(w).UnixMilli()
		now := ""
		if d.Now {
			due, now = start.UnixMilli(), "1"
		}
		keys = append(keys, s.k.batch(n, name), s.k.done(n, d.Key()), s.k.order(n, name))
		args = append(args, d.Line, jobJSON(d), due, name, orderScore(d.Line), now)
	}
	return keys, args
}

// LeaseDue hands out up to limit batches that are due, each leased to the
// caller for lease: a batch that is not settled by then comes due again.
// The attempt is counted before it is made.
func (s *Queue) LeaseDue(ctx context.Context, lease time.Duration, limit int) ([]Batch, error) {
	return s.Lease(ctx, LeaseOptions{Lease: lease, Limit: limit})
}

// LeaseOptions say which due batches Lease hands out, and to whom.
type LeaseOptions struct {
	// Lease is how long a batch is the caller's: one not settled by then
	// comes due again.
	Lease time.Duration
	// Limit is the most batches handed out (1 when 0).
	Limit int
	// Owner names the caller (its consumer name). It is recorded with each
	// lease, so that the lease can be handed back early: by the caller
	// restarting (ReleaseOwned) or by another worker once the owner's
	// heartbeat stops (TakeOver). Empty: not recorded.
	Owner string
	// Skip, when set, leaves out the batches of the members it returns
	// true for (a member being sent to already, or backing off).
	Skip func(member string) bool
	// OnePerMember hands out at most one batch per member in this call,
	// so that a member is never sent two messages at once.
	OnePerMember bool
}

// Lease hands out batches that are due as o says; the attempt of each is
// counted before it is made.
func (s *Queue) Lease(ctx context.Context, o LeaseOptions) ([]Batch, error) {
	limit := max(o.Limit, 1)
	// Look further than limit when some candidates may be left out.
	look := limit
	if o.Skip != nil || o.OnePerMember {
		look = limit*4 + 16
	}
	now := s.now().UnixMilli()
	due := make([]*redis.StringSliceCmd, s.opts.QueueShards)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for n := range s.opts.QueueShards {
			due[n] = p.ZRangeByScore(ctx, s.k.batches(n), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now, 10), Count: int64(look)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find due batches: %w", err)
	}
	streams := s.dueStreams(due, o)
	heads, err := s.orderHeads(ctx, streams)
	if err != nil {
		return nil, err
	}
	headsAt, err := s.headsBehind(ctx, streams, heads)
	if err != nil {
		return nil, err
	}
	type cand struct {
		n    int
		name string
		cmd  *redis.Cmd
	}
	var cands []cand
	var blocked []*dueStream
	taken := map[string]bool{}
	for _, d := range streams {
		name := d.name
		// An older batch of its stream goes first. The head may be due,
		// but later than the batches behind it (handed back, retried),
		// and so outside this look at the due batches: they bring it in,
		// or a member's stream would wait until every other due batch had
		// gone. A head that is not due (leased, backing off) holds its
		// stream, and the batches read behind it are parked (below).
		if head, ordered := heads[d.order]; ordered && head != name {
			at, found := headsAt[batchKey{d.n, head}]
			if !found || int64(at) > now {
				if found {
					blocked = append(blocked, d)
				}
				continue
			}
			name = head
		}
		if d.skip || len(cands) >= limit || o.OnePerMember && taken[d.member] {
			continue
		}
		taken[d.member] = true
		cands = append(cands, cand{n: d.n, name: name})
	}
	if len(cands) == 0 && len(blocked) == 0 {
		return nil, nil
	}
	err = s.scriptsPipeline(ctx, []*redis.Script{scriptLeaseBatch, scriptParkBatches}, func(p redis.Pipeliner) {
		for i, c := range cands {
			cands[i].cmd = scriptLeaseBatch.EvalSha(ctx, p, []string{s.k.batches(c.n), s.k.batch(c.n, c.name), s.k.order(c.n, c.name), s.k.leases(c.n)},
				now, o.Lease.Milliseconds(), c.name, o.Owner)
		}
		for _, d := range blocked {
			args := make([]any, 0, len(d.names)+1)
			args = append(args, now)
			for _, name := range d.names {
				args = append(args, name)
			}
			scriptParkBatches.EvalSha(ctx, p, []string{s.k.batches(d.n), d.order, s.k.parked(d.n)}, args...)
		}
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("lease batches: %w", err)
	}
	var out []Batch
	for _, c := range cands {
		flat, err := c.cmd.StringSlice()
		if err != nil || len(flat) == 0 {
			continue // leased by another worker meanwhile
		}
		b := Batch{shard: c.n, name: c.name}
		var sending []string
		for i := 0; i+1 < len(flat); i += 2 {
			switch f, v := flat[i], flat[i+1]; {
			case f == "attempt":
				b.Attempt, _ = strconv.Atoi(v)
			case f == "error":
				b.LastError = v
			case f == "sending":
				sending = strings.Fields(v)
			case strings.HasPrefix(f, "l:"):
				var d Job
				if json.Unmarshal([]byte(v), &d) == nil {
					d.shard = c.n
					b.Jobs = append(b.Jobs, d)
				}
			}
		}
		b.Jobs = attemptJobs(b.Jobs, sending)
		if len(b.Jobs) == 0 {
			continue
		}
		sort.Slice(b.Jobs, func(i, j int) bool { return compareStreamIDs(b.Jobs[i].Line, b.Jobs[j].Line) < 0 })
		b.Member, b.Room, b.Channel = b.Jobs[0].Member, b.Jobs[0].Room, b.Jobs[0].Channel
		out = append(out, b)
	}
	return out, nil
}

// attemptJobs keeps, of a leased batch's jobs, those of the lines its
// attempt is for (sending, recorded when an attempt first leased it): a
// send that may have gone out is made again with the same lines, so the
// same Message-ID, and lines that joined since wait for the next attempt.
// All jobs when sending names none of them.
func attemptJobs(jobs []Job, sending []string) []Job {
	if len(sending) == 0 {
		return jobs
	}
	var out []Job
	for _, j := range jobs {
		if slices.Contains(sending, j.Line) {
			out = append(out, j)
		}
	}
	if len(out) == 0 {
		return jobs
	}
	return out
}

// BatchSent settles a batch whose lines were sent, or deliberately dropped
// (seen live, member gone): each job is remembered as delivered. Lines that
// joined the batch meanwhile stay in it, due after window.
func (s *Queue) BatchSent(ctx context.Context, b Batch, window time.Duration) error {
	return s.batchSent(ctx, b, window, "")
}

// BatchDelivered is BatchSent for a batch its channel delivered, and in
// the same round trip it moves the member's emailed marker in the room to
// last, the newest line delivered, so that the digest leaves out what was
// carried (Digests.MarkEmailed). The marker is best effort: when only it
// fails, the batch is settled and the failure logged (the line shows up in
// the digest too, never goes missing).
func (s *Queue) BatchDelivered(ctx context.Context, b Batch, window time.Duration, last string) error {
	if err := checkLineID(last); err != nil {
		s.log.Warn("could not record the lines sent for the digest", "member", b.Member, "room", b.Room, "err", err)
		last = ""
	}
	return s.batchSent(ctx, b, window, last)
}

// batchSent settles b as sent and, unless emailed is "", marks the lines up
// to emailed as emailed to its member.
func (s *Queue) batchSent(ctx context.Context, b Batch, window time.Duration, emailed string) error {
	keys, args := s.settleKeys(b), s.settleArgs("done", b, s.now().Add(window), "", doneFor)
	for _, j := range b.Jobs {
		keys = append(keys, s.k.done(b.shard, j.Key()))
		args = append(args, "l:"+j.Line)
	}
	return s.settleBatch(ctx, b, keys, args, emailed)
}

// BatchRetry settles a batch that failed for now: it comes due again after
// the backoff for its attempt, with the reason kept.
func (s *Queue) BatchRetry(ctx context.Context, b Batch, reason error) (time.Time, error) {
	due := s.now().Add(s.Backoff(b.Attempt))
	if err := s.settleBatch(ctx, b, s.settleKeys(b), s.settleArgs("retry", b, due, reason.Error(), 0), ""); err != nil {
		return due, err
	}
	s.opts.Observer.BatchRetried(b.Channel)
	return due, nil
}

// BatchFail settles a batch that can never be sent: its jobs go to the dead
// letters with the reason.
func (s *Queue) BatchFail(ctx context.Context, b Batch, reason error) error {
	if err := s.settleBatch(ctx, b, s.settleKeys(b), s.settleArgs("dead", b, time.UnixMilli(0), reason.Error(), 0), ""); err != nil {
		return err
	}
	s.opts.Observer.BatchDead(b.Channel, len(b.Jobs))
	return nil
}

// settleKeys are the keys every settle of b touches, in scriptSettleBatch's
// order: batch, batches, dead letters, leases, order set, parked batches.
func (s *Queue) settleKeys(b Batch) []string {
	return []string{s.k.batch(b.shard, b.name), s.k.batches(b.shard), s.k.dead(b.shard), s.k.leases(b.shard), s.k.order(b.shard, b.name),
		s.k.parked(b.shard)}
}

// settleArgs are scriptSettleBatch's ARGV before the line fields: mode,
// batch name, due time, reason, how long the done records are kept, now.
func (s *Queue) settleArgs(mode string, b Batch, due time.Time, reason string, keepDone time.Duration) []any {
	return []any{mode, b.name, due.UnixMilli(), reason, int(keepDone / time.Second), s.now().UnixMilli()}
}

// settleBatch runs scriptSettleBatch for b through the shared pipelines
// and, unless emailed is "", in the same round trip moves the member's
// emailed marker to that line (best effort: a marker that fails is
// logged, the batch still settled).
func (s *Queue) settleBatch(ctx context.Context, b Batch, keys []string, args []any, emailed string) error {
	if b.name == "" {
		return invalid("batch for %s was not leased", b.Member)
	}
	scripts := []*redis.Script{scriptSettleBatch}
	if emailed != "" {
		scripts = append(scripts, scriptMarkRead)
	}
	var mark, settle *redis.Cmd
	err := s.scriptsBatched(ctx, scripts, func(p redis.Pipeliner) {
		if emailed != "" {
			mark = scriptMarkRead.EvalSha(ctx, p, []string{s.k.emailed(b.Room)}, b.Member, emailed)
		}
		settle = scriptSettleBatch.EvalSha(ctx, p, keys, args...)
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		// Given up waiting: the commands may not even be filled in yet.
	case settle.Err() != nil:
		err = settle.Err()
	case mark != nil && mark.Err() != nil:
		s.log.Warn("could not record the lines sent for the digest", "member", b.Member, "room", b.Room, "err", mark.Err())
		return nil
	}
	return fmt.Errorf("settle batch %s as %s: %w", b.name, args[0], err)
}

// compareStreamIDs orders two stream ids ("ms-seq").
func compareStreamIDs(a, b string) int {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if c := cmp.Compare(am, bm); c != 0 {
		return c
	}
	return cmp.Compare(as, bs)
}

func splitID(id string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(id, "-")
	m, _ := strconv.ParseUint(ms, 10, 64)
	q, _ := strconv.ParseUint(seq, 10, 64)
	return m, q
}
