package smtpserver

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReceiversReuseGoroutines: calls one after another run on kept
// goroutines, concurrent calls each get one, a panic comes back to the
// caller, and stop ends the waiting receivers.
func TestReceiversReuseGoroutines(t *testing.T) {
	r := newReceivers()
	ids := map[string]bool{}
	for range 100 {
		r.run(func() { ids[goroutineID()] = true })
	}
	// Now and then a call comes before the receiver that ran the one
	// before is back waiting, and another starts: a few, not a hundred.
	if len(ids) > 10 {
		t.Errorf("100 calls in a row ran on %d goroutines, want them kept and used again", len(ids))
	}

	// Eight at once: each runs, none waits for another.
	var wg sync.WaitGroup
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(8)
	for range 8 {
		wg.Go(func() { r.run(func() { started.Done(); <-release }) })
	}
	started.Wait()
	close(release)
	wg.Wait()

	func() {
		defer func() {
			p, ok := recover().(*receiverPanic)
			if !ok || p.value != "bug" || !strings.Contains(fmt.Sprint(p), "receivers_test.go") {
				t.Errorf("recovered %v, want the call's panic with the stack where it happened", p)
			}
		}()
		r.run(func() { panic("bug") })
		t.Error("run returned after its call panicked")
	}()
	var last string
	r.run(func() { last = goroutineID() }) // the receivers still serve

	r.stop()
	deadline := time.Now().Add(5 * time.Second)
	for alive(last) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(last) {
		t.Error("a receiver still waits after stop")
	}
}

// goroutineID is the running goroutine's number, from its stack trace.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	return string(id)
}

// alive reports whether goroutine id exists.
func alive(id string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	if _, err := strconv.Atoi(id); err != nil {
		return false
	}
	return strings.Contains(string(buf), "goroutine "+id+" [")
}
