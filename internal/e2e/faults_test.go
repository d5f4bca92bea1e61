package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
)

// The fault suite: parley serve under the failures the delivery engine
// must survive, measured from outside (the real binary, real Redis, an SMTP
// smarthost with fault switches). Each test prints its figure.

// TestFaultStopDuringBacklog: a backlog of relay emails is being sent when
// the smarthost stalls on every recipient, and parley serve is then killed
// (SIGKILL) or stopped (SIGTERM). A SIGTERM'd serve exits within
// PARLEY_STOP_TIMEOUT; restarted under the same PARLEY_INSTANCE, the
// whole tail goes out within seconds (not when the leases end, 5 minutes
// later), each email once.
func TestFaultStopDuringBacklog(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGKILL", syscall.SIGKILL},
		{"SIGTERM", syscall.SIGTERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const (
				stopTimeout = 3 * time.Second
				lines       = 4
			)
			members := []string{"bob", "carol", "dave", "erin", "fred", "gina"}
			var addrs []string
			for _, m := range members {
				addrs = append(addrs, m+"@example.org")
			}
			sink := smtppeer.Start(t)
			rd := redispeer.New(t)
			p := startParley(t, rd, "PARLEY_SMARTHOST="+sink.Addr, "PARLEY_SMARTHOST_TLS=none",
				"PARLEY_INSTANCE=faults-"+randomHex(t, 4), "PARLEY_STOP_TIMEOUT="+stopTimeout.String())
			p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
			for _, m := range members {
				p.run(t, "user", "add", "--id", m, "--name", strings.ToUpper(m[:1])+m[1:], "--email", m+"@example.org")
			}
			p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,"+strings.Join(members, ","))
			for _, m := range members {
				p.run(t, "presence", "set", m, "away")
			}

			// Every send stalls at RCPT: the worker leases batches and
			// holds them, as it would mid-send when it dies.
			sink.Stall(addrs...)
			for i := range lines {
				p.run(t, "post", "--room", room, "--as", "alice", fmt.Sprintf("backlog line %d", i))
			}
			waitFor(t, 10*time.Second, "sends stalled at the smarthost", func() bool { return sink.Stalled() >= 2 })

			stopped := time.Now()
			if err := p.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.exited:
			case <-time.After(stopTimeout + 10*time.Second):
				t.Fatalf("parley serve still running %v after %v", stopTimeout+10*time.Second, tc.name)
			}
			took := time.Since(stopped)
			if tc.sig == syscall.SIGTERM {
				t.Logf("SIGTERM with %d sends stalled: exited in %v (PARLEY_STOP_TIMEOUT %v), status %v", len(members), took.Round(time.Millisecond), stopTimeout, p.waitErr)
				if p.waitErr != nil {
					t.Errorf("exit after SIGTERM: %v, want status 0", p.waitErr)
				}
				// Generous slack for a loaded machine; the figure is printed.
				if took > stopTimeout+3*time.Second {
					t.Errorf("stop took %v, want within PARLEY_STOP_TIMEOUT %v", took, stopTimeout)
				}
			}

			// The smarthost recovers; serve restarts under the same name.
			sink.Stall()
			if err := p.start(t); err != nil {
				t.Fatalf("restart: %v\n%s", err, p.log)
			}
			restarted := time.Now()
			want := lines * len(members)
			var got map[string]int
			deadline := restarted.Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if got = sentBacklog(sink, lines); len(got) == want {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			tail := time.Since(restarted)
			t.Logf("%s during a backlog of %d emails: all sent %v after the restart", tc.name, want, tail.Round(time.Millisecond))
			if len(got) != want {
				t.Fatalf("%d of %d emails sent 30 s after the restart", len(got), want)
			}
			// 5 s asked; slack for a loaded 2-core machine with -race.
			if tail > 10*time.Second {
				t.Errorf("the tail took %v after the restart, want about 5 s at most", tail)
			}
			for k, n := range got {
				if n != 1 {
					t.Errorf("%s sent %d times", k, n)
				}
			}
			p.stop(t)
		})
	}
}

// sentBacklog counts the emails the sink took, by recipient and line ("bob
// 2"), for lines 0 to n-1.
func sentBacklog(sink *smtppeer.Server, n int) map[string]int {
	out := map[string]int{}
	for _, m := range sink.Messages() {
		for i := range n {
			if strings.Contains(string(m.Data), fmt.Sprintf(lineMark+"backlog line %d", i)) {
				out[fmt.Sprintf("%s %d", strings.Join(m.To, ","), i)]++
			}
		}
	}
	return out
}
