package outbound

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync"
	"time"

	"parley/threads"
)

// The worker's side of crash recovery and of a quick stop: heartbeats,
// taking back its own work at start-up, taking over the work of stopped
// workers, and handing back leases when it stops.

// runState is what Run keeps besides the queue: the batches being sent,
// the stop deadline and when jobs were last reclaimed.
type runState struct {
	mu          sync.Mutex
	inflight    map[string]threads.Batch // by member/room/channel/first line
	handedBack  map[string]bool          // sends given up on at the stop deadline
	stopBy      time.Time
	lastReclaim time.Time
	// id names this run of the worker in its heartbeat; twinSaid is when
	// a twin (another live process under the same consumer name) was
	// last reported.
	id       string
	twinSaid time.Time
}

func batchKey(b threads.Batch) string {
	return b.Member + "/" + b.Room + "/" + string(b.Channel) + "/" + b.Jobs[0].Line
}

// StopBy sets when Run, once its context has ended, hands back the sends
// still in flight and returns. parley serve calls it with its stop
// deadline; without it Run allows StopTimeout.
func (w *Worker) StopBy(deadline time.Time) {
	w.run.mu.Lock()
	w.run.stopBy = deadline
	w.run.mu.Unlock()
}

func (w *Worker) stopDeadline() time.Time {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if !w.run.stopBy.IsZero() {
		return w.run.stopBy
	}
	return time.Now().Add(w.opts.StopTimeout)
}

// flying records that b is being sent (on) or no longer (off).
func (w *Worker) flying(b threads.Batch, on bool) {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if w.run.inflight == nil {
		w.run.inflight = map[string]threads.Batch{}
	}
	if on {
		w.run.inflight[batchKey(b)] = b
	} else {
		delete(w.run.inflight, batchKey(b))
	}
}

// givenUp reports whether b was handed back while it was being sent: its
// failure is then not recorded (the batch is another worker's now).
func (w *Worker) givenUp(b threads.Batch) bool {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	return w.run.handedBack[batchKey(b)]
}

// giveUp marks every batch in flight as handed back, before their sends
// are cut, so that none records the cut as a failure; and returns them.
func (w *Worker) giveUp() []threads.Batch {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if w.run.handedBack == nil {
		w.run.handedBack = map[string]bool{}
	}
	out := make([]threads.Batch, 0, len(w.run.inflight))
	for k, b := range w.run.inflight {
		w.run.handedBack[k] = true
		out = append(out, b)
	}
	return out
}

// reclaimDue reports whether it is time to look for jobs claimed long ago
// by a worker without a heartbeat (one that ran an older parley).
func (w *Worker) reclaimDue() bool {
	w.run.mu.Lock()
	defer w.run.mu.Unlock()
	if time.Since(w.run.lastReclaim) <= w.opts.ReclaimAfter/2 {
		return false
	}
	w.run.lastReclaim = time.Now()
	return true
}

// handBack releases a leased batch so that it is due again now, here or
// elsewhere; notBegun says that its attempt was not made.
func (w *Worker) handBack(b threads.Batch, notBegun bool) {
	w.fair.release(b.Member)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := w.queue.Release(ctx, b, w.opts.Consumer, notBegun); err != nil {
		w.log.Warn("could not hand back a batch; it comes back when its lease ends", "member", b.Member, "room", b.Room, "err", err)
	}
}

// recoverOwn takes back, at start-up, what this consumer held when it last
// stopped without settling: its leased batches come due now and its
// claimed jobs are gathered. A failure is logged: the leases then end on
// their own.
func (w *Worker) recoverOwn(ctx context.Context) {
	w.run.id = rand.Text()[:12]
	// The run that beat last may be this worker's before a crash, or a
	// twin: only the beats that follow tell.
	if _, err := w.queue.HeartbeatRun(ctx, w.opts.Consumer, w.run.id); err != nil {
		w.log.Warn("heartbeat", "err", err)
	}
	n, err := w.queue.ReleaseOwned(ctx, w.opts.Consumer)
	if err != nil {
		w.log.Warn("could not take back this worker's leases", "err", err)
	}
	jobs, err := w.queue.ReclaimFrom(ctx, w.opts.Consumer, w.opts.Consumer, 0)
	if err != nil {
		w.log.Warn("could not take back this worker's jobs", "err", err)
	}
	if err == nil {
		err = w.gather(ctx, jobs)
	}
	if n > 0 || len(jobs) > 0 {
		w.log.Info("took back the work of this worker's last run", "batches", n, "jobs", len(jobs), "err", err)
	}
}

// beat records the heartbeat every Heartbeat and takes over the work of
// workers silent for DeadAfter, until ctx ends.
func (w *Worker) beat(ctx context.Context) {
	t := time.NewTicker(w.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		prev, err := w.queue.HeartbeatRun(ctx, w.opts.Consumer, w.run.id)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("heartbeat", "err", err)
			}
			continue
		}
		w.twin(prev)
		n, jobs, err := w.queue.TakeOver(ctx, w.opts.Consumer, w.opts.DeadAfter)
		if err == nil {
			err = w.gather(ctx, jobs)
		}
		if n > 0 || len(jobs) > 0 || (err != nil && ctx.Err() == nil) {
			lvl := slog.LevelInfo
			if err != nil {
				lvl = slog.LevelWarn
			}
			w.log.Log(ctx, lvl, "took over the work of a stopped worker", "batches", n, "jobs", len(jobs), "err", err)
		}
	}
}

// twinReportEvery is how often a twin is reported while it lasts.
const twinReportEvery = time.Minute

// twin reports, at most once a minute, that prev, the run that beat last
// under this worker's consumer name, is another process's: two live
// processes share the name, and each takes back the other's leases and
// jobs as its own when it starts (sends may go out twice). Each process
// needs a name of its own (PARLEY_INSTANCE).
func (w *Worker) twin(prev string) {
	if prev == "" || prev == w.run.id || time.Since(w.run.twinSaid) < twinReportEvery {
		return
	}
	w.run.twinSaid = time.Now()
	w.log.Error("another live process uses this worker's name; give each process its own PARLEY_INSTANCE", "other_run", prev, "run", w.run.id)
}

func (w *Worker) gather(ctx context.Context, jobs []threads.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	return w.queue.Gather(ctx, jobs, func(c threads.Channel) time.Duration { return w.opts.Window[c] })
}
