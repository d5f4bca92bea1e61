package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"parley/inbound"
	"parley/inbound/imappoll"
	"parley/inbound/senderauth"
	"parley/inbound/smtpserver"
	"parley/templates"
	"parley/threads"
)

// doors are the ways mail comes in: the SMTP server, always, and the IMAP
// poller when PARLEY_IMAP_URL is set. Both hand messages to one Receiver.
type doors struct {
	smtp *smtpserver.Server
	imap *imappoll.Poller
}

// newDoors builds the receiver and the doors from cfg; the receiver's
// notices are rendered from tmpl; obs hears the SMTP door's sessions and
// replies (nil: nobody).
func newDoors(cfg Config, st *threads.Store, tmpl *templates.Set, log *slog.Logger, obs smtpserver.Observer) (*doors, error) {
	o := inbound.Options{Store: st, Domain: cfg.Domain, FromLocal: cfg.MailFrom, MaxBytes: cfg.MaxMessageBytes,
		HoldMismatched: cfg.HoldMismatched, Templates: tmpl, Log: log, AuthMode: cfg.SenderAuth}
	if cfg.SenderAuth != senderauth.Off {
		o.SenderAuth = senderauth.New(senderauth.Options{TrustedRelays: cfg.TrustedRelays, AuthServID: cfg.AuthServID})
	}
	b, err := fileStore(cfg)
	if err != nil {
		return nil, err
	}
	o.Blobs = b
	recv := inbound.NewMail(o)
	d := &doors{}
	sopts := smtpserver.Options{Addr: cfg.SMTPAddr, Domain: cfg.Domain, MaxMessageBytes: cfg.MaxMessageBytes, Log: log,
		MaxConnsPerIP: offIfZero(cfg.SMTPConnsPerIP), MessagesPerMinutePerIP: offIfZero(cfg.SMTPRate),
		TrustedRelays: cfg.TrustedRelays,
		GracePeriod:   doorGrace(cfg), RequireTLS: cfg.Crypto.SMTPRequireTLS, Observer: obs}
	switch {
	case cfg.TLSCertFile != "" && cfg.TLSKeyFile != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE: %w", err)
		}
		sopts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case cfg.TLSCertFile != "" || cfg.TLSKeyFile != "":
		return nil, usagef("set both PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE, or neither")
	case cfg.Crypto.SMTPRequireTLS:
		return nil, usagef("PARLEY_SMTP_REQUIRE_TLS=on needs PARLEY_TLS_CERT_FILE and PARLEY_TLS_KEY_FILE")
	}
	d.smtp, err = smtpserver.New(recv, sopts)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_SMTP_ADDR: %w", err)
	}
	if cfg.IMAPURL != "" {
		d.imap, err = imappoll.New(recv, imappoll.Options{URL: cfg.IMAPURL, After: cfg.IMAPAfter,
			MaxMessageBytes: cfg.MaxMessageBytes, State: cursorState{st}, Log: log})
		if err != nil {
			return nil, fmt.Errorf("PARLEY_IMAP_URL: %w", err)
		}
	}
	return d, nil
}

// cursorState keeps the IMAP poller's position in Redis, so a restart
// neither reprocesses nor skips mail.
type cursorState struct{ st *threads.Store }

var _ imappoll.StateStore = cursorState{}

func (c cursorState) Load(ctx context.Context, mailbox string) (uint32, uint32, error) {
	v, err := c.st.Inbox.Cursor(ctx, "imap:"+mailbox)
	if err != nil || v == "" {
		return 0, 0, err
	}
	validity, last, _ := strings.Cut(v, ":")
	a, err1 := strconv.ParseUint(validity, 10, 32)
	b, err2 := strconv.ParseUint(last, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, nil // unreadable: start over, duplicates fold by Message-ID
	}
	return uint32(a), uint32(b), nil
}

func (c cursorState) Save(ctx context.Context, mailbox string, validity, last uint32) error {
	return c.st.Inbox.SetCursor(ctx, "imap:"+mailbox, fmt.Sprintf("%d:%d", validity, last))
}

// offIfZero maps a setting's 0 (no limit) to smtpserver's -1 (off).
func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
