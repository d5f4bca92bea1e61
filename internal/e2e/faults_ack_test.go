package e2e

import (
	"bytes"
	"net/mail"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
)

// trustedReplies is the environment under which the fault tests' replies
// are taken as they come: one member writes many replies (the loop
// breaker out of reach), loopback is the trusted relay in front of the
// SMTP door (no per-address limits), and the sender is not checked
// (PARLEY_SENDER_AUTH, issue 20: no DNS on loopback to check it with).
// These tests are about the engine's promise, not about who may write.
var trustedReplies = []string{"PARLEY_EMAIL_LINES_PER_MINUTE=100000", "PARLEY_TRUSTED_RELAYS=127.0.0.1/8", "PARLEY_SENDER_AUTH=off"}

// faultEnv is the environment of a fault test's parley serve that sends
// through sink: its own instance name (so a restart takes back its own
// work at once) and trustedReplies, then extra.
func faultEnv(t *testing.T, sink *smtppeer.Server, extra ...string) []string {
	t.Helper()
	env := []string{"PARLEY_SMARTHOST=" + sink.Addr, "PARLEY_SMARTHOST_TLS=none", "PARLEY_INSTANCE=faults-" + randomHex(t, 4)}
	return append(append(env, trustedReplies...), extra...)
}

// lineMark is what stands before a line's text in a relay email's text
// part ("Alice (Wed 10:14 CET): TEXT"). The tests look for a line there:
// the subject (and the HTML part's title) quotes the first line of the
// member's first email in the room, in every later email too.
const lineMark = "): "

// copiesOf returns the Message-IDs of the messages the sink took for to
// whose text part holds the line text, in the order taken (an id twice:
// the same email sent twice).
func copiesOf(sink *smtppeer.Server, to, text string) []string {
	var ids []string
	for _, m := range sink.Messages() {
		if len(m.To) != 1 || !strings.EqualFold(m.To[0], to) || !bytes.Contains(m.Data, []byte(lineMark+text)) {
			continue
		}
		id := "(unreadable)"
		if msg, err := mail.ReadMessage(bytes.NewReader(m.Data)); err == nil {
			id = msg.Header.Get("Message-ID")
		}
		ids = append(ids, id)
	}
	return ids
}

// oneMessageID fails the test unless every copy of what holds text went
// out under one Message-ID (at-least-once, as documented), and returns
// how many copies there were.
func oneMessageID(t *testing.T, sink *smtppeer.Server, to, text string) int {
	t.Helper()
	ids := copiesOf(sink, to, text)
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Errorf("%q reached %s in %d emails with different Message-IDs %v; a repeat must carry the same one", text, to, len(ids), ids)
			break
		}
	}
	return len(ids)
}

// relayAt waits for the first relay email the sink takes for to, and
// returns it as to's mail client reads it.
func relayAt(t *testing.T, sink *smtppeer.Server, to string) relayed {
	t.Helper()
	var rel relayed
	waitFor(t, mailWait, "a relay email to "+to+" at the smarthost", func() bool {
		for _, m := range sink.Messages() {
			if len(m.To) == 1 && m.To[0] == to {
				rel = parseRelayed(t, string(m.Data))
				return true
			}
		}
		return false
	})
	return rel
}

// queueWaiting returns how many delivery jobs are not yet in a batch.
func queueWaiting(t *testing.T, p *parley) int64 {
	t.Helper()
	var st struct {
		Waiting int64 `json:"waiting"`
	}
	p.runJSON(t, &st, "queue", "stats")
	return st.Waiting
}

// TestFaultKilledBeforeAck: the smarthost has taken bob's email (it holds
// its 250) when parley serve is killed (SIGKILL), so parley cannot know
// the email went out. Meanwhile a second line has joined bob's batch (a
// batching window of 1 s). Restarted under the same PARLEY_INSTANCE,
// parley sends the first email again with the same Message-ID (so bob's
// mail client shows it once) and the second line after it, within
// seconds: nothing lost, and a repeat only with the same Message-ID.
func TestFaultKilledBeforeAck(t *testing.T) {
	const (
		first  = "kill-before-ack first line"
		second = "kill-before-ack second line"
		bob    = "bob@example.org"
	)
	sink := smtppeer.Start(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, faultEnv(t, sink, "PARLEY_BATCH_WINDOW=1s")...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob", "--email", bob)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob")
	p.run(t, "presence", "set", "bob", "away")

	sink.HoldAfterData(true)
	p.run(t, "post", "--room", room, "--as", "alice", first)
	waitFor(t, 20*time.Second, "bob's email taken by the smarthost, its 250 held", func() bool { return sink.Held() == 1 })
	// The second line joins the batch being sent.
	p.run(t, "post", "--room", room, "--as", "alice", second)
	waitFor(t, 10*time.Second, "the second line gathered into bob's batch", func() bool { return queueWaiting(t, p) == 0 })

	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	sink.HoldAfterData(false)
	if err := p.start(t); err != nil {
		t.Fatalf("restart: %v\n%s", err, p.log)
	}
	restarted := time.Now()
	waitFor(t, 30*time.Second, "both lines at the smarthost after the restart", func() bool {
		return len(copiesOf(sink, bob, first)) >= 2 && len(copiesOf(sink, bob, second)) >= 1
	})
	tail := time.Since(restarted)
	n1, n2 := oneMessageID(t, sink, bob, first), oneMessageID(t, sink, bob, second)
	t.Logf("killed after the smarthost took the email, before parley recorded it: after the restart the first line went out again (%d copies, one Message-ID) and the second (%d copy) %v later",
		n1, n2, tail.Round(time.Millisecond))
	if n1 > 2 || n2 > 1 {
		t.Errorf("first line sent %d times, second %d times; want at most 2 and 1", n1, n2)
	}
	// 5 s asked; slack for a loaded 2-core machine with -race.
	if tail > 10*time.Second {
		t.Errorf("the tail took %v after the restart, want about 5 s at most", tail)
	}
	p.stop(t)
}
