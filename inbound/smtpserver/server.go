// Package smtpserver is parley's SMTP door: the server a deployment's MX
// (or a relay) delivers members' email replies to.
//
// It owns transport only. Recipients are checked at RCPT with the
// inbound.Receiver, so parley is never an open relay; after DATA the raw
// message goes to Receiver.Receive, and the client hears 250 only once
// Receive has returned nil, that is once the line is stored. Every error
// the client sees is made by one function (see errors.go), so no internal
// detail reaches the wire.
//
// The server announces and enforces a size limit, caps recipients per
// message, connections per remote IP and messages per minute per remote
// IP, puts a deadline on every read, offers STARTTLS when it has a
// certificate, and stops gracefully: when the context given to Serve ends,
// idle sessions are told 421 and closed while messages in flight finish.
package smtpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"parley/inbound"
)

// Defaults for the zero values of Options.
const (
	DefaultAddr                   = "127.0.0.1:2525"
	DefaultMaxMessageBytes        = 10 << 20
	DefaultMaxRecipients          = 10
	DefaultTimeout                = 60 * time.Second
	DefaultMaxConnsPerIP          = 10
	DefaultMessagesPerMinutePerIP = 60
	DefaultGracePeriod            = 30 * time.Second
)

// Options configure a Server. Zero values take the defaults above; a
// negative MaxConnsPerIP or MessagesPerMinutePerIP turns that limit off.
type Options struct {
	// Addr is where ListenAndServe listens (PARLEY_SMTP_ADDR).
	Addr string
	// Domain is parley's mail domain, used in the greeting and the EHLO
	// reply. Empty means "localhost".
	Domain string
	// MaxMessageBytes is the largest message accepted
	// (PARLEY_MAX_MESSAGE_BYTES). It is announced with SIZE, checked
	// against MAIL FROM's SIZE= and enforced while reading (552 5.3.4).
	// go-smtp's reader needs a byte of room: a message of exactly
	// MaxMessageBytes is refused, one byte less passes.
	MaxMessageBytes int64
	// MaxRecipients caps the RCPT commands per message (452 4.5.3 past it).
	MaxRecipients int
	// TLSConfig, when set, makes the server offer STARTTLS.
	TLSConfig *tls.Config
	// ReadTimeout bounds every single read from the client, in commands
	// and inside the message, so a client that stalls is dropped; one
	// that trickles is bounded by MaxConnsPerIP. WriteTimeout bounds every
	// reply.
	ReadTimeout, WriteTimeout time.Duration
	// MaxConnsPerIP caps concurrent connections from one remote IP; the
	// one past the cap is answered 421 4.7.0 and closed.
	MaxConnsPerIP int
	// MessagesPerMinutePerIP limits the MAIL commands one remote IP may
	// give per minute (a token bucket of that size, refilled steadily);
	// past it MAIL is answered 451 4.7.1.
	MessagesPerMinutePerIP int
	// TrustedRelays are the addresses of the MX hosts in front of parley
	// (PARLEY_TRUSTED_RELAYS): all real mail comes through them, so the
	// per-IP caps and rate do not apply to them.
	TrustedRelays []netip.Prefix
	// GracePeriod is how long messages in flight may take to finish once
	// the context given to Serve ends; then every connection is closed and
	// the context passed to Receive is cancelled.
	GracePeriod time.Duration
	// RequireTLS refuses MAIL before STARTTLS (PARLEY_SMTP_REQUIRE_TLS=on):
	// no message reaches parley in the clear. It needs TLSConfig.
	RequireTLS bool
	// Now is the clock of the rate limiter; nil means time.Now.
	Now func() time.Time
	// Log receives one record per message and per refusal, with the keys
	// remote, from, rcpt, size, outcome (and code, reason, err). Bodies are
	// never logged. Nil means slog.Default().
	Log *slog.Logger
	// Observer hears of each session and each reply that settles or
	// refuses a message (for metrics); nobody when nil.
	Observer Observer
}

// Observer hears what the SMTP door does. Its methods are called inline
// and must be quick and safe for concurrent use.
type Observer interface {
	// Session: a connection was let in (one past the per-IP cap is not a
	// session; it is answered Reply(421)).
	Session()
	// Reply: the door answered a message or a command with code: 250 for
	// a message taken, or the code of a refusal (4xx, 5xx).
	Reply(code int)
}

// noObserver is the Observer of a door nobody watches.
type noObserver struct{}

func (noObserver) Session()  {}
func (noObserver) Reply(int) {}

// withDefaults returns opt with every zero value replaced by its default.
func (opt Options) withDefaults() Options {
	if opt.Addr == "" {
		opt.Addr = DefaultAddr
	}
	if opt.Domain == "" {
		opt.Domain = "localhost"
	}
	if opt.MaxMessageBytes <= 0 {
		opt.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opt.MaxRecipients <= 0 {
		opt.MaxRecipients = DefaultMaxRecipients
	}
	if opt.ReadTimeout <= 0 {
		opt.ReadTimeout = DefaultTimeout
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = DefaultTimeout
	}
	if opt.MaxConnsPerIP == 0 {
		opt.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if opt.MessagesPerMinutePerIP == 0 {
		opt.MessagesPerMinutePerIP = DefaultMessagesPerMinutePerIP
	}
	if opt.GracePeriod <= 0 {
		opt.GracePeriod = DefaultGracePeriod
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Observer == nil {
		opt.Observer = noObserver{}
	}
	return opt
}

// Server is the SMTP door. Make one with New, run it with Serve or
// ListenAndServe; a Server serves once.
type Server struct {
	recv inbound.Receiver
	opt  Options
	log  *slog.Logger
	smtp *smtp.Server
	rate *rateLimiter // nil when off

	// stopping is set when the context given to Serve ends.
	stopping atomic.Bool
	// ctx is passed to the Receiver; it keeps the values of Serve's
	// context but is cancelled only when the grace period is over.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	served bool
	addr   net.Addr
	perIP  map[string]int
	conns  map[*conn]struct{}
	// refusals counts the goroutines answering connections over the cap.
	refusals sync.WaitGroup
	// receivers run the Receiver's calls (receivers.go).
	receivers *receivers
}

// New returns a Server that hands messages to recv.
func New(recv inbound.Receiver, opt Options) (*Server, error) {
	if recv == nil {
		return nil, errors.New("smtpserver: nil Receiver")
	}
	opt = opt.withDefaults()
	if opt.RequireTLS && opt.TLSConfig == nil {
		return nil, errors.New("smtpserver: requiring TLS needs a certificate (TLSConfig)")
	}
	s := &Server{
		recv:      recv,
		opt:       opt,
		log:       opt.Log,
		perIP:     make(map[string]int),
		conns:     make(map[*conn]struct{}),
		receivers: newReceivers(),
	}
	if opt.MessagesPerMinutePerIP > 0 {
		s.rate = newRateLimiter(opt.MessagesPerMinutePerIP, opt.Now)
	}
	srv := smtp.NewServer(&backend{srv: s})
	srv.Addr = opt.Addr
	srv.Domain = opt.Domain
	srv.MaxMessageBytes = opt.MaxMessageBytes
	srv.MaxRecipients = opt.MaxRecipients
	srv.TLSConfig = opt.TLSConfig
	// No srv.ReadTimeout: every read already gets its own deadline in
	// conn.Read, TLS handshakes included; a second one per command would
	// only cost a timer update.
	srv.WriteTimeout = opt.WriteTimeout
	// Messages are handed over as bytes; UTF-8 addresses and headers are
	// the Receiver's to read.
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = errorLog{log: opt.Log}
	s.smtp = srv
	return s, nil
}

// Addr returns the address the server listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on Options.Addr and serves until ctx ends; see
// Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	l, err := net.Listen("tcp", s.opt.Addr)
	if err != nil {
		return fmt.Errorf("smtpserver: listening on %q: %w", s.opt.Addr, err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts SMTP connections on l until ctx ends, then stops
// gracefully: it accepts no more connections, answers idle sessions 421,
// lets messages in flight finish for up to Options.GracePeriod, and
// returns nil once every connection is closed. It closes l. It returns an
// error if l fails, or if the server was already served.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.served {
		s.mu.Unlock()
		return errors.New("smtpserver: Serve called twice")
	}
	s.served = true
	s.addr = l.Addr()
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Unlock()
	defer s.cancel()

	done := make(chan error, 1)
	go func() { done <- s.smtp.Serve(&listener{Listener: l, srv: s}) }()
	s.log.Info("smtp server listening", "addr", l.Addr().String(), "domain", s.opt.Domain,
		"max_bytes", s.opt.MaxMessageBytes, "starttls", s.opt.TLSConfig != nil)

	var serveErr error
	select {
	case <-ctx.Done():
		s.stopping.Store(true)
		// Closing the listener ourselves makes go-smtp's Serve return
		// even if it had not registered l yet; it must have returned
		// before Shutdown waits for the connections (no WaitGroup.Add
		// during Wait). Its error is then our own close.
		_ = l.Close()
		<-done
	case serveErr = <-done:
		// The listener failed: stop what is running all the same.
		s.stopping.Store(true)
		_ = l.Close()
	}
	s.drain()
	s.receivers.stop()
	s.log.Info("smtp server stopped", "addr", l.Addr().String())
	if serveErr != nil {
		return fmt.Errorf("smtpserver: serving %s: %w", l.Addr(), serveErr)
	}
	return nil
}

// drain ends the sessions once no connection can come in: idle ones are
// answered 421 and closed, messages in flight have the grace period to
// finish, then whatever is left is closed.
func (s *Server) drain() {
	s.wakeAll()
	grace, cancel := context.WithTimeout(context.Background(), s.opt.GracePeriod)
	defer cancel()
	if err := s.smtp.Shutdown(grace); errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("smtp server grace period over, closing connections", "grace", s.opt.GracePeriod)
		// Receivers see their context cancelled and get a moment to say
		// so (a 421) before the connections go.
		s.cancel()
		s.waitConns(lastWords)
		// go-smtp's Close does nothing once Shutdown has begun: close
		// the connections ourselves.
		s.closeAll()
	}
	s.refusals.Wait()
}

// wakeAll interrupts the pending read of every connection, so that idle
// sessions notice the stop at once (see conn.Read).
func (s *Server) wakeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.wake()
	}
}

// lastWords is how long sessions may take to answer once the grace
// period is over and the Receiver's context cancelled.
const lastWords = time.Second

// waitConns waits up to d for every connection to close.
func (s *Server) waitConns(d time.Duration) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		<-tick.C
	}
}

// closeAll closes every connection still open.
func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Conn.Close()
	}
}

// errorLog passes go-smtp's own reports (panics, broken connections) to
// slog.
type errorLog struct{ log *slog.Logger }

// Printf logs one go-smtp report; a recovered panic is an error of ours.
func (e errorLog) Printf(format string, v ...any) {
	level := slog.LevelWarn
	if strings.HasPrefix(format, "panic") {
		level = slog.LevelError
	}
	e.log.Log(context.Background(), level, "smtp connection error", "detail", fmt.Sprintf(format, v...))
}

// Println logs one go-smtp report.
func (e errorLog) Println(v ...any) {
	e.log.Warn("smtp connection error", "detail", fmt.Sprint(v...))
}

// trusted reports whether ip is one of Options.TrustedRelays.
func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.opt.TrustedRelays {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
