package outbound

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"parley/internal/syncbuf"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// TestWorkerStopsInTime: a send is stuck (the smarthost stalls on bob) when
// the worker is told to stop; Run returns by the stop deadline and hands the
// batch back, and the next run with the same name sends it at once.
func TestWorkerStopsInTime(t *testing.T) {
	e := newMailEnv(t, 0)
	e.sink.Stall("bob@example.org")
	client, err := smtpsend.New(smtpsend.Options{Addr: e.sink.Addr, TLS: smtpsend.NoTLS, CommandTimeout: time.Minute, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	run := func(stopAfter time.Duration) (*Worker, context.CancelFunc, chan error) {
		w := NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: e.email(client)},
			Options{Consumer: "serve-1", Log: quiet, Window: map[threads.Channel]time.Duration{threads.Email: 0},
				Poll: 50 * time.Millisecond, StopTimeout: stopAfter})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		return w, cancel, done
	}
	e.post(t, "stuck line")
	_, cancel, done := run(time.Second)
	waitUntil(t, 5*time.Second, "the send to begin", func() bool {
		st, _ := e.store.Queue.Stats(e.ctx)
		return st.Waiting == 0 && st.Batches == 1
	})
	time.Sleep(200 * time.Millisecond) // the send is stalled at RCPT
	began := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after its context ended, with a stop timeout of 1 s")
	}
	took := time.Since(began)
	t.Logf("worker stopped %v after its context ended (stop timeout 1 s), a send stalled", took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("stop took %v, want about the stop timeout of 1 s", took)
	}

	// The smarthost recovers; the worker restarts under the same name.
	e.sink.Stall()
	restarted := time.Now()
	_, cancel2, done2 := run(time.Second)
	defer func() { cancel2(); <-done2 }()
	waitUntil(t, 5*time.Second, "the handed-back batch to be sent", func() bool {
		for _, m := range e.sink.Messages() {
			if strings.Contains(string(m.Data), "stuck line") {
				return true
			}
		}
		return false
	})
	t.Logf("handed-back batch sent %v after the restart", time.Since(restarted).Round(time.Millisecond))
}

// email is the email carrier of e over client.
func (e *mailEnv) email(client *smtpsend.Client) *Email {
	return NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: e.composer,
		Transport: client, Domain: "parley.test"})
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkerTwinReported: two live workers under one consumer name (two
// processes given the same PARLEY_INSTANCE) each see the other's beats
// and log an error naming the setting; one worker restarted under its
// own name (its last run dead) logs nothing.
func TestWorkerTwinReported(t *testing.T) {
	e := newMailEnv(t, 0)
	run := func(log *slog.Logger) func() {
		w := NewWorker(e.store.Queue, e.store.Directory, map[threads.Channel]Carrier{threads.Email: &fakeChannel{}},
			Options{Consumer: "serve-1", Log: log, Poll: 50 * time.Millisecond, Heartbeat: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		return func() { cancel(); <-done }
	}
	var first, second syncbuf.Buffer
	stop := run(slog.New(slog.NewTextHandler(&first, nil)))
	// A restart after the first run ended is no twin.
	time.Sleep(100 * time.Millisecond)
	stop()
	stop = run(slog.New(slog.NewTextHandler(&first, nil)))
	defer stop()
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(first.String(), "PARLEY_INSTANCE") {
		t.Fatalf("a restarted worker reported a twin:\n%s", first.String())
	}
	// A second live process under the same name.
	stop2 := run(slog.New(slog.NewTextHandler(&second, nil)))
	defer stop2()
	waitUntil(t, 5*time.Second, "both workers to report the twin", func() bool {
		return strings.Contains(first.String(), "give each process its own PARLEY_INSTANCE") &&
			strings.Contains(second.String(), "give each process its own PARLEY_INSTANCE")
	})
}
