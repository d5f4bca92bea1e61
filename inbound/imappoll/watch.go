package imappoll

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// errNoAnswer is the session's error when the server sent nothing for
// Options.AnswerTimeout while the session waited on it.
var errNoAnswer = errors.New("imap server sent nothing")

// watchedConn bounds how long the session waits for the server's answer.
// imapclient times a response out once its first byte has come (30 s), but
// it waits for that first byte with no deadline: a server that takes a
// command and never answers (a mailbox process stuck after a restart)
// would hold the session for as long as its TCP connection stays up, and
// TCP keepalive only notices a peer that is gone. So whenever imapclient
// clears the read deadline between two responses, watchedConn sets it to
// limit after the latest byte read or written instead. The session turns
// this off while it waits on purpose, in IDLE, between two polls and while
// a message is folded in, and on again after (setQuiet).
type watchedConn struct {
	net.Conn
	limit time.Duration

	mu      sync.Mutex
	between bool  // imapclient asked for no read deadline: between two responses
	quiet   bool  // the session is waiting on purpose
	silent  error // set when the wait for an answer ran out (silence)
}

func newWatchedConn(c net.Conn, limit time.Duration) *watchedConn {
	w := &watchedConn{Conn: c, limit: limit, between: true}
	w.rearm()
	return w
}

// rearm sets the read deadline limit from now, when the wait is the
// server's to end. Called with mu held, or before the conn is shared.
func (w *watchedConn) rearm() {
	if w.between && !w.quiet {
		_ = w.Conn.SetReadDeadline(time.Now().Add(w.limit))
	}
}

// SetReadDeadline is imapclient's: a zero time (between responses) means
// limit from now unless the session is quiet.
func (w *watchedConn) SetReadDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.between = t.IsZero()
	if w.between && !w.quiet {
		return w.Conn.SetReadDeadline(time.Now().Add(w.limit))
	}
	return w.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, the read one as SetReadDeadline does.
func (w *watchedConn) SetDeadline(t time.Time) error {
	if err := w.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return w.SetReadDeadline(t)
}

// Read reads, and starts the wait for the next byte over. When the wait
// for an answer runs out it closes the connection (imapclient would read
// on after a timeout) and remembers why (silence).
func (w *watchedConn) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	w.mu.Lock()
	defer w.mu.Unlock()
	if n > 0 {
		w.rearm()
	}
	// Only our deadline: a dead peer (keepalive, ETIMEDOUT) is no silence.
	if err != nil && n == 0 && w.between && !w.quiet && errors.Is(err, os.ErrDeadlineExceeded) {
		w.silent = fmt.Errorf("%w for %s", errNoAnswer, w.limit)
		_ = w.Conn.Close()
		return 0, w.silent
	}
	return n, err
}

// silence is why the connection was closed for want of an answer, or nil.
func (w *watchedConn) silence() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.silent
}

// Write writes (a command, most often): the answer is due limit from now.
func (w *watchedConn) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.rearm()
	w.mu.Unlock()
	return w.Conn.Write(b)
}

// setQuiet tells whether the session is waiting on purpose (IDLE, the
// pause between polls, a message being folded in): no answer is due then.
func (w *watchedConn) setQuiet(quiet bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.quiet = quiet
	if w.between {
		if quiet {
			_ = w.Conn.SetReadDeadline(time.Time{})
		} else {
			w.rearm()
		}
	}
}
