package smtpserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"parley/internal/remoteip"
)

// listener counts connections per remote IP and wraps each one it lets
// through in a conn. A connection over the cap is answered 421 4.7.0 and
// closed before go-smtp sees it (go-smtp's own Conn.Reject says 4.4.5).
type listener struct {
	net.Listener
	srv *Server
}

var _ net.Listener = (*listener)(nil)

// Accept returns the next connection within the per-IP cap.
func (l *listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteip.Of(nc.RemoteAddr())
		c, ok := l.srv.admit(nc, ip)
		if ok {
			return c, nil
		}
		l.srv.refuse(nc, ip)
	}
}

// admit registers a new connection from ip, unless that IP already has
// MaxConnsPerIP open or the server is stopping.
func (s *Server) admit(nc net.Conn, ip string) (*conn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opt.MaxConnsPerIP > 0 && s.perIP[ip] >= s.opt.MaxConnsPerIP && !s.trusted(ip) {
		return nil, false
	}
	s.perIP[ip]++
	c := &conn{Conn: nc, srv: s, ip: ip}
	s.conns[c] = struct{}{}
	s.opt.Observer.Session()
	return c, true
}

// release forgets a closed connection.
func (s *Server) release(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
}

// replyTooManyConns is the opening reply to a connection over the per-IP
// cap (RFC 5321 section 3.1 lets a server open with 421).
const replyTooManyConns = "421 4.7.0 Too many connections from your address, try again later\r\n"

// refuse answers a connection over the cap and closes it, without
// holding up Accept.
func (s *Server) refuse(nc net.Conn, ip string) {
	s.log.Warn("smtp connection refused", "remote", nc.RemoteAddr().String(),
		"outcome", "too_many_connections", "code", 421, "limit", s.opt.MaxConnsPerIP)
	s.opt.Observer.Reply(421)
	s.refusals.Add(1)
	go func() {
		defer s.refusals.Done()
		_ = nc.SetWriteDeadline(time.Now().Add(min(s.opt.WriteTimeout, 5*time.Second)))
		_, _ = io.WriteString(nc, replyTooManyConns)
		_ = nc.Close()
	}()
}

// conn is one client connection. It puts a fresh deadline on every read
// (go-smtp sets one per command line only, so a whole message body would
// share the deadline of its DATA line), and it ends idle sessions when the
// server stops while letting a message in flight finish.
type conn struct {
	net.Conn
	srv *Server
	ip  string

	// inMessage is set while the session reads or hands over a message.
	inMessage atomic.Bool
	// woken is set when the server interrupted the pending read.
	woken atomic.Bool
	// said421 is set once the session answered 421: the next read after
	// the stop ends the session quietly, without go-smtp's own 421.
	said421 atomic.Bool
	// broken is set once a read failed (EOF, reset, timeout): whatever
	// was read last may be cut short.
	broken atomic.Bool

	closeOnce sync.Once

	// held is the continuation lines of a multi-line reply not yet
	// written (Write).
	writeMu sync.Mutex
	held    []byte
}

var _ net.Conn = (*conn)(nil)

// errStopping ends an idle session when the server stops. It is a
// timeout to go-smtp, which then answers "421 4.4.2" and closes; it is
// temporary so that crypto/tls does not poison the connection first.
var errStopping = stopError{}

type stopError struct{}

func (stopError) Error() string   { return "smtpserver: server stopping" }
func (stopError) Timeout() bool   { return true }
func (stopError) Temporary() bool { return true }

var _ net.Error = stopError{}

// Read reads with a fresh deadline, and fails at once for an idle session
// when the server is stopping.
func (c *conn) Read(b []byte) (int, error) {
	for {
		// The deadline is set before the stop is checked: a wake that
		// comes between the two is then not lost (see wake).
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.srv.opt.ReadTimeout)); err != nil {
			c.broken.Store(true)
			return 0, err
		}
		if c.srv.stopping.Load() && !c.inMessage.Load() {
			if c.said421.Load() {
				return 0, io.EOF
			}
			return 0, errStopping
		}
		n, err := c.Conn.Read(b)
		if err != nil && n == 0 && c.woken.Swap(false) && isTimeout(err) {
			continue // woken by the stop: the loop decides what follows
		}
		if err != nil {
			c.broken.Store(true)
		}
		return n, err
	}
}

// Write writes b, holding back a continuation line of a multi-line reply
// ("250-PIPELINING\r\n") until the reply's last line, and then writes
// them together: go-smtp writes and flushes a reply a line at a time, so
// the eight lines that answer EHLO would cost eight system calls and eight
// packets, and the client as many reads. Anything that is not one reply
// line (a TLS record after STARTTLS begins with a byte that is no digit)
// is written at once, behind whatever is held.
func (c *conn) Write(b []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if isContinuation(b) && len(c.held)+len(b) <= maxHeldReply {
		c.held = append(c.held, b...)
		return len(b), nil
	}
	if len(c.held) == 0 {
		return c.Conn.Write(b)
	}
	out := append(c.held, b...)
	c.held = c.held[:0]
	n, err := c.Conn.Write(out)
	// Report only b's share of what was written.
	return max(0, min(len(b), n-(len(out)-len(b)))), err
}

// maxHeldReply bounds the reply lines Write holds back.
const maxHeldReply = 4 << 10

// isContinuation reports whether b is exactly one continuation line of a
// reply: three digits, a hyphen, text, CRLF (RFC 5321 section 4.2.1).
func isContinuation(b []byte) bool {
	n := len(b)
	if n < 6 || b[3] != '-' || b[n-2] != '\r' || b[n-1] != '\n' {
		return false
	}
	for _, d := range b[:3] {
		if d < '0' || d > '9' {
			return false
		}
	}
	return bytes.IndexByte(b[:n-1], '\n') < 0
}

// wake interrupts a pending Read so that it checks whether the server is
// stopping.
func (c *conn) wake() {
	c.woken.Store(true)
	_ = c.Conn.SetReadDeadline(time.Unix(1, 0))
}

// Close closes the connection and releases its place in the per-IP count.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() { c.srv.release(c) })
	return err
}

// isTimeout tells whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rateLimiter is a token bucket per remote IP: perMinute tokens at most,
// refilled at perMinute a minute; one MAIL takes one token.
type rateLimiter struct {
	perMinute float64
	now       func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute int, now func() time.Time) *rateLimiter {
	return &rateLimiter{perMinute: float64(perMinute), now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token for ip and tells whether there was one.
func (r *rateLimiter) allow(ip string) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
	b := r.buckets[ip]
	if b == nil {
		b = &bucket{tokens: r.perMinute, at: now}
		r.buckets[ip] = b
	} else {
		b.tokens = r.refill(b, now)
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refill returns the tokens b holds at now.
func (r *rateLimiter) refill(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at)
	if elapsed <= 0 {
		return b.tokens
	}
	return min(r.perMinute, b.tokens+elapsed.Minutes()*r.perMinute)
}

// sweep forgets, at most once a minute, the buckets that are full again,
// so the map holds only the IPs seen lately.
func (r *rateLimiter) sweep(now time.Time) {
	if now.Sub(r.lastSweep) < time.Minute {
		return
	}
	r.lastSweep = now
	for ip, b := range r.buckets {
		if r.refill(b, now) >= r.perMinute {
			delete(r.buckets, ip)
		}
	}
}
