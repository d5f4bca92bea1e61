// Package imappoll is parley's IMAP door, for deployments that can only
// read a mailbox: it fetches members' email replies from the mailbox named
// by PARLEY_IMAP_URL and hands each raw message to an inbound.Receiver.
//
// The poller holds one connection. It selects the mailbox, folds in every
// unseen message above the last UID it processed, then waits with IDLE when
// the server has it (polling otherwise) and starts again. A message is
// fetched with BODY.PEEK[], so nothing marks it before the Receiver has
// stored its line; only then is it marked \Seen, moved or deleted, and the
// last UID advanced. A temporary refusal leaves the message untouched and
// ends the round: it is tried again later, before any newer message, so
// replies keep their order. A message over the size cap, or one that makes
// the Receiver panic, is flagged \Flagged, left unseen for a person and
// skipped. Any connection error closes the connection and Run dials again
// with backoff; a message whose mark was lost that way is handed over again,
// and parley folds a Message-ID only once.
//
// What happens to the state (UIDVALIDITY and the last UID) is told in
// StateStore. The password of the URL never appears in a log line or an
// error.
package imappoll

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"parley/inbound"
)

// Defaults for Options.
const (
	// DefaultPollInterval is Options.PollInterval when unset.
	DefaultPollInterval = 60 * time.Second
	// DefaultIdleRefresh is Options.IdleRefresh when unset.
	DefaultIdleRefresh = 25 * time.Minute
	// maxIdleRefresh caps Options.IdleRefresh.
	maxIdleRefresh = 27 * time.Minute
	// DefaultAnswerTimeout is Options.AnswerTimeout when unset.
	DefaultAnswerTimeout = 60 * time.Second
	// DefaultMaxMessageBytes is Options.MaxMessageBytes when unset.
	DefaultMaxMessageBytes = 10 << 20
)

// Options configure a Poller. Only URL is required.
type Options struct {
	// URL says where the mailbox is (PARLEY_IMAP_URL):
	// imaps://user:password@host:993/INBOX for implicit TLS, or
	// imap://user:password@host:143/INBOX, which upgrades with STARTTLS
	// (required) unless the host is loopback (127.0.0.0/8, ::1,
	// "localhost"): there plain text is used, as nobody else can read it
	// and local servers often have a self-signed certificate (imaps://
	// encrypts anyway). Special characters in the
	// user and password are percent-encoded; the path is the mailbox
	// (default INBOX).
	URL string
	// TLSConfig is used for imaps and STARTTLS; nil means the system roots.
	// ServerName defaults to the URL's host. Tests pass RootCAs.
	TLSConfig *tls.Config
	// PollInterval is the time between two looks at the mailbox when the
	// server has no IDLE (or DisableIdle is set). Default 60 s.
	PollInterval time.Duration
	// IdleRefresh ends an IDLE and looks at the mailbox again after this
	// long, before the 29-minute limit of RFC 2177. Default 25 min, at most
	// 27 min.
	IdleRefresh time.Duration
	// DisableIdle polls even when the server has IDLE.
	DisableIdle bool
	// AnswerTimeout is how long the server may send nothing, while the
	// session waits on it, before the session is given up and made again:
	// a server that takes a command and never answers would otherwise
	// hold the mailbox for as long as its TCP connection stays up. The
	// time counts from the last byte read or written; it stops in IDLE,
	// between polls and while a message is folded in. Default 60 s.
	AnswerTimeout time.Duration
	// After says what becomes of a message once it is folded in (or
	// permanently refused): "seen" (the default) sets \Seen; "move:Folder"
	// sets \Seen and moves it to Folder (MOVE, or COPY, \Deleted and
	// EXPUNGE when the server has no MOVE), creating Folder when missing;
	// "delete" sets \Seen and \Deleted and expunges it. Without UIDPLUS
	// the expunge is a plain EXPUNGE, which also removes other messages
	// already marked \Deleted in that mailbox.
	After string
	// MaxMessageBytes caps the size of a message (default 10 MB, as
	// PARLEY_MAX_MESSAGE_BYTES). A larger message is never loaded: it is
	// flagged \Flagged, left unseen for a person to look at, logged and
	// skipped.
	MaxMessageBytes int64
	// State remembers UIDVALIDITY and the last UID processed across
	// restarts. Nil keeps them in memory only (a restart then relies on
	// \Seen alone).
	State StateStore
	// Backoff says how long to wait before reconnecting after the
	// attempt-th failure in a row (1, 2, ...), and before retrying after
	// the attempt-th temporary refusal in a row. Default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Log receives the poller's log lines; nil means slog.Default().
	Log *slog.Logger
}

// Poller reads one mailbox and hands each new message to a Receiver.
type Poller struct {
	recv    inbound.Receiver
	opt     Options
	acct    account
	after   afterAction
	log     *slog.Logger
	plainOK bool // plain text allowed for imap:// (loopback host)

	// Owned by Run's goroutine.
	st         *mailboxState // nil until loaded from State
	tempFailed int           // temporary refusals in a row
}

// New checks the options and returns a poller; Run starts it. The error
// names what is wrong with the URL without ever showing the password.
func New(recv inbound.Receiver, opt Options) (*Poller, error) {
	if recv == nil {
		return nil, errors.New("imappoll: no receiver")
	}
	acct, err := parseURL(opt.URL)
	if err != nil {
		return nil, err
	}
	after, err := parseAfter(opt.After)
	if err != nil {
		return nil, err
	}
	if opt.After == "" {
		opt.After = "seen"
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.IdleRefresh <= 0 {
		opt.IdleRefresh = DefaultIdleRefresh
	}
	// imapclient ends and restarts an IDLE of its own after 28 minutes,
	// unwatched (the session is quiet in IDLE): refresh before that.
	opt.IdleRefresh = min(opt.IdleRefresh, maxIdleRefresh)
	if opt.AnswerTimeout <= 0 {
		opt.AnswerTimeout = DefaultAnswerTimeout
	}
	if opt.MaxMessageBytes <= 0 {
		opt.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opt.State == nil {
		opt.State = &MemoryState{}
	}
	if opt.Backoff == nil {
		opt.Backoff = DefaultBackoff
	}
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	return &Poller{
		recv:    recv,
		opt:     opt,
		acct:    acct,
		after:   after,
		log:     log.With("door", "imap", "mailbox", acct.display),
		plainOK: acct.scheme == "imap" && acct.loopback,
	}, nil
}

// Run reads the mailbox until ctx ends, then returns nil. It never gives
// up on its own: every failure to connect, log in or select is logged and
// tried again after Options.Backoff. Call Run once at a time: the poller
// has one connection and one state.
func (p *Poller) Run(ctx context.Context) error {
	p.log.Info("imap poller started", "after", p.opt.After)
	attempt := 0
	for ctx.Err() == nil {
		ready, err := p.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if ready {
			attempt = 0
		}
		attempt++
		wait := p.opt.Backoff(attempt)
		p.log.Warn("imap connection failed; reconnecting", p.errAttr(err), "attempt", attempt, "retry_in", wait)
		sleep(ctx, wait)
	}
	p.log.Info("imap poller stopped")
	return nil
}

// DefaultBackoff waits about 1 s after the first failure, doubling each
// time up to 5 min, with jitter: a random duration between half and all of
// that.
func DefaultBackoff(attempt int) time.Duration {
	d := 5 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 9 {
		d = min(d, time.Second<<(attempt-1))
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// errAttr is the "err" attribute of a log line, with the password
// removed should a server ever echo it.
func (p *Poller) errAttr(err error) slog.Attr {
	if err == nil {
		return slog.String("err", "")
	}
	return slog.String("err", p.acct.redact(err.Error()))
}
