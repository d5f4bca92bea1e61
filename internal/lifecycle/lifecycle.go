// Package lifecycle starts a process's components in order, runs them
// until the process is asked to stop or one of them fails, and stops them
// in reverse order, each within its own deadline.
//
// The order of the list is the order of dependence: what comes first is
// needed by what comes after, so it starts first and stops last.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultGrace bounds the stop of a Component whose Grace is 0.
const DefaultGrace = 10 * time.Second

// Settle is how long after its deadline a stop may still finish without
// being reported as an overrun: a Stop or Run that returns as soon as its
// context ends (with the context's error, say) is on time.
const Settle = 100 * time.Millisecond

// Component is one part of a process. Every function is optional.
type Component struct {
	// Name says which component in logs and errors ("http server").
	Name string
	// Start readies the component before it runs, such as binding its
	// port. An error ends the start: the components started before stop,
	// in reverse, and Run returns the error.
	Start func(ctx context.Context) error
	// Run runs in a goroutine of its own from the start until its context
	// ends, which is at the component's stop; its context does not end
	// when Run's ctx does. An error returned before the stop is a failure:
	// every component stops. Returning nil early is not a failure (the
	// component had nothing more to do). An error returned after the stop
	// began is reported as the component's stop error, so Run should
	// return nil when it ends because its context did.
	Run func(ctx context.Context) error
	// Stop is called at the component's stop, before the context of Run
	// ends, with a context that ends at the deadline.
	Stop func(ctx context.Context) error
	// Grace bounds the stop: Stop, then the end of Run (DefaultGrace when
	// 0). A stop still going Settle after its deadline is reported as an
	// overrun and left behind; the next component stops.
	Grace time.Duration
}

// running is a component that was started.
type running struct {
	Component
	cancel context.CancelFunc // ends Run's context
	ran    chan error         // Run's result; nil when there is no Run
}

// Run starts the components in order, each after the one before has
// started, and runs them until ctx ends or one of them fails; then it
// stops the components started, in reverse order. It logs every start and
// stop at Info with the component's name. It returns nil after a clean
// stop at the end of ctx; otherwise the failure, then every stop error,
// each prefixed with its component's name.
func Run(ctx context.Context, log *slog.Logger, components ...Component) error {
	return RunWithin(ctx, log, 0, components...)
}

// RunWithin is Run with the whole stop bounded by total (no bound when 0):
// each component's grace is cut to what is left of it, so a process asked
// to stop is gone within total however its components are set.
func RunWithin(ctx context.Context, log *slog.Logger, total time.Duration, components ...Component) error {
	// A component's context ends at its own stop, not with ctx: the last
	// keep working while the first stop.
	base := context.WithoutCancel(ctx)
	failed := make(chan error, len(components))
	var started []*running
	var err error
	for _, c := range components {
		if err = start(base, c, &started, failed); err != nil {
			break
		}
		log.Info("started", "component", c.Name)
	}
	if err == nil {
		select {
		case <-ctx.Done():
		case err = <-failed:
		}
	}
	// The failure is returned, not logged: the caller scrubs secrets.
	log.Info("stopping", "failed", err != nil)
	errs := []error{err}
	var deadline time.Time
	if total > 0 {
		deadline = time.Now().Add(total)
	}
	for i := len(started) - 1; i >= 0; i-- {
		errs = append(errs, stop(base, log, started[i], deadline))
	}
	return errors.Join(errs...)
}

// start starts c and appends it to started unless its Start fails. A Run
// that fails before its stop sends its error on failed.
func start(base context.Context, c Component, started *[]*running, failed chan<- error) error {
	if c.Start != nil {
		if err := c.Start(base); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	rctx, cancel := context.WithCancel(base)
	r := &running{Component: c, cancel: cancel}
	*started = append(*started, r)
	if c.Run == nil {
		return nil
	}
	r.ran = make(chan error, 1)
	go func() {
		err := c.Run(rctx)
		if err != nil && rctx.Err() == nil {
			failed <- fmt.Errorf("%s: %w", c.Name, err)
			err = nil // reported once, as the failure
		}
		r.ran <- err
	}()
	return nil
}

// stop stops r within its grace, cut to end by deadline when that is set,
// and returns what went wrong, prefixed with its name.
func stop(base context.Context, log *slog.Logger, r *running, deadline time.Time) error {
	grace := r.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	if !deadline.IsZero() {
		grace = max(min(grace, time.Until(deadline)), Settle)
	}
	began := time.Now()
	sctx, cancel := context.WithTimeout(base, grace)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var err error
		if r.Stop != nil {
			err = r.Stop(sctx)
		}
		r.cancel()
		if r.ran != nil {
			err = errors.Join(err, <-r.ran)
		}
		done <- err
	}()
	overrun := time.NewTimer(grace + Settle)
	defer overrun.Stop()
	select {
	case err := <-done:
		log.Info("stopped", "component", r.Name, "took", time.Since(began).Round(time.Millisecond))
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		return nil
	case <-overrun.C:
		r.cancel()
		log.Warn("stop overran its deadline", "component", r.Name, "grace", grace)
		return fmt.Errorf("%s: stop overran its deadline of %v", r.Name, grace)
	}
}
