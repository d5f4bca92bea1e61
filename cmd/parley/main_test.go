package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/syncbuf"
	"parley/internal/testpeers/redispeer"
)

// env is a fake environment for run.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// with returns a copy of e with more variables.
func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// redisEnv gives the test its own Redis corner and the environment that
// points parley at it.
func redisEnv(t *testing.T) env {
	t.Helper()
	r := redispeer.New(t)
	return env{"PARLEY_REDIS_URL": r.URL, "PARLEY_KEY_PREFIX": r.Prefix}
}

// result is what one run printed.
type result struct {
	out, err string
	code     int
}

// parley runs the program in-process.
func parley(t *testing.T, e env, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb, e.get)
	return result{out: out.String(), err: errb.String(), code: code}
}

// ok runs parley and fails the test unless it succeeds; it returns stdout.
func ok(t *testing.T, e env, args ...string) string {
	t.Helper()
	r := parley(t, e, args...)
	if r.code != 0 || r.err != "" {
		t.Fatalf("parley %s: exit %d, stderr %q, stdout %q", strings.Join(args, " "), r.code, r.err, r.out)
	}
	return r.out
}

// waitFor polls until cond holds or the time runs out.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seed adds alice (online), bob (away, email) and carol (offline, verified
// phone) and the group room design with all three.
func seed(t *testing.T, e env) {
	t.Helper()
	ok(t, e, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	ok(t, e, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	ok(t, e, "user", "add", "--id", "carol", "--name", "Carol", "--phone", "+15550002222", "--email", "carol@example.org")
	ok(t, e, "presence", "heartbeat", "alice")
	ok(t, e, "presence", "set", "bob", "away", "--message", "at the clinic")
	ok(t, e, "room", "create", "--id", "design", "--name", "Design", "--members", "alice,bob,carol")
}

func TestMain(m *testing.M) {
	// As main does: go-redis must not write to the test's stderr.
	redis.SetLogger(redisLog{slog.New(slog.NewTextHandler(io.Discard, nil))})
	os.Exit(m.Run())
}

// served is a parley serve running in the test, and what it logged.
type served struct {
	out, err syncbuf.Buffer
	cancel   context.CancelFunc
	exited   chan struct{}
	code     int // serve's exit code, once exited is closed
}

// startServe runs parley serve with e until the test ends, when it is
// stopped (and its log printed if the test failed). Addresses set to
// 127.0.0.1:0 are picked by serve, so no other test can take them
// first; addr reads them from the log.
func startServe(t *testing.T, e env) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{cancel: cancel, exited: make(chan struct{})}
	go func() {
		s.code = run(ctx, []string{"serve"}, &s.out, &s.err, e.get)
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.err.String())
		}
	})
	return s
}

// stop stops serve as a signal does and returns its exit code (-1 if it
// did not stop within 15 s).
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(15 * time.Second):
		t.Error("serve did not stop")
		return -1
	}
}

// addr waits until serve logs the address it listens on for key ("http",
// "metrics", or "smtp" for the SMTP door) and returns it; it fails at
// once if serve exits.
func (s *served) addr(t *testing.T, key string) string {
	t.Helper()
	pattern := " " + key + "="
	if key == "smtp" {
		pattern = `msg="smtp server listening" addr=`
	}
	var found string
	s.waitFor(t, "serve to listen ("+key+")", 20*time.Second, func() bool {
		for _, line := range strings.Split(s.err.String(), "\n") {
			if !strings.Contains(line, "listening") {
				continue
			}
			if _, after, ok := strings.Cut(line, pattern); ok {
				found, _, _ = strings.Cut(after, " ")
				return true
			}
		}
		return false
	})
	return found
}

// waitFor is waitFor that fails at once, with serve's exit code, if serve
// exits while the test waits.
func (s *served) waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	waitFor(t, what, d, func() bool {
		select {
		case <-s.exited:
			t.Fatalf("serve exited %d while the test waited for %s", s.code, what)
		default:
		}
		return cond()
	})
}
