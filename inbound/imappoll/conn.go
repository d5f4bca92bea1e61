package imappoll

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const dialTimeout = 30 * time.Second

// session is one connection: connect, log in, select, then rounds and
// waits until the connection fails or ctx ends. ready tells whether it got
// as far as a selected mailbox with its state loaded (the reconnect
// backoff then starts over).
func (p *Poller) session(ctx context.Context) (ready bool, err error) {
	// wake receives a token when the server reports a new message count
	// (EXISTS), during IDLE or in reply to any command.
	wake := make(chan struct{}, 1)
	c, wc, err := p.connect(ctx, wake)
	if err != nil {
		return false, err
	}
	defer c.Close()
	// A server that stopped answering shows as a closed connection to
	// the command that waited: say so first.
	defer func() {
		if why := wc.silence(); why != nil && err != nil && !strings.Contains(err.Error(), why.Error()) {
			err = fmt.Errorf("%w (%w)", why, err)
		}
	}()
	// Closing the connection unblocks every command, IDLE included: this
	// is how a cancelled ctx stops Run promptly.
	defer context.AfterFunc(ctx, func() { _ = c.Close() })()

	if err := c.Login(p.acct.user, p.acct.password).Wait(); err != nil {
		return false, fmt.Errorf("imap login as %s: %w", p.acct.user, err)
	}
	caps := c.Caps()
	sel, err := c.Select(p.acct.mailbox, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("imap select %s: %w", p.acct.mailbox, err)
	}
	if err := p.loadState(ctx, sel.UIDValidity); err != nil {
		return false, err
	}
	idle := !p.opt.DisableIdle && caps.Has(imap.CapIdle)
	p.log.Info("imap mailbox selected", "messages", sel.NumMessages, "uidvalidity", sel.UIDValidity,
		"last_uid", p.st.lastUID, "idle", idle)

	for {
		drain(wake)
		found, retry, err := p.round(ctx, c, wc, caps)
		if err != nil {
			return true, err
		}
		// New mail reported while this round sent commands after its
		// SEARCH may have come after that SEARCH, and the server will
		// not report it again: look at once. A round that found nothing
		// sent no command after its SEARCH, so a report then is one the
		// SEARCH saw; and after a temporary refusal the retry comes soon
		// anyway. Neither loops at once, so a server that repeats EXISTS
		// cannot make us spin.
		if found > 0 && retry == 0 && len(wake) > 0 {
			continue
		}
		drain(wake)
		wait := p.opt.PollInterval
		if idle {
			wait = p.opt.IdleRefresh
		}
		if retry > 0 && retry < wait {
			wait = retry
		}
		if idle {
			err = p.idle(ctx, c, wc, wake, wait)
		} else {
			err = p.pause(ctx, c, wc, wake, wait)
		}
		if err != nil {
			return true, err
		}
	}
}

// connect dials the server as the URL says and reads its greeting. wake
// gets a token for every EXISTS the server sends outside a SELECT. The
// watched connection under the client bounds each wait for an answer
// (Options.AnswerTimeout).
func (p *Poller) connect(ctx context.Context, wake chan<- struct{}) (*imapclient.Client, *watchedConn, error) {
	opts := &imapclient.Options{
		TLSConfig: p.tlsConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs in the client's reader goroutine: never block.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	// TCP keepalive notices a peer that went away, during IDLE as during
	// a command (in about 90 s); watchedConn a server that does not answer.
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: 30 * time.Second, Interval: 15 * time.Second, Count: 4,
	}}
	raw, err := dialer.DialContext(ctx, "tcp", p.acct.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("imap dial %s: %w", p.acct.addr, err)
	}
	conn := newWatchedConn(raw, p.opt.AnswerTimeout)
	// Until the client exists, a cancelled ctx closes the bare connection.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	var c *imapclient.Client
	switch {
	case p.acct.scheme == "imaps":
		tconn := tls.Client(conn, opts.TLSConfig)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("imap TLS handshake with %s: %w", p.acct.addr, err)
		}
		c = imapclient.New(tconn, opts)
	case p.plainOK:
		c = imapclient.New(conn, opts)
	default:
		// NewStartTLS reads the greeting, upgrades the connection and
		// refuses a PREAUTH sent in clear.
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("imap STARTTLS with %s: %w", p.acct.addr, err)
		}
	}
	if err := c.WaitGreeting(); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("imap greeting from %s: %w", p.acct.addr, err)
	}
	return c, conn, nil
}

// tlsConfig is Options.TLSConfig with the server name and ALPN set.
func (p *Poller) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if p.opt.TLSConfig != nil {
		cfg = p.opt.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.acct.host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.NextProtos == nil {
		cfg.NextProtos = []string{"imap"}
	}
	return cfg
}

// loadState reads the saved state on the first session, then checks it
// against the mailbox's UIDVALIDITY.
func (p *Poller) loadState(ctx context.Context, uidValidity uint32) error {
	if p.st == nil {
		v, last, err := p.opt.State.Load(ctx, p.acct.display)
		if err != nil {
			return fmt.Errorf("load imap state of %s: %w", p.acct.display, err)
		}
		p.st = &mailboxState{uidValidity: v, lastUID: last}
	}
	if p.st.uidValidity == uidValidity {
		return nil
	}
	if p.st.uidValidity != 0 {
		p.log.Warn("imap UIDVALIDITY changed: starting over with every unseen message",
			"old_uidvalidity", p.st.uidValidity, "uidvalidity", uidValidity, "old_last_uid", p.st.lastUID)
	}
	p.st.uidValidity, p.st.lastUID = uidValidity, 0
	p.saveState(ctx)
	return nil
}

// saveState records p.st. A failure is logged only: the working copy
// stays right while we run, and \Seen keeps a restart from reprocessing.
func (p *Poller) saveState(ctx context.Context) {
	if err := p.opt.State.Save(ctx, p.acct.display, p.st.uidValidity, p.st.lastUID); err != nil && ctx.Err() == nil {
		p.log.Warn("imap state not saved", p.errAttr(err), "last_uid", p.st.lastUID)
	}
}

// idle waits in IDLE for new mail, for d at most. The server owes no
// answer while it idles: wc is quiet then.
func (p *Poller) idle(ctx context.Context, c *imapclient.Client, wc *watchedConn, wake <-chan struct{}, d time.Duration) error {
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("imap IDLE: %w", err)
	}
	p.log.Debug("imap idling", "for", d)
	t := time.NewTimer(d)
	defer t.Stop()
	wc.setQuiet(true)
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-c.Closed():
	}
	wc.setQuiet(false)
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("imap IDLE done: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("imap IDLE: %w", err)
	}
	return nil
}

// pause waits d between two polls, or less when the connection drops or
// the server reports new mail on its own. No command waits: wc is quiet.
func (p *Poller) pause(ctx context.Context, c *imapclient.Client, wc *watchedConn, wake <-chan struct{}, d time.Duration) error {
	p.log.Debug("imap polling", "in", d)
	t := time.NewTimer(d)
	defer t.Stop()
	wc.setQuiet(true)
	defer wc.setQuiet(false)
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-c.Closed():
		return errors.New("imap connection closed by the server")
	}
	return nil
}

// drain empties the wake channel.
func drain(wake <-chan struct{}) {
	select {
	case <-wake:
	default:
	}
}
