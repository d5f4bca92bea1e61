package threads

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Every round trip to Redis costs a write and a read on both sides, and
// under load that cost, more than the commands, is what limits how many
// lines parley can take in. A batcher lets the round trips of concurrent
// posts share one pipeline (group commit): a request waits while a
// pipeline is in flight, and all requests that arrived meanwhile go out
// together in the next. Alone, a request goes out at once, so nothing
// waits that would not have waited anyway. A few pipelines may be in
// flight at once (maxFlushers).
//
// It is used on the posting path (the author's record, the post script,
// the queueing of delivery jobs), where many doors post at once.
type batcher struct {
	rdb redis.UniversalClient
	// flushers is how many pipelines may be in flight (maxFlushers when 0).
	flushers int

	mu       sync.Mutex
	queue    []*pipeReq
	flushing int // flushers running
}

// maxBatch bounds the requests of one pipeline.
const maxBatch = 256

// maxFlushers is how many pipelines may be in flight at once: more than
// one, so that encoding and decoding a large pipeline does not leave the
// other cores idle; few, so that requests still meet in a batch.
const maxFlushers = 2

// pipeReq is one caller's share of a pipeline.
type pipeReq struct {
	fill func(p redis.Pipeliner)
	cmds []redis.Cmder
	err  error // the pipeline failed before this request's replies
	done chan struct{}
}

// pipelined adds fill's commands to the next shared pipeline and waits for
// their replies. Like redis.Pipelined it returns the first error among the
// caller's own commands (redis.Nil included); each command holds its
// reply. If ctx ends first, it returns ctx's error and the commands may
// still run.
func (b *batcher) pipelined(ctx context.Context, fill func(p redis.Pipeliner)) ([]redis.Cmder, error) {
	req := &pipeReq{fill: fill, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	limit := b.flushers
	if limit <= 0 {
		limit = maxFlushers
	}
	start := b.flushing < limit
	if start {
		b.flushing++
	}
	b.mu.Unlock()
	if start {
		go b.flush()
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if req.err != nil {
		return nil, req.err
	}
	for _, c := range req.cmds {
		if err := c.Err(); err != nil {
			return req.cmds, err
		}
	}
	return req.cmds, nil
}

// flush sends the queued requests, a pipeline at a time, until none is
// left.
func (b *batcher) flush() {
	for {
		// Yield once first: posts that are already running (parsing a
		// message, routing a line) get to add their requests to this
		// pipeline instead of starting the next one. With nothing else
		// to run this returns at once.
		runtime.Gosched()
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.flushing--
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.send(batch)
	}
}

// send runs one pipeline for batch and hands each request its replies.
func (b *batcher) send(batch []*pipeReq) {
	p := b.rdb.Pipeline()
	counts := make([]int, len(batch))
	for i, r := range batch {
		before := p.Len()
		r.fill(p)
		counts[i] = p.Len() - before
	}
	// No caller's context governs a shared pipeline; go-redis's own
	// timeouts bound it. A failure is set on every command.
	cmds, err := p.Exec(context.Background())
	if err == nil || errors.Is(err, redis.Nil) {
		err = errors.New("redis answered fewer commands than were sent")
	}
	at := 0
	for i, r := range batch {
		if at+counts[i] <= len(cmds) {
			r.cmds = cmds[at : at+counts[i]]
		} else {
			r.err = fmt.Errorf("pipeline: %w", err)
		}
		at += counts[i]
		close(r.done)
	}
}
