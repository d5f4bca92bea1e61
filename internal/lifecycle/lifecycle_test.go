package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// record is the order of events, safe for concurrent use.
type record struct {
	mu     sync.Mutex
	events []string
}

func (r *record) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *record) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, " ")
}

// looping is a component that records its start, its Run's end and its
// stop, and runs until its context ends.
func looping(rec *record, name string) Component {
	return Component{
		Name:  name,
		Start: func(context.Context) error { rec.add("start:" + name); return nil },
		Run: func(ctx context.Context) error {
			<-ctx.Done()
			rec.add("end:" + name)
			return nil
		},
		Stop: func(context.Context) error { rec.add("stop:" + name); return nil },
	}
}

func logger() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&lockedWriter{w: &b}, nil)), &b
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestOrder(t *testing.T) {
	rec := &record{}
	log, logs := logger()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, log, looping(rec, "a"), looping(rec, "b"), looping(rec, "c")) }()
	time.Sleep(20 * time.Millisecond)
	if got, want := rec.String(), "start:a start:b start:c"; got != want {
		t.Errorf("before the stop: %q, want %q", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Each stops in full (Stop, then the end of Run) before the one before it.
	if got, want := rec.String(), "start:a start:b start:c stop:c end:c stop:b end:b stop:a end:a"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, "level=INFO") {
			t.Errorf("log line not at Info: %s", line)
		}
		msg, comp := field(line, "msg"), field(line, "component")
		order = append(order, strings.TrimSpace(msg+" "+comp))
	}
	if got, want := strings.Join(order, ","), "started a,started b,started c,stopping,stopped c,stopped b,stopped a"; got != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}

// field returns the value of key in a slog text line.
func field(line, key string) string {
	_, v, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// TestLaterKeepRunning checks that a component's context lasts until its
// own stop, not until the end of Run's ctx.
func TestLaterKeepRunning(t *testing.T) {
	var firstAlive bool
	var first context.Context
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log, _ := logger()
	err := Run(ctx, log,
		Component{Name: "first", Run: func(ctx context.Context) error {
			first = ctx
			close(ready)
			<-ctx.Done()
			return nil
		}},
		Component{Name: "second", Stop: func(context.Context) error {
			<-ready
			firstAlive = first.Err() == nil
			return nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if !firstAlive {
		t.Error("the first component's context ended before the second stopped")
	}
}

func TestRunFails(t *testing.T) {
	rec := &record{}
	boom := errors.New("boom")
	failing := looping(rec, "b")
	failing.Run = func(context.Context) error {
		time.Sleep(10 * time.Millisecond)
		rec.add("fail:b")
		return boom
	}
	log, _ := logger()
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), log, looping(rec, "a"), failing, looping(rec, "c")) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a failing component did not stop the others")
	}
	if !errors.Is(err, boom) || err.Error() != "b: boom" {
		t.Errorf("Run returned %v, want b: boom", err)
	}
	if got, want := rec.String(), "start:a start:b start:c fail:b stop:c end:c stop:b stop:a end:a"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestStartFails(t *testing.T) {
	rec := &record{}
	failing := looping(rec, "b")
	failing.Start = func(context.Context) error { return errors.New("port taken") }
	log, _ := logger()
	err := Run(context.Background(), log, looping(rec, "a"), failing, looping(rec, "c"))
	if err == nil || err.Error() != "b: port taken" {
		t.Errorf("Run returned %v, want b: port taken", err)
	}
	if got, want := rec.String(), "start:a stop:a end:a"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestOverrun(t *testing.T) {
	rec := &record{}
	stuck := make(chan struct{})
	defer close(stuck)
	slow := Component{Name: "slow", Grace: 30 * time.Millisecond,
		Start: func(context.Context) error { rec.add("start:slow"); return nil },
		Stop:  func(context.Context) error { <-stuck; return nil }, // ignores its deadline
	}
	deaf := looping(rec, "deaf")
	deaf.Grace = 30 * time.Millisecond
	deaf.Run = func(context.Context) error { <-stuck; return nil } // ignores its context
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log, logs := logger()
	start := time.Now()
	err := Run(ctx, log, looping(rec, "a"), deaf, slow)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %v", took)
	}
	for _, want := range []string{"slow: stop overran its deadline of 30ms", "deaf: stop overran its deadline of 30ms"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run returned %v, want it to say %q", err, want)
		}
	}
	// The components before an overrun still stop.
	if got, want := rec.String(), "start:a start:deaf start:slow stop:deaf stop:a end:a"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if n := strings.Count(logs.String(), `level=WARN msg="stop overran its deadline"`); n != 2 {
		t.Errorf("%d overruns logged, want 2:\n%s", n, logs)
	}
}

// TestOnTime checks that a stop that gives up at its deadline is on time:
// its error is reported, not an overrun.
func TestOnTime(t *testing.T) {
	c := Component{Name: "drain", Grace: 20 * time.Millisecond, Stop: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log, _ := logger()
	err := Run(ctx, log, c)
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "overran") {
		t.Errorf("Run returned %v, want the stop's deadline error", err)
	}
}

// TestRunErrorAfterStop checks that Run's error after its stop began is a
// stop error, and that returning nil early is no failure.
func TestRunErrorAfterStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	log, _ := logger()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, log,
			Component{Name: "done early", Run: func(context.Context) error { return nil }},
			Component{Name: "messy", Run: func(ctx context.Context) error {
				<-ctx.Done()
				return errors.New("closed badly")
			}})
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Run returned before ctx ended: %v", err)
	default:
	}
	cancel()
	if err := <-done; err == nil || err.Error() != "messy: closed badly" {
		t.Errorf("Run returned %v, want messy: closed badly", err)
	}
}

// TestRunWithin checks that the whole stop keeps to RunWithin's total: two
// components that each use all of a long grace share the total, the last
// one gets what is left, and each sees its cut deadline.
func TestRunWithin(t *testing.T) {
	var mu sync.Mutex
	var graces []time.Duration
	waits := func(name string) Component {
		return Component{Name: name, Grace: 10 * time.Second, Stop: func(ctx context.Context) error {
			dl, _ := ctx.Deadline()
			mu.Lock()
			graces = append(graces, time.Until(dl))
			mu.Unlock()
			<-ctx.Done()
			return nil
		}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	log, _ := logger()
	start := time.Now()
	_ = RunWithin(ctx, log, 300*time.Millisecond, waits("first"), waits("second"))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("RunWithin 300ms took %v", took)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(graces) != 2 || graces[0] > 300*time.Millisecond || graces[1] > 150*time.Millisecond {
		t.Errorf("graces seen %v, want the first within 300ms and the second within what is left", graces)
	}
}
