package outbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"parley/threads"
)

// Delivery is what a channel needs to send one batch: the member, the room
// and the lines still to send, oldest first.
type Parcel struct {
	Batch  threads.Batch
	Member threads.User
	Room   threads.Room
	Lines  []threads.Line
}

// Channel sends one batch to one member. An error is temporary unless
// marked with Permanent.
type Carrier interface {
	Deliver(ctx context.Context, d Parcel) error
}

// Notifier sends notices (threads.Notice); the email channel is one.
type Notifier interface {
	SendNotice(ctx context.Context, n threads.Notice) error
}

// Options configure a Worker. Zero values pick the defaults.
type Options struct {
	// Consumer names this worker in the queue's consumer group, the same
	// across restarts of one instance, so that it takes back its own work.
	Consumer string
	// Window is the batching window per channel: lines for one member and
	// room arriving within it go out together. Email 2 min, SMS 0 by
	// default; a negative value means 0 (send at once).
	Window map[threads.Channel]time.Duration
	// MaxAge: a batch still failing this long after its first line was
	// queued goes to the dead letters (24 h).
	MaxAge time.Duration
	// Lease: a batch a worker took and did not settle within this time is
	// taken again by another (5 min). It must exceed the longest send.
	Lease time.Duration
	// ReclaimAfter: jobs another worker claimed this long ago and never
	// gathered are taken over (1 min).
	ReclaimAfter time.Duration
	// Concurrency is the number of batches sent at once (4), shared by
	// all members: a member has at most one batch in flight, so a member
	// whose sends stall holds one sender, never the pool.
	Concurrency int
	// DomainConcurrency bounds the sends in flight to members of one
	// email domain (half of Concurrency, at least 1), so a slow domain
	// leaves senders for the others. A send's share is freed when the send
	// ends, before its batch is settled.
	DomainConcurrency int
	// SendTimeout bounds one send (90 s). The SMTP client has shorter
	// limits per command; this is the backstop for any carrier.
	SendTimeout time.Duration
	// Poll is the longest wait for new work (1 s).
	Poll time.Duration
	// Heartbeat is how often the worker records that it is alive and
	// looks for stopped workers (1 s).
	Heartbeat time.Duration
	// DeadAfter: a worker whose heartbeat is this old has stopped; its
	// leases and claimed jobs are taken over (10 s).
	DeadAfter time.Duration
	// StopTimeout is how long sends in flight may finish once Run's
	// context has ended, unless StopBy says otherwise (8 s).
	StopTimeout time.Duration
	// Log receives the worker's log; slog.Default() when nil.
	Log *slog.Logger
}

// DefaultWindow is the batching window for email.
const DefaultWindow = 2 * time.Minute

// Worker delivers the queue's jobs through its channels. Settling a batch
// marks what was emailed for the digests (threads.Queue.BatchDelivered);
// when a channel fails for good, the worker marks the member's record in
// the directory.
type Worker struct {
	queue    *threads.Queue
	dir      *threads.Directory
	channels map[threads.Channel]Carrier
	opts     Options
	log      *slog.Logger
	fair     *fairness
	run      runState
}

// NewWorker returns a worker for the given channels (a channel that is not
// given is not consumed: its jobs wait).
func NewWorker(queue *threads.Queue, dir *threads.Directory, channels map[threads.Channel]Carrier, opts Options) *Worker {
	if opts.Consumer == "" {
		opts.Consumer = "worker"
	}
	win := map[threads.Channel]time.Duration{threads.Email: DefaultWindow, threads.SMS: 0}
	for c, d := range opts.Window {
		win[c] = max(d, 0)
	}
	opts.Window = win
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.ReclaimAfter <= 0 {
		opts.ReclaimAfter = time.Minute
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.DomainConcurrency <= 0 {
		opts.DomainConcurrency = max(opts.Concurrency/2, 1)
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 90 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = time.Second
	}
	if opts.DeadAfter <= 0 {
		opts.DeadAfter = 10 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 8 * time.Second
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	w := &Worker{queue: queue, dir: dir, channels: channels, opts: opts, log: log.With("consumer", opts.Consumer)}
	w.fair = newFairness(opts.DomainConcurrency, queue.Backoff)
	return w
}

// Run works until ctx ends. Concurrency senders take leased batches from a
// short queue that one loop keeps filled, so a slow send never holds up the
// others; another loop claims new jobs and gathers them into batches
// meanwhile, so that neither waits for the other's round trips. At the
// start it takes back what it held under the same consumer name before a
// crash; while it runs it beats its heartbeat and takes over the work of
// workers whose heartbeat stopped.
//
// On shutdown it stops taking work, hands back at once the batches leased
// but not begun, and lets the sends in flight finish until the stop
// deadline (StopBy, or StopTimeout after ctx ends); a send still going then
// is handed back too (it may go out twice, with the same Message-ID):
// nothing is lost, and the stop takes seconds.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("delivery worker started")
	w.recoverOwn(ctx)
	beatCtx, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beating := make(chan struct{})
	go func() { defer close(beating); w.beat(beatCtx) }()

	queue := make(chan leased, w.opts.Concurrency)
	var senders sync.WaitGroup
	// Sends are not cut in the middle when ctx ends, only at the deadline.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	for range w.opts.Concurrency {
		senders.Go(func() {
			for l := range queue {
				if ctx.Err() != nil {
					w.handBack(l.b, true)
					continue
				}
				w.flying(l.b, true)
				w.process(sendCtx, l)
				w.flying(l.b, false)
			}
		})
	}
	// gathered wakes the lease loop when new jobs are in their batches.
	gathered := make(chan struct{}, 1)
	var gatherer sync.WaitGroup
	gatherer.Go(func() { w.gatherLoop(ctx, gathered) })
	for ctx.Err() == nil {
		batches, err := w.lease(ctx, max(cap(queue)-len(queue), 1))
		if err != nil {
			w.roundFailed(ctx, "delivery round failed", err)
			continue
		}
		if len(batches) == 0 {
			// Nothing due: look again when jobs are gathered, when a send
			// ends (a member's next batch waits for it), or after the poll
			// (a batching window ends).
			select {
			case <-ctx.Done():
			case <-gathered:
			case <-w.fair.freed:
			case <-time.After(w.opts.Poll):
			}
			continue
		}
		for i, b := range batches {
			select {
			case queue <- b:
			case <-ctx.Done():
				for _, l := range batches[i:] {
					w.handBack(l.b, true)
				}
			}
			if ctx.Err() != nil {
				break
			}
		}
	}
	close(queue)
	gatherer.Wait()
	finished := make(chan struct{})
	go func() { senders.Wait(); close(finished) }()
	deadline := w.stopDeadline()
	select {
	case <-finished:
	case <-time.After(time.Until(deadline)):
		left := w.giveUp()
		cancelSends()
		w.log.Warn("stop deadline reached; handing back the batches still being sent", "batches", len(left))
		for _, b := range left {
			w.handBack(b, false)
		}
	}
	stopBeat()
	<-beating
	if err := w.queue.Retire(context.WithoutCancel(ctx), w.opts.Consumer); err != nil {
		w.log.Warn("could not remove the heartbeat", "err", err)
	}
	w.log.Info("delivery worker stopped")
	return nil
}

// gatherLoop claims new jobs and gathers them into batches, and sends the
// queued notices and transcripts, until ctx ends, waking the lease loop
// through gathered; it waits for jobs (up to the poll) only when the last
// claim found none.
func (w *Worker) gatherLoop(ctx context.Context, gathered chan<- struct{}) {
	idle := false
	for ctx.Err() == nil {
		wait := time.Duration(0)
		if idle {
			wait = w.opts.Poll
		}
		n, err := w.collect(ctx, wait, w.reclaimDue())
		if err != nil {
			w.roundFailed(ctx, "gathering jobs failed", err)
			continue
		}
		idle = n == 0
		if n > 0 {
			select {
			case gathered <- struct{}{}:
			default:
			}
		}
	}
}

// roundFailed logs a loop's failed round (unless the worker is stopping)
// and waits a poll before the next, or until ctx ends.
func (w *Worker) roundFailed(ctx context.Context, what string, err error) {
	if !isShutdown(ctx, err) {
		w.log.Error(what, "err", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(w.opts.Poll):
	}
}

// Step runs one round without waiting: gathers new jobs into batches and
// sends every batch that is due. It returns the number of batches settled.
// Tests and the demo drive the worker with it.
func (w *Worker) Step(ctx context.Context) (int, error) {
	batches, err := w.fill(ctx, 0, true, 100)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, w.opts.Concurrency)
	for _, l := range batches {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.process(context.WithoutCancel(ctx), l)
		}()
	}
	wg.Wait()
	return len(batches), nil
}

// leased is a batch leased to this worker, with its state as read just
// before it goes to a sender.
type leased struct {
	b  threads.Batch
	st threads.BatchState
	// err: the state could not be read; the batch is retried.
	err error
}

// fill is one round of both loops (Step's): it collects and then leases up
// to limit batches.
func (w *Worker) fill(ctx context.Context, wait time.Duration, reclaim bool, limit int) ([]leased, error) {
	if _, err := w.collect(ctx, wait, reclaim); err != nil {
		return nil, err
	}
	return w.lease(ctx, limit)
}

// collect claims new jobs (waiting up to wait when there are none), takes
// over those of stopped workers when reclaim is set, gathers them into
// batches and sends the queued notices and transcripts. It returns how many
// jobs it gathered.
func (w *Worker) collect(ctx context.Context, wait time.Duration, reclaim bool) (int, error) {
	jobs, err := w.queue.Claim(ctx, threads.ClaimOptions{Consumer: w.opts.Consumer, PerShard: 100, Wait: wait})
	if err != nil {
		return 0, err
	}
	if reclaim {
		lost, err := w.queue.Reclaim(ctx, w.opts.Consumer, w.opts.ReclaimAfter, 100)
		if err != nil {
			return 0, err
		}
		if len(lost) > 0 {
			w.log.Info("took over jobs of a stopped worker", "jobs", len(lost))
		}
		jobs = append(jobs, lost...)
	}
	if err := w.gather(ctx, jobs); err != nil {
		return 0, err
	}
	w.notify(ctx)
	w.transcribe(ctx)
	return len(jobs), nil
}

// lease leases up to limit batches that are due and reads their state, all
// of them at once.
func (w *Worker) lease(ctx context.Context, limit int) ([]leased, error) {
	batches, err := w.queue.Lease(ctx, threads.LeaseOptions{Lease: w.opts.Lease, Limit: limit, Owner: w.opts.Consumer,
		Skip: w.fair.skip, OnePerMember: true})
	if err != nil || len(batches) == 0 {
		return nil, err
	}
	for _, b := range batches {
		w.fair.take(b.Member)
	}
	out := make([]leased, len(batches))
	states, errs, err := w.queue.BatchStates(ctx, batches)
	for i, b := range batches {
		out[i].b = b
		switch {
		case err != nil:
			out[i].err = err
		default:
			out[i].st, out[i].err = states[i], errs[i]
		}
	}
	return out, nil
}

// notify sends queued notices through their channel (email unless the
// notice says sms), when it can send them. A notice that fails for now is
// taken again after the lease; one for a channel not configured is given up.
func (w *Worker) notify(ctx context.Context) {
	if _, ok := w.channels[threads.Email].(Notifier); !ok {
		return
	}
	notices, err := w.queue.ClaimNotices(ctx, w.opts.Consumer, 10, w.opts.Lease)
	if err != nil {
		if !isShutdown(ctx, err) {
			w.log.Warn("claim notices", "err", err)
		}
		return
	}
	for _, notice := range notices {
		var err error
		if n, ok := w.channels[cmp.Or(notice.Channel, threads.Email)].(Notifier); ok {
			err = n.SendNotice(context.WithoutCancel(ctx), notice)
		} else {
			err = Permanent(fmt.Errorf("no %s channel for notices", notice.Channel))
		}
		switch {
		case err == nil:
			w.log.Info("notice sent", "kind", notice.Kind)
		case IsPermanent(err):
			w.log.Warn("notice refused for good", "kind", notice.Kind, "err", err)
		default:
			w.log.Info("notice will be retried", "kind", notice.Kind, "err", err)
			continue
		}
		if err := w.queue.AckNotice(ctx, notice); err != nil {
			w.log.Warn("settle notice", "err", err)
		}
	}
}

// process sends one leased batch and settles it, then lets its member be
// leased again.
func (w *Worker) process(ctx context.Context, l leased) {
	b := l.b
	domain := ""
	if b.Channel == threads.Email && l.err == nil {
		domain = emailDomain(l.st.Member.Email())
	}
	w.fair.begin(b.Member, domain)
	var sendErr error
	defer func() { w.fair.done(b.Member, sendErr) }()
	log := w.log.With("member", b.Member, "room", b.Room, "channel", b.Channel, "lines", len(b.Jobs), "attempt", b.Attempt)
	if l.err != nil {
		w.retry(ctx, log, b, l.err)
		return
	}
	d, why := prepare(b, l.st)
	if why != "" {
		log.Info("batch dropped", "why", why)
		w.settle(log, w.queue.BatchSent(ctx, b, w.opts.Window[b.Channel]))
		return
	}
	ch := w.channels[b.Channel]
	if ch == nil {
		w.settle(log, w.queue.BatchFail(ctx, b, fmt.Errorf("no %s channel configured", b.Channel)))
		return
	}
	sctx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
	err := w.deliver(sctx, ch, d)
	cancel()
	sendErr = err
	w.fair.sent(b.Member)
	if err != nil && w.givenUp(b) {
		log.Info("send given up at the stop deadline; the batch was handed back", "err", err)
		return
	}
	switch {
	case err == nil:
		log.Info("batch delivered")
		// The digest leaves out what was carried.
		w.settle(log, w.queue.BatchDelivered(ctx, b, w.opts.Window[b.Channel], d.Lines[len(d.Lines)-1].ID))
	case IsPermanent(err):
		log.Warn("batch failed for good", "err", err)
		w.fail(ctx, log, b, err)
	default:
		w.retry(ctx, log, b, err)
	}
}

// deliver calls the channel; a panic sets the batch aside instead of
// retrying it forever.
func (w *Worker) deliver(ctx context.Context, ch Carrier, d Parcel) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("channel panicked: %v", p))
		}
	}()
	return ch.Deliver(ctx, d)
}

// prepare checks again, from the state read just before sending, that the
// batch is still wanted, and makes what the channel needs. A non-empty
// reason means: drop the batch, nothing to send.
func prepare(b threads.Batch, st threads.BatchState) (Parcel, string) {
	d := Parcel{Batch: b, Member: st.Member, Room: st.Room}
	switch {
	case !st.MemberFound:
		return d, "member no longer exists"
	case st.Member.Disabled:
		return d, "member is disabled"
	case !st.RoomFound:
		return d, "room no longer exists"
	case !st.IsMember:
		return d, "member left the room"
	case st.Presence.State == threads.StateOnline:
		return d, "member is online and reads live"
	}
	for _, l := range st.Lines { // lines removed by retention are gone already
		if !threads.Seen(l.ID, st.ReadMarker) {
			d.Lines = append(d.Lines, l)
		}
	}
	if len(d.Lines) == 0 {
		return d, "every line was seen live"
	}
	return d, ""
}

func (w *Worker) retry(ctx context.Context, log *slog.Logger, b threads.Batch, err error) {
	if age := w.queue.Options().Now().Sub(b.First()); age > w.opts.MaxAge {
		log.Warn("batch given up", "age", age.Round(time.Second), "err", err)
		w.fail(ctx, log, b, fmt.Errorf("gave up after %s: %w", age.Round(time.Minute), err))
		return
	}
	due, serr := w.queue.BatchRetry(ctx, b, err)
	log.Info("batch will be retried", "err", err, "due", due.Format(time.RFC3339))
	w.settle(log, serr)
}

// fail dead-letters the batch and marks the member's channel as failing,
// so routing chooses the other one.
func (w *Worker) fail(ctx context.Context, log *slog.Logger, b threads.Batch, reason error) {
	w.settle(log, w.queue.BatchFail(ctx, b, reason))
	if isSettled(reason) {
		return // the channel has dealt with the member already
	}
	var err error
	switch b.Channel {
	case threads.Email:
		_, err = w.dir.MarkEmailFailing(ctx, b.Member, "")
	case threads.SMS:
		_, err = w.dir.UpdateUser(ctx, b.Member, func(u *threads.User) error { u.PhoneFailing = true; return nil })
	}
	if err != nil && !errors.Is(err, threads.ErrNotFound) {
		log.Error("could not mark the channel as failing", "err", err)
	}
}

// settle logs a failure to record the outcome: the batch's lease then runs
// out and it is tried again (at-least-once).
func (w *Worker) settle(log *slog.Logger, err error) {
	if err != nil {
		log.Error("could not record the batch's outcome; it will come back after its lease", "err", err)
	}
}
