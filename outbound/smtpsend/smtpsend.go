// Package smtpsend submits messages to an SMTP smarthost over a small pool of
// reused connections.
//
// It is the last step of an email delivery in parley: the delivery worker
// composes a message and calls Send, which hands it to the smarthost
// (PARLEY_SMARTHOST) with MAIL, RCPT and DATA on a connection that is already
// open, greeted, encrypted and authenticated when one is free; when the
// smarthost offers PIPELINING the three go out together (wire.go). A failure is an
// *Error that says whether it is temporary (retry later) or permanent
// (dead-letter), with the server's reply code and enhanced status code.
//
// What Send guarantees about duplicates: a message is sent at most once per
// call. Send retries once on a fresh connection only when a pooled connection
// turns out to be dead at its very first command (the server closed it while
// it was idle), which is before anything of the message was accepted. Once the
// final "." of DATA is written, Send waits for the reply up to Options.Timeout
// even if the context ends, so that an accepted message is not reported as
// failed merely because the caller gave up a moment too early.
package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TLSMode says how the connection to the smarthost is encrypted.
type TLSMode string

// The TLS modes. The zero value means StartTLS.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else; a server that does not offer STARTTLS is an error.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (submissions, port 465).
	ImplicitTLS TLSMode = "tls"
	// NoTLS never encrypts. Only sensible towards a relay on the same host
	// or in tests; AUTH is then allowed to loopback addresses only.
	NoTLS TLSMode = "none"
)

// Defaults for the zero values of Options.
const (
	DefaultPoolSize    = 4
	DefaultIdleTimeout = 30 * time.Second
	DefaultTimeout     = 30 * time.Second
	// DefaultCommandTimeout bounds the reply to each command but the final
	// "." of DATA: a smarthost that stalls on one recipient frees the
	// connection soon.
	DefaultCommandTimeout = 10 * time.Second
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("smtpsend: client closed")

// Options configures a Client. Only Addr is required.
type Options struct {
	// Addr is the smarthost as host:port (PARLEY_SMARTHOST).
	Addr string
	// Username and Password, when Username is set, log in with AUTH PLAIN
	// (PARLEY_SMARTHOST_USER, PARLEY_SMARTHOST_PASSWORD). New refuses them
	// with TLS "none" unless the host is a loopback address or "localhost":
	// the password is never sent in plain text over a network.
	Username, Password string
	// TLS is the encryption mode; empty means StartTLS.
	TLS TLSMode
	// TLSConfig is optional (tests pass one with a RootCAs pool). It is
	// cloned; an empty ServerName is set to the host of Addr.
	TLSConfig *tls.Config
	// LocalName is the name given in EHLO (both of them with StartTLS);
	// empty means "localhost".
	LocalName string
	// PoolSize bounds the open connections (default 4). When all are busy
	// Send waits for one, or for its context to end.
	PoolSize int
	// IdleTimeout closes a connection after it has been idle this long
	// (default 30 s). Keep it below the smarthost's own idle timeout
	// (Postfix smtpd: 300 s); a connection the server closed anyway is
	// detected at its next use and replaced.
	IdleTimeout time.Duration
	// Timeout bounds dialling plus connection setup (greeting, EHLO, TLS,
	// AUTH) together, the writing of a message's body and the wait for
	// the reply to its final "." (default 30 s).
	Timeout time.Duration
	// CommandTimeout bounds the reply to every other command: MAIL, RCPT,
	// DATA, and each step of the setup (default 10 s, never above
	// Timeout).
	CommandTimeout time.Duration
	// RequireTLS (PARLEY_REQUIRETLS=on) sends with the REQUIRETLS extension
	// (RFC 8689) whenever the smarthost offers it, and refuses a message
	// marked with WithRequireTLS (a confidential room's) when it does not.
	RequireTLS bool
	// Logger receives debug records about connections and sends; nil means
	// slog.Default(). Passwords and message bodies are never logged.
	Logger *slog.Logger
}

// Client submits messages to one smarthost. It is safe for concurrent use.
type Client struct {
	opt       Options
	tlsConfig *tls.Config // nil with NoTLS
	log       *slog.Logger
	slots     chan struct{} // one token per connection in use
	done      chan struct{} // closed by Close
	nextID    atomic.Uint64
	active    sync.WaitGroup // Sends that began before Close

	mu     sync.Mutex
	closed bool
	idle   []*conn // most recently used last
}

// New checks opt and returns a Client. It does no I/O: the first Send
// connects.
func New(opt Options) (*Client, error) {
	host, port, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtpsend: smarthost address %q: %w", opt.Addr, err)
	}
	if host == "" || port == "" {
		return nil, fmt.Errorf("smtpsend: smarthost address %q: host and port are required", opt.Addr)
	}
	switch opt.TLS {
	case "":
		opt.TLS = StartTLS
	case StartTLS, ImplicitTLS, NoTLS:
	default:
		return nil, fmt.Errorf("smtpsend: unknown TLS mode %q (want starttls, tls or none)", opt.TLS)
	}
	if opt.TLS == NoTLS && opt.TLSConfig != nil {
		return nil, errors.New("smtpsend: TLSConfig given with TLS mode none")
	}
	if opt.Password != "" && opt.Username == "" {
		return nil, errors.New("smtpsend: password given without a username")
	}
	if opt.Username != "" && opt.TLS == NoTLS && !isLoopback(host) {
		return nil, fmt.Errorf("smtpsend: refusing to send a password in plain text to %s: use TLS mode starttls or tls", host)
	}
	if strings.ContainsAny(opt.Username+opt.Password, "\x00") {
		return nil, errors.New("smtpsend: username or password contains a NUL byte")
	}
	if opt.LocalName == "" {
		opt.LocalName = "localhost"
	}
	if strings.ContainsAny(opt.LocalName, " \t\r\n") {
		return nil, fmt.Errorf("smtpsend: local name %q contains white space", opt.LocalName)
	}
	if opt.PoolSize < 0 || opt.IdleTimeout < 0 || opt.Timeout < 0 || opt.CommandTimeout < 0 {
		return nil, errors.New("smtpsend: negative PoolSize, IdleTimeout, Timeout or CommandTimeout")
	}
	if opt.PoolSize == 0 {
		opt.PoolSize = DefaultPoolSize
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.CommandTimeout == 0 {
		opt.CommandTimeout = DefaultCommandTimeout
	}
	opt.CommandTimeout = min(opt.CommandTimeout, opt.Timeout)
	c := &Client{
		opt:   opt,
		log:   opt.Logger,
		slots: make(chan struct{}, opt.PoolSize),
		done:  make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("smarthost", opt.Addr)
	if opt.TLS != NoTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if opt.TLSConfig != nil {
			cfg = opt.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		c.tlsConfig = cfg
	}
	return c, nil
}

// isLoopback reports whether host names this machine without a network in
// between. Names other than "localhost" are not resolved: New does no I/O.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send submits msg, a complete RFC 5322 message with CRLF line ends, from the
// envelope sender from (may be empty, the null reverse-path) to the envelope
// recipients to. It blocks while all PoolSize connections are busy, until one
// is free or ctx ends.
//
// A nil error means the smarthost accepted the message (250 after DATA) for
// every recipient. Otherwise the error is an *Error (see IsTemporary), or
// ErrClosed. When one of several recipients is refused, Send gives up on the
// whole message at that RCPT and nothing is sent to anyone: the *Error names
// the refused recipient (Rcpt) and whether the refusal is temporary; the
// recipients before it were accepted by the server but the transaction is
// reset. parley sends one recipient per message, so this costs nothing there.
func (c *Client) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	if err := c.begin(); err != nil {
		return err
	}
	defer c.active.Done()
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer c.release()

	start := time.Now()
	for attempt := 1; ; attempt++ {
		var cn *conn
		if attempt == 1 {
			var err error
			if cn, err = c.take(); err != nil {
				return err
			}
		}
		reused := cn != nil
		if !reused {
			var derr *Error
			if cn, derr = c.dial(ctx); derr != nil {
				c.log.DebugContext(ctx, "smtpsend: connect failed", "op", derr.Op, "code", derr.Code,
					"temporary", derr.Temporary, "err", derr)
				return derr
			}
		}
		op, err := c.transact(ctx, cn, from, to, msg)
		if err == nil {
			cn.sent++
			c.log.DebugContext(ctx, "smtpsend: sent", "conn", cn.id, "reused", reused, "rcpts", len(to),
				"size", len(msg), "elapsed", time.Since(start))
			c.put(cn)
			return nil
		}
		e := wrapErr(op, err)
		if ctx.Err() == nil && deadOnArrival(reused, attempt, e) {
			c.log.DebugContext(ctx, "smtpsend: pooled connection was dead, retrying on a new one",
				"conn", cn.id, "err", e)
			c.discard(cn)
			continue
		}
		c.log.DebugContext(ctx, "smtpsend: send failed", "conn", cn.id, "reused", reused, "op", e.Op,
			"code", e.Code, "temporary", e.Temporary, "err", e)
		c.recycle(ctx, cn, e)
		return e
	}
}

// deadOnArrival reports whether a failure shows that a pooled connection had
// been closed by the server while idle, so that the message may be tried once
// more on a new connection: it failed at MAIL, its first command, with a
// broken connection or a 421 "closing" reply. Nothing of the message was
// accepted, so retrying cannot send it twice.
func deadOnArrival(reused bool, attempt int, e *Error) bool {
	if !reused || attempt != 1 || e.Op != "mail" {
		return false
	}
	return (e.Code == 0 && e.Err != nil) || e.Code == 421 // Err nil: refused here, not by the server
}

// checkEnvelope refuses addresses that would break the SMTP dialogue, before
// any connection is used.
func checkEnvelope(from string, to []string) error {
	if strings.ContainsAny(from, "\r\n<>") {
		return permanent("mail", fmt.Sprintf("invalid sender address %q", from))
	}
	if len(to) == 0 {
		return permanent("rcpt", "no recipients")
	}
	for _, rcpt := range to {
		if rcpt == "" || strings.ContainsAny(rcpt, "\r\n<>") {
			return &Error{Op: "rcpt", Rcpt: rcpt, Message: "invalid recipient address"}
		}
	}
	return nil
}

// Close closes the idle connections at once (with QUIT), makes waiting and
// later Sends fail with ErrClosed, and returns when the Sends already under
// way have finished and closed their connections too.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	idle := c.idle
	c.idle = nil
	for _, cn := range idle {
		cn.timer.Stop()
	}
	c.mu.Unlock()

	var wg sync.WaitGroup
	for _, cn := range idle {
		wg.Go(func() { c.retire(cn, "client closed") })
	}
	wg.Wait()
	c.active.Wait()
	return nil
}
