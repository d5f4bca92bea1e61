package smtpserver

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/emersion/go-smtp"

	"parley/inbound"
	"parley/internal/remoteip"
)

// backend makes a session per client greeting (and again after
// STARTTLS, when go-smtp starts the session afresh).
type backend struct{ srv *Server }

var _ smtp.Backend = (*backend)(nil)

// NewSession starts the session of one connection.
func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	tc, isTLS := nc.(*tls.Conn)
	if isTLS {
		nc = tc.NetConn()
	}
	cn, _ := nc.(*conn) // always ours, but a session works without it
	var ip string
	if cn != nil {
		ip = cn.ip // the listener's, made at accept
	} else {
		ip = remoteip.Of(nc.RemoteAddr())
	}
	return &session{srv: b.srv, conn: cn, remote: nc.RemoteAddr().String(), ip: ip, tls: isTLS,
		helo: c.Hostname()}, nil
}

// session is one SMTP session: at most one mail transaction at a time.
type session struct {
	srv    *Server
	conn   *conn
	remote string
	ip     string
	tls    bool
	helo   string // the client's greeting, for SPF

	// The transaction in progress. go-smtp runs Data in a goroutine of
	// its own for BDAT and may call Reset (RSET, QUIT) while it runs, so
	// writes, and reads from Data, hold mu.
	mu       sync.Mutex
	inTx     bool
	from     string
	sizeHint int64
	rcpt     []string
}

var _ smtp.Session = (*session)(nil)

// Mail starts a transaction. The null sender (from == "") is welcome:
// bounces come that way.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.inTx {
		// go-smtp would keep the recipients of the first MAIL in its own
		// count and let DATA through with none of ours.
		return s.fail(atMail, errNestedMail, slog.String("from", from))
	}
	if s.srv.opt.RequireTLS && !s.tls {
		return s.fail(atMail, errNoTLS, slog.String("from", from))
	}
	if s.srv.rate != nil && !s.srv.trusted(s.ip) && !s.srv.rate.allow(s.ip) {
		return s.fail(atMail, errRateLimited, slog.String("from", from))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inTx, s.from, s.rcpt, s.sizeHint = true, from, nil, 0
	if opts != nil {
		s.sizeHint = opts.Size
	}
	return nil
}

// Rcpt accepts to only if the Receiver takes mail for it.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.srv.recv.CheckRecipient(s.srv.ctx, to); err != nil {
		return s.fail(atRcpt, fmt.Errorf("checking recipient %q: %w", redactAddr(to), err),
			slog.String("from", s.from), slog.String("rcpt", redactAddr(to)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpt = append(s.rcpt, to)
	return nil
}

// Data reads the message within the size limit and hands it to the
// Receiver. go-smtp answers 250 only when Data returns nil, so nothing is
// acknowledged before Receive has stored the line.
func (s *session) Data(r io.Reader) error {
	if s.conn != nil {
		s.conn.inMessage.Store(true)
		defer s.conn.inMessage.Store(false)
	}
	s.mu.Lock()
	env := inbound.Envelope{Door: "smtp", MailFrom: s.from, Rcpt: slices.Clone(s.rcpt), Remote: s.remote, HELO: s.helo}
	hint := s.sizeHint
	s.mu.Unlock()
	// attrs describe the message in a refusal's log record; they are made
	// only for one.
	attrs := func(more ...slog.Attr) []slog.Attr {
		return append([]slog.Attr{slog.String("from", env.MailFrom), slog.Any("rcpt", redactAddrs(env.Rcpt))}, more...)
	}
	if len(env.Rcpt) == 0 {
		return s.fail(atData, errNoRcpt, attrs()...)
	}
	raw, err := s.srv.readMessage(r, hint)
	if err != nil {
		return s.fail(atData, err, attrs(slog.Int("size", len(raw)))...)
	}
	if s.conn != nil && s.conn.broken.Load() {
		// go-smtp passes on a BDAT LAST chunk cut short by the client
		// going away as if it were whole.
		return s.fail(atData, errTruncated, attrs(slog.Int("size", len(raw)))...)
	}
	var res inbound.Result
	s.srv.receivers.run(func() { res, err = s.srv.recv.Receive(s.srv.ctx, env, raw) }) // receivers.go
	if err != nil {
		return s.fail(atData, fmt.Errorf("receiving message: %w", err), attrs(slog.Int("size", len(raw)))...)
	}
	s.srv.log.Info("smtp message accepted", "remote", s.remote, "from", env.MailFrom, "rcpt", redactAddrs(env.Rcpt),
		"size", len(raw), "outcome", string(res.Outcome), "room", res.Room, "member", res.Member,
		"line", res.Line, "note", res.Note, "tls", s.tls)
	s.srv.opt.Observer.Reply(250)
	return nil
}

// Reset ends the transaction in progress.
func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inTx, s.from, s.sizeHint, s.rcpt = false, "", 0, nil
}

// Logout ends the session; there is nothing to free.
func (s *session) Logout() error { return nil }

// fail logs err with attrs (from, rcpt, size as known) and returns the
// reply the client sees, made by toReply.
func (s *session) fail(st stage, err error, attrs ...slog.Attr) error {
	rep := toReply(st, err, s.srv.stopping.Load(), s.srv.opt.MaxMessageBytes)
	if rep.Code == 421 && s.conn != nil {
		s.conn.said421.Store(true)
	}
	all := []slog.Attr{
		slog.String("remote", s.remote),
		slog.String("stage", string(st)),
		slog.String("outcome", rep.outcome),
		slog.Int("code", rep.Code),
		slog.String("reason", rep.Message),
	}
	all = append(all, attrs...)
	all = append(all, slog.String("err", err.Error()))
	s.srv.log.LogAttrs(s.srv.ctx, rep.level, "smtp refused", all...)
	s.srv.opt.Observer.Reply(rep.Code)
	return rep.SMTPError
}

// readMessage reads a whole message, never more than MaxMessageBytes of
// it. go-smtp enforces the limit too; this keeps memory bounded whatever
// the reader. hint, the client's SIZE=, only presizes the buffer (up to
// 1 MiB, so a false claim costs little).
func (s *Server) readMessage(r io.Reader, hint int64) ([]byte, error) {
	max := s.opt.MaxMessageBytes
	var buf bytes.Buffer
	if hint <= 0 {
		hint = 4 << 10 // most replies are a few KB: grow once at most
	}
	buf.Grow(int(min(hint, max, 1<<20)) + bytes.MinRead)
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return buf.Bytes(), &readError{err}
	}
	if n > max {
		return buf.Bytes(), errTooLarge
	}
	return buf.Bytes(), nil
}
