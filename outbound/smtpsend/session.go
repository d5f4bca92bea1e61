package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// conn is one SMTP session with the smarthost: greeted, encrypted and
// authenticated, between two transactions. It is owned by one Send at a time,
// or sits in Client.idle.
type conn struct {
	id       uint64
	w        *wire
	raw      net.Conn // the TCP connection under w, also under TLS
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
	// Closing the socket is what interrupts the session.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	w, op, err := c.setup(ctx, raw)
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
	cn := &conn{id: c.nextID.Add(1), w: w, raw: raw}
	c.log.DebugContext(ctx, "smtpsend: connected", "conn", cn.id, "tls", string(c.opt.TLS),
		"auth", c.opt.Username != "")
	return cn, nil
}

// setup runs greeting, EHLO, TLS and AUTH on a fresh connection and says which
// step failed.
func (c *Client) setup(ctx context.Context, raw net.Conn) (*wire, string, error) {
	conn := raw
	if c.opt.TLS == ImplicitTLS {
		tc := tls.Client(raw, c.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, "tls", err
		}
		conn = tc
	}
	w := newWire(conn, c.opt.CommandTimeout, c.opt.Timeout)
	op, err := c.introduce(w)
	if err != nil {
		_ = w.close()
		return nil, op, err
	}
	return w, "", nil
}

// introduce greets, says EHLO, starts TLS and logs in as the options say,
// and says which step failed.
func (c *Client) introduce(w *wire) (string, error) {
	if err := w.greet(); err != nil {
		return "dial", err
	}
	if err := w.hello(c.opt.LocalName); err != nil {
		return "dial", err
	}
	if c.opt.TLS == StartTLS {
		if err := w.startTLS(c.tlsConfig); err != nil {
			return "tls", err
		}
		if err := w.hello(c.opt.LocalName); err != nil {
			return "tls", err
		}
	}
	if c.opt.Username != "" {
		if !w.supportsAuth("PLAIN") {
			return "auth", permanent("auth", "smarthost does not offer AUTH PLAIN")
		}
		if err := w.authPlain(c.opt.Username, c.opt.Password); err != nil {
			return "auth", err
		}
	}
	return "", nil
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
		if ok, _ := cn.w.extension("SMTPUTF8"); !ok {
			return "mail", permanent("mail", "non-ASCII address but the smarthost does not offer SMTPUTF8")
		}
		opts.UTF8 = true
	}
	if err := c.requireTLS(ctx, cn, opts); err != nil { // requiretls.go
		return "mail", err
	}
	if op, err := cn.w.envelope(cn.w.mailLine(from, opts), to); err != nil {
		return op, err
	}
	if err := cn.w.body(msg); err != nil {
		return "data", err
	}
	// From the final "." on, the reply is awaited whatever ctx does: the
	// server may accept the message, and abandoning the wait would report a
	// delivered message as failed and invite a duplicate.
	if !stop() {
		return "data", errors.New("interrupted before the end of data")
	}
	if err := cn.w.finish(); err != nil {
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
