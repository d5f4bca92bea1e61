package threads

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A door that answers its sender as soon as the line is safe (the SMTP
// door's 250) need not wait for the line to be routed: Post with
// NewLine.Detach stores the line and returns, and a background loop routes
// the detached lines in batches, the jobs of a whole batch in one round
// trip. The line's "fan-out due" record is written with the line, so a
// process that dies first leaves the routing to RecoverFanout; Drain waits
// for the loop at shutdown.

// Bounds of the background fan-out.
const (
	// maxDetached is how many lines may wait for the loop; past it Post
	// routes the line itself before it returns (backpressure).
	maxDetached = 1024
	// detachedBatch is the most lines routed in one round.
	detachedBatch = 64
	// detachedTimeout bounds one round's Redis work.
	detachedTimeout = 30 * time.Second
)

// detacher queues detached lines for the loop. The loop runs while there
// is work, like the batcher's flushers.
type detacher struct {
	mu    sync.Mutex
	queue []pendingFanout
	// running: the loop is routing (or about to take) a batch.
	running bool
	// queued counts the queued lines by room and author (queuedKey).
	queued map[string]int
	// reading counts, by room and author, the posts on their way to the
	// queue that carry the fan-out's reads (claimReads).
	reading map[string]int
}

func queuedKey(room, author string) string { return room + "\x00" + author }

// claimReads reports whether a detached post by author in room should
// send the fan-out's reads with its script, and if so counts it until
// releaseReads. It should not when a line by the same author in the room
// waits for the loop, or another post on its way carries the reads: the
// line goes in the same batch or a later one and uses those reads
// (fanoutMany); a door's sessions post many lines at once into a room,
// and each sending its own reads cost Redis six commands a line.
func (d *detacher) claimReads(room, author string) bool {
	key := queuedKey(room, author)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.queued[key] > 0 || d.reading[key] > 0 {
		return false
	}
	if d.reading == nil {
		d.reading = make(map[string]int)
	}
	d.reading[key]++
	return true
}

// releaseReads ends a claim of claimReads.
func (d *detacher) releaseReads(room, author string) {
	key := queuedKey(room, author)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reading[key]--; d.reading[key] <= 0 {
		delete(d.reading, key)
	}
}

// fanoutLater queues f for the background loop, or reports false when the
// queue is full.
func (s *Chat) fanoutLater(f pendingFanout) bool {
	d := &s.detached
	d.mu.Lock()
	if len(d.queue) >= maxDetached {
		d.mu.Unlock()
		return false
	}
	d.queue = append(d.queue, f)
	if d.queued == nil {
		d.queued = make(map[string]int)
	}
	d.queued[queuedKey(f.line.Room, f.line.Author)]++
	start := !d.running
	d.running = true
	d.mu.Unlock()
	if start {
		go s.fanoutLoop()
	}
	return true
}

// fanoutLoop routes queued lines, a batch at a time, until none is left.
func (s *Chat) fanoutLoop() {
	d := &s.detached
	for {
		d.mu.Lock()
		n := min(len(d.queue), detachedBatch)
		if n == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		batch := d.queue[:n:n]
		d.queue = d.queue[n:]
		for _, f := range batch {
			k := queuedKey(f.line.Room, f.line.Author)
			if d.queued[k]--; d.queued[k] == 0 {
				delete(d.queued, k)
			}
		}
		d.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), detachedTimeout)
		res, err := s.fanoutMany(ctx, batch)
		if err != nil {
			s.log.Warn("fan-out left to recovery", "lines", len(batch), "room", batch[0].line.Room,
				"line", batch[0].line.ID, "err", err)
		}
		for _, r := range res {
			if r.err != nil {
				s.log.Warn("fan-out left to recovery", "err", r.err)
			}
		}
		cancel()
	}
}

// Drain waits until the lines posted with NewLine.Detach so far have been
// routed (or left to recovery), or until ctx ends. Call it at shutdown,
// once the doors are closed, and wherever routing must have happened.
func (s *Chat) Drain(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		s.detached.mu.Lock()
		idle := !s.detached.running
		s.detached.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("drain fan-out: %w", ctx.Err())
		}
	}
}
