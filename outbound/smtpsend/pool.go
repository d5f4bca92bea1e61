package smtpsend

import (
	"context"
	"slices"
	"time"
)

// The pool: c.slots holds one token per Send that owns (or is opening) a
// connection, so at most PoolSize connections are in use. A connection that
// is returned goes to c.idle before its token is released, and a Send that
// holds a token dials only when c.idle is empty, so in-use plus idle
// connections never exceed PoolSize either.

// begin registers a Send with Close, or fails if the client is closed.
func (c *Client) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.active.Add(1)
	return nil
}

// acquire waits for a connection slot, ctx or Close. A context that has
// already ended gets no slot, so that it cannot break a pooled connection.
func (c *Client) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: "pool", Message: "context ended before sending", Temporary: true, Err: err}
	}
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	c.log.DebugContext(ctx, "smtpsend: all connections busy, waiting", "pool", cap(c.slots))
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &Error{Op: "pool", Message: "waiting for a free connection", Temporary: true, Err: ctx.Err()}
	case <-c.done:
		return ErrClosed
	}
}

// release gives a slot back.
func (c *Client) release() { <-c.slots }

// take returns the most recently used idle connection, or nil when there is
// none and the caller should dial.
func (c *Client) take() (*conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	n := len(c.idle)
	if n == 0 {
		return nil, nil
	}
	cn := c.idle[n-1]
	c.idle = c.idle[:n-1]
	cn.timer.Stop() // if it is firing already, expire will not find cn in c.idle
	return cn, nil
}

// put returns a healthy connection to the idle list, to be closed after
// IdleTimeout unless it is used again.
func (c *Client) put(cn *conn) {
	cn.lastUsed = time.Now()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.retire(cn, "client closed")
		return
	}
	cn.timer = time.AfterFunc(c.opt.IdleTimeout, func() { c.expire(cn) })
	c.idle = append(c.idle, cn)
	c.mu.Unlock()
}

// expire closes cn if it is still idle.
func (c *Client) expire(cn *conn) {
	c.mu.Lock()
	i := slices.Index(c.idle, cn)
	if i < 0 {
		c.mu.Unlock()
		return
	}
	c.idle = slices.Delete(c.idle, i, i+1)
	c.active.Add(1) // Close waits for this QUIT too; c.closed is false here
	c.mu.Unlock()
	defer c.active.Done()
	c.retire(cn, "idle timeout")
}

// recycle decides what to do with a connection after a failed transaction:
// after a plain refusal (an SMTP reply other than 421) the session is still
// good and is reset with RSET for the next message; after anything else
// (broken connection, 421, timeout, ended context, a session the wire
// closed as out of step) it is closed.
func (c *Client) recycle(ctx context.Context, cn *conn, e *Error) {
	if cn.w.closed {
		c.discard(cn)
		return
	}
	if e.Code == 0 && e.Err == nil && ctx.Err() == nil {
		c.put(cn) // refused here before any command: the session is untouched
		return
	}
	if e.Code == 0 || e.Code == 421 || ctx.Err() != nil {
		c.discard(cn)
		return
	}
	if err := cn.w.reset(); err != nil {
		c.log.DebugContext(ctx, "smtpsend: RSET failed", "conn", cn.id, "err", err)
		c.discard(cn)
		return
	}
	c.put(cn)
}

// retire says QUIT and closes the connection, for connections in good
// health.
func (c *Client) retire(cn *conn, reason string) {
	_ = cn.w.quit(quitTimeout) // closes whatever the reply

	c.log.Debug("smtpsend: connection closed", "conn", cn.id, "reason", reason, "messages", cn.sent)
}

// discard closes a connection whose state is unknown, without a word to the
// server.
func (c *Client) discard(cn *conn) {
	_ = cn.w.close()
	c.log.Debug("smtpsend: connection dropped", "conn", cn.id, "messages", cn.sent)
}

// quitTimeout bounds the wait for the reply to QUIT, which nobody needs.
const quitTimeout = 2 * time.Second
