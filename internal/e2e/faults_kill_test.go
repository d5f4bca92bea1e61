package e2e

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
)

// replyNumber finds the numbers of bob's replies ("fault reply N") in a
// relay email.
var replyNumber = regexp.MustCompile(regexp.QuoteMeta(lineMark) + `fault reply (\d+)\b`)

var messageIDField = regexp.MustCompile(`(?im)^Message-ID:\s*(\S+)`)

// TestFaultServeKilledUnderLoad: bob's replies arrive by SMTP from
// several connections at once while parley serve is killed (SIGKILL) and
// restarted, 5 times (E2E_FAULT_KILLS for more). Like a real mail server,
// the sender tries a reply again, with the same bytes and Message-ID,
// until it is answered 250. Every reply ends as exactly one line, and
// every line goes out to carol: once, or again with the same Message-ID
// when a kill came between the smarthost's 250 and parley's record of it.
func TestFaultServeKilledUnderLoad(t *testing.T) {
	kills := 5
	if v := os.Getenv("E2E_FAULT_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("E2E_FAULT_KILLS=%q is not a positive number", v)
		}
		kills = n
	}
	const (
		senders = 3
		carol   = "carol@example.org"
	)
	sink := smtppeer.Start(t)
	rd := redispeer.New(t)
	p := startParley(t, rd, faultEnv(t, sink)...)
	p.run(t, "user", "add", "--id", "alice", "--name", "Alice", "--email", "alice@example.org")
	p.run(t, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "bob@example.org")
	p.run(t, "user", "add", "--id", "carol", "--name", "Carol", "--email", carol)
	p.run(t, "room", "create", "--id", room, "--name", "Design", "--members", "alice,bob,carol")
	p.run(t, "presence", "set", "bob", "away")
	p.run(t, "presence", "set", "carol", "away")
	p.run(t, "post", "--room", room, "--as", "alice", "Replies, please")
	rel := relayAt(t, sink, "bob@example.org")

	var (
		mu       sync.Mutex
		next     int
		acked    = map[int]time.Time{} // reply -> when answered 250
		tries    int
		codes    = map[int]int{}
		stopNew  = make(chan struct{})
		giveUp   = make(chan struct{})
		senderWG sync.WaitGroup
	)
	for range senders {
		senderWG.Go(func() {
			for {
				select {
				case <-stopNew:
					return
				default:
				}
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				for {
					code := submit(p.SMTP, rel.ReplyTo, rel.MessageID, n)
					mu.Lock()
					tries++
					codes[code]++
					if code == 250 {
						acked[n] = time.Now()
					}
					mu.Unlock()
					if code == 250 {
						break
					}
					select {
					case <-giveUp:
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		})
	}
	ackedCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}

	var downFor []time.Duration
	for k := range kills {
		// Load flows before each kill: a few replies taken by this run.
		base := ackedCount()
		waitFor(t, 30*time.Second, fmt.Sprintf("replies accepted before kill %d", k+1), func() bool { return ackedCount() >= base+4 })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		<-p.exited
		if err := p.start(t); err != nil {
			t.Fatalf("restart %d: %v\n%s", k+1, err, p.log)
		}
		downFor = append(downFor, time.Since(killed).Round(time.Millisecond))
	}
	base := ackedCount()
	waitFor(t, 30*time.Second, "replies accepted after the last restart", func() bool { return ackedCount() >= base+4 })
	close(stopNew)
	// Every reply begun is retried until it is taken.
	done := make(chan struct{})
	go func() { senderWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		close(giveUp)
		<-done
		t.Fatalf("replies still refused 30 s after the last restart (codes %v)", codes)
	}
	replies := len(acked)
	if replies != next {
		t.Fatalf("%d replies begun, %d acknowledged", next, replies)
	}

	// Every reply is one line.
	lineOf := map[int]int{}
	for _, l := range p.lines(t, room) {
		var n int
		if _, err := fmt.Sscanf(l.Text, "fault reply %d", &n); err == nil {
			lineOf[n]++
		}
	}
	for n := range replies {
		if lineOf[n] != 1 {
			t.Errorf("reply %d was answered 250 and is %d lines", n, lineOf[n])
		}
	}

	// Every line reaches carol, under one Message-ID.
	start := time.Now()
	var ids map[int]map[string]int
	waitFor(t, 60*time.Second, fmt.Sprintf("carol's emails of all %d replies", replies), func() bool {
		ids = map[int]map[string]int{}
		for _, m := range sink.Messages() {
			if len(m.To) != 1 || m.To[0] != carol {
				continue
			}
			id := messageID(m.Data)
			in := map[int]bool{} // a text is in both parts of the email
			for _, g := range replyNumber.FindAllSubmatch(m.Data, -1) {
				n, _ := strconv.Atoi(string(g[1]))
				in[n] = true
			}
			for n := range in {
				if ids[n] == nil {
					ids[n] = map[string]int{}
				}
				ids[n][id]++
			}
		}
		return len(ids) >= replies
	})
	tail := time.Since(start)
	// Lines stored just before a kill are routed when serve starts again,
	// not 30 s later by the periodic recovery; slack for a loaded machine.
	if tail > 10*time.Second {
		t.Errorf("carol's last email came %v after the load ended, want a few seconds at most", tail)
	}
	resent := 0
	for n, byID := range ids {
		if len(byID) != 1 {
			t.Errorf("reply %d reached carol under %d Message-IDs: %v", n, len(byID), byID)
		}
		for _, c := range byID {
			if c > 1 {
				resent++
			}
		}
	}
	sort.Slice(downFor, func(i, j int) bool { return downFor[i] < downFor[j] })
	t.Logf("%d SIGKILLs under SMTP load from %d connections (serve down %v each, until it answered again): %d replies acknowledged in %d tries (codes %v), each one line; "+
		"all relayed to carol (%d of them more than once, same Message-ID), the last %v after the load ended",
		kills, senders, downFor, replies, tries, codes, resent, tail.Round(time.Millisecond))
	p.stop(t)
}

// messageID returns the Message-ID field of a raw message, "" if none.
func messageID(data []byte) string {
	m := messageIDField.FindSubmatch(data)
	if m == nil {
		return ""
	}
	return string(m[1])
}
