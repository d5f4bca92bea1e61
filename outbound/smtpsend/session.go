package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// conn is one SMTP session with the smarthost: greeted, encrypted and
// authenticated, between two transactions. It is owned by one Send at a time,
// or sits in Client.idle.
type conn struct {
	id       uint64
	sc       *smtp.Client
	raw      net.Conn // the TCP connection under sc, also under TLS
	lastUsed time.Time
	sent     int         // messages accepted on this connection
	timer    *time.Timer // idle expiry, set while in Client.idle
}

// dial opens and prepares a new connection. Dialling and the whole setup must
// finish within Timeout, and ctx can cut it short.
func (c *Client) dial(ctx context.Context) (*conn, *Error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	var d net.Dialer
	tcp, err := d.DialContext(ctx, "tcp", c.opt.Addr)
	if err != nil {
		return nil, wrapErr("dial", err)
	}
	raw := newWriteBehind(tcp)
	// go-smtp takes no context: closing the socket is what interrupts it.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	sc, op, err := c.setup(ctx, raw)
	if !stop() && err == nil {
		err = errors.New("connection closed")
	}
	if err != nil {
		_ = raw.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %v", ctx.Err(), err)
		}
		return nil, wrapErr(op, err)
	}
	cn := &conn{id: c.nextID.Add(1), sc: sc, raw: raw}
	c.log.DebugContext(ctx, "smtpsend: connected", "conn", cn.id, "tls", string(c.opt.TLS),
		"auth", c.opt.Username != "")
	return cn, nil
}

// setup runs greeting, EHLO, TLS and AUTH on a fresh connection and says which
// step failed.
func (c *Client) setup(ctx context.Context, raw net.Conn) (*smtp.Client, string, error) {
	var sc *smtp.Client
	switch c.opt.TLS {
	case ImplicitTLS:
		tc := tls.Client(raw, c.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, "tls", err
		}
		sc = smtp.NewClient(tc)
	case StartTLS:
		var err error
		// Reads the greeting, says EHLO localhost, checks for STARTTLS and
		// sends it; the handshake itself happens at the next command.
		sc, err = smtp.NewClientStartTLS(raw, c.tlsConfig)
		if err != nil {
			return nil, "tls", startTLSErr(err)
		}
	default:
		sc = smtp.NewClient(raw)
	}
	sc.CommandTimeout = c.opt.CommandTimeout
	sc.SubmissionTimeout = c.opt.Timeout
	if err := sc.Hello(c.opt.LocalName); err != nil {
		_ = sc.Close()
		if c.opt.TLS == StartTLS {
			return nil, "tls", err // the TLS handshake runs inside this EHLO
		}
		return nil, "dial", err
	}
	if c.opt.Username != "" {
		if !sc.SupportsAuth(sasl.Plain) {
			_ = sc.Close()
			return nil, "auth", permanent("auth", "smarthost does not offer AUTH PLAIN")
		}
		if err := sc.Auth(sasl.NewPlainClient("", c.opt.Username, c.opt.Password)); err != nil {
			_ = sc.Close()
			return nil, "auth", err
		}
	}
	return sc, "", nil
}

// startTLSErr names the one failure of smtp.NewClientStartTLS that is neither
// a server reply nor a network error: a server that does not offer STARTTLS,
// which retrying will not change.
func startTLSErr(err error) error {
	var se *smtp.SMTPError
	var pe textproto.ProtocolError
	if errors.As(err, &se) || errors.As(err, &pe) || isTransient(err) {
		return err
	}
	return &Error{Op: "tls", Message: "smarthost does not offer STARTTLS", Err: err}
}

// transact runs one mail transaction on cn and says which step failed. On
// success the session is ready for the next MAIL (no RSET is needed after a
// completed DATA).
func (c *Client) transact(ctx context.Context, cn *conn, from string, to []string, msg []byte) (op string, err error) {
	var interrupted atomic.Bool
	stop := context.AfterFunc(ctx, func() {
		interrupted.Store(true)
		_ = cn.raw.Close()
	})
	defer func() {
		stop()
		if err != nil && interrupted.Load() {
			// The socket was closed because ctx ended: say so rather
			// than "use of closed network connection".
			err = fmt.Errorf("%w: %v", ctx.Err(), err)
		}
	}()

	opts := &smtp.MailOptions{Size: int64(len(msg))}
	if !isASCII(from) || !allASCII(to) {
		// Extension hides a failed EHLO (go-smtp repeats EHLO after RSET)
		// as "not supported": make sure the session answers first.
		if err := cn.sc.Noop(); err != nil {
			return "mail", err
		}
		if ok, _ := cn.sc.Extension("SMTPUTF8"); !ok {
			return "mail", permanent("mail", "non-ASCII address but the smarthost does not offer SMTPUTF8")
		}
		opts.UTF8 = true
	}
	if err := c.requireTLS(ctx, cn, opts); err != nil { // requiretls.go
		return "mail", err
	}
	if err := cn.sc.Mail(from, opts); err != nil {
		return "mail", err
	}
	for _, rcpt := range to {
		if err := cn.sc.Rcpt(rcpt, nil); err != nil {
			e := wrapErr("rcpt", err)
			e.Rcpt = rcpt
			return "rcpt", e
		}
	}
	w, err := cn.sc.Data()
	if err != nil {
		return "data", err
	}
	// go-smtp sets no deadline while the body is written.
	if err := cn.raw.SetWriteDeadline(time.Now().Add(c.opt.Timeout)); err != nil {
		return "data", err
	}
	if _, err := w.Write(msg); err != nil {
		return "data", err
	}
	// From the final "." on, the reply is awaited whatever ctx does: the
	// server may accept the message, and abandoning the wait would report a
	// delivered message as failed and invite a duplicate.
	if !stop() {
		return "data", errors.New("interrupted before the end of data")
	}
	if _, err := w.CloseWithResponse(); err != nil {
		return "data", err
	}
	return "", nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
