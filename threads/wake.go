package threads

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Idle delivery workers are woken when jobs are queued, so a new job is
// claimed at once rather than at the next poll.
//
// The fan-out that queues jobs publishes a nudge on one wake channel in
// the same pipeline as the jobs' XADDs (sharded pub/sub on a cluster, like
// live events). Each process follows that channel once, through its live
// hub's connection, and a Claim that waits for work returns to the shards
// as soon as a nudge arrives. A blocking read cannot do this job: it
// watches one shard only, since a multi-stream read would cross Cluster
// slots.
//
// Nudges are best effort, like every pub/sub message: one published while
// the hub reconnects is lost. The poll stays as the fallback: a waiting
// Claim also looks at the shards every wakeFallback (claimPoll while the
// signal is not yet subscribed).

// wakeEvent is the kind of a nudge on the wake channel; no page sees it.
const wakeEvent EventKind = "wake"

// wakeFallback is how often a waiting Claim looks at the shards even
// without a nudge, once the wake-up signal is subscribed.
const wakeFallback = 500 * time.Millisecond

// wakeRetry is the pause before subscribing again when subscribing failed.
const wakeRetry = time.Second

// waker follows the wake channel for this process and tells every waiting
// Claim about each nudge. Each nudge closes the current generation's
// channel and starts a new one, so any number of waiters wake, and a
// waiter that took the channel before reading the shards cannot miss a
// nudge sent while it read them.
type waker struct {
	chat *Chat

	once sync.Once
	mu   sync.Mutex
	// gen is closed at the next nudge; nil while the signal is not
	// subscribed (waiters poll then).
	gen chan struct{}
	// nudges counts the nudges received, for tests.
	nudges int64
}

func newWaker(c *Chat) *waker { return &waker{chat: c} }

// nudge queues, in p, the message that wakes idle workers: call it in the
// pipeline that queues jobs.
func (q *Queue) nudge(ctx context.Context, p redis.Pipeliner) {
	q.chat.publish(ctx, p, q.k.wake(), string(wakeEvent))
}

// signal returns a channel that is closed at the next nudge, or nil while
// the wake channel is not yet subscribed. The first call starts following
// the channel.
func (w *waker) signal() <-chan struct{} {
	w.once.Do(func() { go w.follow() })
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen
}

// follow subscribes to the wake channel and turns each nudge into a new
// generation, until the Redis client is closed. A subscription that fails
// is tried again after wakeRetry.
func (w *waker) follow() {
	failing := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sub, err := w.subscribe(ctx)
		cancel()
		if errors.Is(err, redis.ErrClosed) {
			return
		}
		if err != nil {
			if !failing { // once per outage, not every retry
				w.chat.log.Warn("wake-up signal: cannot subscribe; idle workers poll meanwhile", "err", err)
			}
			failing = true
			time.Sleep(wakeRetry)
			continue
		}
		w.mu.Lock()
		w.gen = make(chan struct{})
		w.mu.Unlock()
		for range sub.C {
			w.mu.Lock()
			close(w.gen)
			w.gen = make(chan struct{})
			w.nudges++
			w.mu.Unlock()
		}
		// A lossy subscription ends only with the Redis client.
		w.mu.Lock()
		close(w.gen)
		w.gen = nil
		w.mu.Unlock()
		return
	}
}

// subscribe follows the wake channel through the hub, with a subscription
// that is never dropped for being slow: one pending nudge says all.
func (w *waker) subscribe(ctx context.Context) (*Subscription, error) {
	c := make(chan *Event, 1)
	sub := &Subscription{C: c, c: c, hub: w.chat.hub, chans: map[string]bool{}, lossy: true}
	if err := w.chat.hub.add(ctx, sub, []string{w.chat.k.wake()}); err != nil {
		_ = sub.Close()
		return nil, err
	}
	return sub, nil
}

// received is the number of nudges this process has received.
func (w *waker) received() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nudges
}

// waitForWork waits until wake is closed (a nudge), the poll interval has
// passed, deadline comes or ctx ends. It reports false when ctx ended.
func waitForWork(ctx context.Context, wake <-chan struct{}, deadline time.Time) bool {
	poll := claimPoll
	if wake != nil {
		poll = wakeFallback
	}
	t := time.NewTimer(min(poll, time.Until(deadline)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}
