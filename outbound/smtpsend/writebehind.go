package smtpsend

import (
	"net"
	"sync"
)

// writeBehind is a connection that holds what is written until the next
// read (or Close). An SMTP client only reads after it has written a whole
// command (or, with PIPELINING, a group of them), so holding the writes
// changes nothing on the wire but the number of packets. The session's
// buffer is flushed every 4 KB of a message body and again for the final
// dot; through writeBehind a whole message and its dot leave in one write,
// and each command, or group, in one.
type writeBehind struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
}

func newWriteBehind(c net.Conn) *writeBehind {
	return &writeBehind{Conn: c}
}

// maxPending bounds what is held back: beyond it, writes go out at once.
const maxPending = 1 << 20

// Write holds p until the next Read.
func (w *writeBehind) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending)+len(p) > maxPending {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		return w.Conn.Write(p)
	}
	w.pending = append(w.pending, p...)
	return len(p), nil
}

// Read sends what is held, then reads.
func (w *writeBehind) Read(p []byte) (int, error) {
	if err := w.flush(); err != nil {
		return 0, err
	}
	return w.Conn.Read(p)
}

// Close closes at once, dropping what is held: it interrupts a stuck
// session, so it must not wait on a write. (QUIT waits for its reply, so a
// polite goodbye has been sent by then.)
func (w *writeBehind) Close() error {
	return w.Conn.Close()
}

func (w *writeBehind) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *writeBehind) flushLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	_, err := w.Conn.Write(w.pending)
	w.pending = w.pending[:0]
	return err
}
