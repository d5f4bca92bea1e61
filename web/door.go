package web

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"parley/internal/remoteip"
)

// The HTTP door's own defences (issue 20): deadlines on every phase of a
// request, a cap on one address's open connections, and caps on live
// streams per address and per member. One client cannot take the door
// down, nor the Redis connections every other door needs.

// ServerOptions configure NewServer and Listen. Zero values pick the defaults.
type ServerOptions struct {
	// ReadHeaderTimeout bounds reading a request's header (10 s);
	// ReadTimeout the whole request with its body (60 s: a body deadline);
	// IdleTimeout a kept-alive connection between requests (2 min). The
	// live stream lifts the read deadline for itself.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// MaxConnsPerIP caps one address's open connections (64); beyond it a
	// new connection is answered 429 and closed.
	MaxConnsPerIP int
	// Log receives the server's own errors (at Warn).
	Log *slog.Logger
}

// Defaults of ServerOptions and of the stream caps.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxConnsPerIP     = 64
	// DefaultMaxStreamsPerMember and DefaultMaxStreamsPerIP cap live
	// streams: each holds a connection, a goroutine and a buffer (the
	// Redis subscription is the process's, shared).
	DefaultMaxStreamsPerMember = 8
	DefaultMaxStreamsPerIP     = 32
)

func (o *ServerOptions) defaults() {
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxConnsPerIP <= 0 {
		o.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// NewServer returns an http.Server for h with the door's deadlines.
func NewServer(h http.Handler, o ServerOptions) *http.Server {
	o.defaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		IdleTimeout: o.IdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn)}
}

// Listen wraps ln so that one address holds at most o.MaxConnsPerIP
// connections at a time; a connection over the cap gets a 429 with a
// JSON error and is closed at once, before any request is read.
func Listen(ln net.Listener, o ServerOptions) net.Listener {
	o.defaults()
	return &capListener{Listener: ln, max: o.MaxConnsPerIP, open: map[string]int{}}
}

type capListener struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

// tooManyConns is written to a connection over the cap.
const tooManyConns = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n" +
	"Content-Length: 71\r\n\r\n{\"error\":\"too many connections from your address\",\"code\":\"rate_limited\"}"

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteip.Of(c.RemoteAddr())
		l.mu.Lock()
		ok := l.open[ip] < l.max
		if ok {
			l.open[ip]++
		}
		l.mu.Unlock()
		if ok {
			return &capConn{Conn: c, release: func() { l.release(ip) }}, nil
		}
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte(tooManyConns))
		_ = c.Close()
	}
}

func (l *capListener) release(ip string) {
	l.mu.Lock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
	l.mu.Unlock()
}

// capConn gives its place back when closed, once.
type capConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *capConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// streamCaps counts the live streams open per member and per address.
type streamCaps struct {
	mu        sync.Mutex
	perMember map[string]int
	perIP     map[string]int
}

// take claims a stream for member from ip, or returns a 429 error; the
// returned func gives it back.
func (s *streamCaps) take(member, ip string, maxMember, maxIP int) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perMember == nil {
		s.perMember, s.perIP = map[string]int{}, map[string]int{}
	}
	if s.perMember[member] >= maxMember {
		return nil, &httpError{status: http.StatusTooManyRequests, code: "too_many_streams",
			msg: "too many live streams open for this member; close a tab", retryAfter: 30 * time.Second}
	}
	if s.perIP[ip] >= maxIP {
		return nil, &httpError{status: http.StatusTooManyRequests, code: "too_many_streams",
			msg: "too many live streams open from this address", retryAfter: 30 * time.Second}
	}
	s.perMember[member]++
	s.perIP[ip]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.perMember[member]--; s.perMember[member] <= 0 {
			delete(s.perMember, member)
		}
		if s.perIP[ip]--; s.perIP[ip] <= 0 {
			delete(s.perIP, ip)
		}
	}, nil
}
