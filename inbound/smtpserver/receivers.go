package smtpserver

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// A goroutine starts with a small stack and grows it by copying it whole
// to one twice the size. go-smtp starts a goroutine for each connection,
// most senders deliver one message a connection, and a message's way from
// the door to Redis (parse, reply extraction, the post) runs deep: each
// session's goroutine grew its stack twice for its message, and the copies
// cost about as much as parsing the message (~6 µs of ~20; `parley bench
// --only inbound`, profile). So a session hands its message to a receiver
// goroutine kept from earlier messages, whose stack has grown already,
// and waits for it.

// receivers runs calls on goroutines kept between calls.
type receivers struct {
	// idle takes a call when a receiver is waiting for one (unbuffered).
	idle chan func()
	// stopped is closed when the server has stopped: waiting receivers
	// end.
	stopped  chan struct{}
	stopOnce sync.Once
}

// receiverIdle is how long a receiver waits for a call before it ends:
// after a burst the goroutines, and their stacks, go again.
const receiverIdle = 10 * time.Second

func newReceivers() *receivers {
	return &receivers{idle: make(chan func()), stopped: make(chan struct{})}
}

// run calls f on a waiting receiver, or on a new one when none waits, and
// returns when f has returned. A panic in f is raised again in run's
// goroutine, where it would have been without receivers (go-smtp recovers
// it, answers 421, closes the connection and logs it), carrying the stack
// of the receiver where it happened (receiverPanic).
func (r *receivers) run(f func()) {
	done := make(chan *receiverPanic, 1)
	call := func() {
		defer func() {
			var rp *receiverPanic
			if p := recover(); p != nil {
				rp = &receiverPanic{value: p, stack: debug.Stack()}
			}
			done <- rp
		}()
		f()
	}
	select {
	case r.idle <- call:
	default:
		go r.serve(call)
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

// receiverPanic is a panic of a call that run raises again: the log then
// shows where it happened, not only where it was raised again.
type receiverPanic struct {
	value any
	stack []byte
}

// String is the panic's value and the receiver's stack.
func (p *receiverPanic) String() string {
	return fmt.Sprintf("%v\n[in the receiver goroutine]\n%s", p.value, p.stack)
}

// serve runs call, and then the calls it is handed, until it has waited
// receiverIdle for one or the server has stopped.
func (r *receivers) serve(call func()) {
	wait := time.NewTimer(receiverIdle)
	defer wait.Stop()
	for {
		call()
		wait.Reset(receiverIdle)
		select {
		case call = <-r.idle:
		case <-wait.C:
			return
		case <-r.stopped:
			return
		}
	}
}

// stop ends the receivers that wait; a call still running finishes.
func (r *receivers) stop() { r.stopOnce.Do(func() { close(r.stopped) }) }
