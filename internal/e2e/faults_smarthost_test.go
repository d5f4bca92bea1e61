package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/internal/testpeers/twiliopeer"
)

// TestFaultSmarthostRefuses: bob's relay email meets a smarthost that is
// down, then answers 451 twice, then 550. parley retries with a growing
// backoff (PARLEY_RETRY_BACKOFF, here 300 ms), then sets the email aside
// as a dead letter with the smarthost's reason (`parley queue dead`),
// marks bob's address failing and stops trying it; bob's next line goes
// to his phone instead, through Twilio.
func TestFaultSmarthostRefuses(t *testing.T) {
	const (
		backoff = 300 * time.Millisecond
		phone   = "+15550001111"
		first   = "smarthost fault: first line"
		next    = "smarthost fault: next line"
	)
	sink := smtppeer.Start(t)
	fake := twiliopeer.New(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, faultEnv(t, sink, "PARLEY_RETRY_BACKOFF="+backoff.String(),
		"TWILIO_ACCOUNT_SID="+fake.AccountSID, "TWILIO_AUTH_TOKEN="+fake.AuthToken, "PARLEY_SMS_FROM=+15550009999",
		"PARLEY_TWILIO_API_URL="+fake.URL, "PARLEY_PUBLIC_URL=https://parley.example.org", "PARLEY_SMS_RATE=50")...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob", "--email", "bob@example.org", "--phone", phone)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob")
	p.run(t, "presence", "set", "bob", "away")

	// The smarthost's answers to RCPT, as it gives them: 451, 451, 550.
	var (
		mu    sync.Mutex
		rcpts []time.Time
	)
	sink.Refuse(func(stage string) error {
		if stage != "rcpt" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		rcpts = append(rcpts, time.Now())
		if len(rcpts) <= 2 {
			return smtppeer.Temporary
		}
		return smtppeer.Permanent
	})
	tries := func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), rcpts...)
	}

	sink.Stop()
	posted := time.Now()
	p.run(t, "post", "--room", room, "--as", "alice", first)
	p.waitLog(t, 10*time.Second, `msg="batch will be retried"`, "member=bob", "attempt=1")
	sink.Restart(t)

	var dead []struct {
		Member  string `json:"member"`
		Channel string `json:"channel"`
		Attempt int    `json:"attempt"`
		Reason  string `json:"reason"`
	}
	waitFor(t, 20*time.Second, "bob's email in the dead letters", func() bool {
		p.runJSON(t, &dead, "queue", "dead")
		return len(dead) > 0
	})
	deadAfter := time.Since(posted)
	if len(dead) != 1 || dead[0].Member != "bob" || dead[0].Channel != "email" || !strings.Contains(dead[0].Reason, "550") {
		t.Fatalf("dead letters %+v, want bob's email with the smarthost's 550", dead)
	}
	if dead[0].Attempt != 4 {
		t.Errorf("the dead letter counts %d attempts, want 4 (down, 451, 451, 550)", dead[0].Attempt)
	}
	at := tries()
	if len(at) != 3 {
		t.Fatalf("the smarthost saw %d RCPTs for bob, want 3 (451, 451, 550)", len(at))
	}
	// The RCPTs are attempts 2, 3 and 4; the wait after attempt k is at
	// least half of backoff·2^(k-1).
	for i, minWait := range []time.Duration{backoff, 2 * backoff} {
		if gap := at[i+1].Sub(at[i]); gap < minWait {
			t.Errorf("attempt %d came %v after attempt %d, want a backoff of at least %v", i+3, gap, i+2, minWait)
		}
	}

	var bob struct {
		EmailFailing bool `json:"email_failing"`
	}
	p.runJSON(t, &bob, "user", "show", "bob")
	if !bob.EmailFailing {
		t.Errorf("bob's address is not marked failing after the smarthost's 550")
	}

	// The next line goes to bob's phone.
	var out struct {
		Routes map[string]struct {
			Channel string `json:"channel"`
			Reason  string `json:"reason"`
		} `json:"routes"`
	}
	p.runJSON(t, &out, "post", "--room", room, "--as", "alice", next)
	if r := out.Routes["bob"]; r.Channel != "sms" {
		t.Errorf("bob's next line is routed %+v, want sms (no working email)", r)
	}
	waitFor(t, mailWait, "the next line texted to bob", func() bool {
		for _, m := range fake.Messages() {
			if m.To == phone && strings.Contains(m.Body, next) {
				return true
			}
		}
		return false
	})
	if n := len(tries()); n != 3 {
		t.Errorf("the smarthost saw %d RCPTs for bob by the end, want 3: a dead letter is not retried", n)
	}
	t.Logf("smarthost down, 451, 451, 550: retried after %v and %v, dead letter %v after the post (attempts %d, reason %q); bob's next line went by SMS",
		at[1].Sub(at[0]).Round(time.Millisecond), at[2].Sub(at[1]).Round(time.Millisecond), deadAfter.Round(time.Millisecond), dead[0].Attempt, dead[0].Reason)
	p.stop(t, fake.AuthToken)
}

// TestFaultSmarthostStallsOneRecipient: the smarthost never answers RCPT
// for carol, as a stuck mailbox would. Alice posts five lines; bob's and
// dave's emails must not wait behind carol's stalled sends (the 30 s DATA
// limit, or even the 10 s command limit): each arrives within a few
// seconds of its post, one email per line, while carol's sends stay
// stalled.
func TestFaultSmarthostStallsOneRecipient(t *testing.T) {
	const lines = 5
	sink := smtppeer.Start(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, faultEnv(t, sink)...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	for _, m := range []string{"bob", "carol", "dave"} {
		p.run(t, "user", "add", "--id", m, "--name", strings.ToUpper(m[:1])+m[1:], "--email", m+"@example.org")
	}
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol,dave")
	for _, m := range []string{"bob", "carol", "dave"} {
		p.run(t, "presence", "set", m, "away")
	}
	sink.Stall("carol@example.org")

	posted := make(map[string]time.Time, lines)
	for i := range lines {
		text := "stall fault line " + string(rune('A'+i))
		posted[text] = time.Now()
		p.run(t, "post", "--room", room, "--as", "alice", text)
	}
	// arrived: for each of bob and dave, each line's first arrival.
	arrived := func() map[string]map[string]time.Time {
		got := map[string]map[string]time.Time{"bob@example.org": {}, "dave@example.org": {}}
		for _, m := range sink.Messages() {
			for _, to := range m.To {
				seen, ok := got[to]
				if !ok {
					continue
				}
				for text := range posted {
					if _, dup := seen[text]; !dup && strings.Contains(string(m.Data), lineMark+text) {
						seen[text] = m.At
					}
				}
			}
		}
		return got
	}
	waitFor(t, 20*time.Second, "every line at bob and dave", func() bool {
		for _, seen := range arrived() {
			if len(seen) < lines {
				return false
			}
		}
		return true
	})
	var worst time.Duration
	for to, seen := range arrived() {
		for text, at := range seen {
			d := at.Sub(posted[text])
			worst = max(worst, d)
			// The bound is far below the stall limits it guards against;
			// the figure is printed.
			if d > 5*time.Second {
				t.Errorf("%q reached %s %v after its post, behind carol's stalled sends", text, to, d.Round(time.Millisecond))
			}
		}
	}
	for _, m := range sink.Messages() {
		for _, to := range m.To {
			if to == "carol@example.org" {
				t.Errorf("the smarthost took an email for carol, whose RCPT it stalls")
			}
		}
	}
	if sink.Stalled() == 0 {
		t.Errorf("no send to carol is stalled at the smarthost: the test did not test the stall")
	}
	t.Logf("carol stalled at RCPT: bob's and dave's %d lines each arrived at most %v after their post (%d of carol's sends stalled)",
		lines, worst.Round(time.Millisecond), sink.Stalled())
}
