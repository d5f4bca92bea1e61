package smtpserver

import (
	"maps"
	"sync"
	"testing"
	"time"
)

// countingObserver counts sessions and replies by code.
type countingObserver struct {
	mu       sync.Mutex
	sessions int
	replies  map[int]int
}

func (o *countingObserver) Session() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sessions++
}

func (o *countingObserver) Reply(code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.replies[code]++
}

// TestObserverHearsSessionsAndReplies: each connection let in is a
// session; a message taken is a 250, a refused recipient its 550, a
// connection over the per-IP cap its 421. Commands that pass (EHLO, MAIL)
// are not replies the observer hears.
func TestObserverHearsSessionsAndReplies(t *testing.T) {
	obs := &countingObserver{replies: map[int]int{}}
	recv := newFakeReceiver()
	ts := startServer(t, recv, Options{MaxConnsPerIP: 2, Observer: obs})
	c := dialRaw(t, ts.addr)
	c.expect("EHLO mx.example.org", 250)
	c.expect("MAIL FROM:<bob@example.org>", 250)
	c.expect("RCPT TO:<nobody@elsewhere.example>", 550)
	c.expect("RCPT TO:<reply+abc@parley.test>", 250)
	c.expect("DATA", 354)
	c.expect("Subject: hi\r\n\r\nhello\r\n.", 250)
	recv.wait(t, 1, 5*time.Second)
	dialRaw(t, ts.addr)
	if code, _ := dialRawNoGreet(t, ts.addr).read(); code != 421 {
		t.Fatalf("third connection: %d, want 421", code)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if want := map[int]int{250: 1, 550: 1, 421: 1}; obs.sessions != 2 || !maps.Equal(obs.replies, want) {
		t.Errorf("heard %d sessions and replies %v; want 2 and %v", obs.sessions, obs.replies, want)
	}
}
