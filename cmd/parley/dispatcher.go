package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	smshook "parley/inbound/sms"
	"parley/outbound"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/outbound/twiliosms"
	"parley/templates"
	"parley/threads"
)

// dispatcher is the delivery worker with the carriers the configuration
// asks for: a smarthost or the outbox for email, Twilio or the outbox for
// texts.
type dispatcher struct {
	worker *outbound.Worker
	// digests sends the digests that come due, by the same email route.
	digests *outbound.Digests
	// emailTo and smsTo say where each channel goes, for the start-up log.
	emailTo, smsTo string
	// texts sends text messages (Twilio or the outbox); the SMS webhook
	// answers through it too, sharing its pace per number.
	texts outbound.TextSender
	// tmpl are the texts (PARLEY_TEMPLATES_DIR over the built-in ones):
	// the emails' here, and the SMS webhook's answers and the email
	// receiver's notices too, so one folder replaces them all.
	tmpl  *templates.Set
	close func()
}

// dispatcherOptions override the configuration (the demo keeps everything
// in the outbox).
type dispatcherOptions struct {
	Consumer   string
	OutboxOnly bool
	Log        *slog.Logger
	// Ops, when set, counts each channel's batches (metrics.go).
	Ops *ops
}

// newDispatcher builds the worker from cfg.
func newDispatcher(cfg Config, st *threads.Store, o dispatcherOptions) (*dispatcher, error) {
	tmpl, err := templates.Load(cfg.TemplatesDir)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_TEMPLATES_DIR: %w", err)
	}
	copts := mailcompose.Options{Domain: cfg.Domain, FromLocal: cfg.MailFrom, Templates: tmpl}
	if cfg.DKIMKeyFile != "" {
		key, err := os.ReadFile(cfg.DKIMKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_DKIM_KEY_FILE: %w", err)
		}
		copts.DKIM = &mailcompose.DKIMOptions{Selector: cfg.DKIMSelector, PrivateKeyPEM: key}
	}
	composer, err := mailcompose.New(copts)
	if err != nil {
		return nil, err
	}
	d := &dispatcher{tmpl: tmpl, close: func() {}}
	var transport outbound.Transport = outbound.Outbox{Queue: st.Queue}
	d.emailTo = "the outbox (parley outbox)"
	if cfg.Smarthost != "" && !o.OutboxOnly {
		client, err := smtpsend.New(smtpsend.Options{Addr: cfg.Smarthost, Username: cfg.SmarthostUser,
			Password: cfg.SmarthostPassword, TLS: smtpsend.TLSMode(cfg.SmarthostTLS), LocalName: cfg.Domain, Logger: o.Log,
			RequireTLS: cfg.Crypto.RequireTLS, PoolSize: cfg.Senders})
		if err != nil {
			return nil, fmt.Errorf("PARLEY_SMARTHOST: %w", err)
		}
		transport, d.emailTo, d.close = client, cfg.Smarthost, func() { _ = client.Close() }
	}
	transport, keys, err := withPGP(cfg, st, composer, transport, o.Log) // pgp.go
	if err != nil {
		return nil, err
	}
	d.texts = outbound.TextOutbox{Queue: st.Queue}
	d.smsTo = "the outbox (parley outbox)"
	if cfg.TwilioAccountSID != "" && !o.OutboxOnly {
		sender, err := twiliosms.New(twiliosms.Options{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			MessagingServiceSID: cfg.TwilioMessagingService, From: cfg.SMSFrom, Numbers: cfg.SMSNumbers,
			APIBaseURL: cfg.TwilioAPIURL, StatusCallback: strings.TrimRight(cfg.PublicURL, "/") + smshook.StatusPath,
			ValidityPeriod: cfg.SMSValidity, Rate: cfg.SMSRate})
		if err != nil {
			return nil, fmt.Errorf("twilio settings: %w", err)
		}
		d.texts, d.smsTo = sender, "Twilio"
	}
	defaultFrom := cfg.SMSFrom
	if defaultFrom == "" && cfg.TwilioMessagingService == "" && len(cfg.SMSNumbers) > 0 {
		defaultFrom = cfg.SMSNumbers[0] // what twiliosms sends from when given none
	}
	blobStore, err := fileStore(cfg)
	if err != nil {
		return nil, err
	}
	files := outboundFiles(cfg, st, blobStore, o.Log)
	email := outbound.NewEmail(outbound.EmailOptions{Auth: st.Auth, Chat: st.Chat, Directory: st.Directory,
		Composer: composer, Transport: transport, Domain: cfg.Domain, PublicURL: cfg.PublicURL, Keys: keys, Files: files})
	channels := map[threads.Channel]outbound.Carrier{
		threads.Email: email,
		threads.SMS: outbound.NewSMS(outbound.SMSOptions{SMS: st.SMS, Sender: d.texts, Budget: cfg.SMSBudget, PublicURL: cfg.PublicURL,
			Pool: cfg.SMSNumbers, DefaultFrom: defaultFrom, DailySegments: cfg.SMSDailySegments, Fallback: email, Templates: tmpl, Files: files, Log: o.Log}),
	}
	if o.Ops != nil {
		channels = o.Ops.countCarriers(channels) // metrics.go
	}
	d.digests = outbound.NewDigests(outbound.DigestOptions{Digests: st.Digests, Directory: st.Directory, Chat: st.Chat,
		Auth: st.Auth, Composer: composer, Transport: transport, Domain: cfg.Domain, PublicURL: cfg.PublicURL, Files: files, Log: o.Log})
	d.worker = outbound.NewWorker(st.Queue, st.Directory, channels, outbound.Options{Consumer: o.Consumer, Log: o.Log,
		Concurrency: cfg.Senders, DomainConcurrency: cfg.DomainSenders,
		Window: map[threads.Channel]time.Duration{threads.Email: cfg.BatchWindow, threads.SMS: cfg.SMSWindow}})
	return d, nil
}

// consumerName names a one-shot command (digest send) in the delivery
// queue's consumer group: host and pid, never the name of a serve.
func consumerName() string {
	return fmt.Sprintf("%s-%d", hostName(), os.Getpid())
}

// instanceName names `parley serve` in the delivery queue's consumer
// group, the same across its restarts so that it takes back its own work at
// once: PARLEY_INSTANCE, or the host name and a digest of the addresses it
// listens on (two processes on one host cannot share both).
func instanceName(cfg Config) string {
	if cfg.Instance != "" {
		return cfg.Instance
	}
	sum := sha256.Sum256([]byte(cfg.HTTPAddr + "\x00" + cfg.SMTPAddr))
	return hostName() + "-" + hex.EncodeToString(sum[:4])
}

func hostName() string {
	host, _ := os.Hostname()
	return strings.NewReplacer(" ", "-", "/", "-").Replace(host)
}

// run works until ctx ends, then waits for the batches in flight (up to
// the stop deadline, see outbound.Worker.StopBy). The smarthost
// connections are closed without waiting for sends handed back.
func (d *dispatcher) run(ctx context.Context) error {
	err := d.worker.Run(ctx)
	closed := make(chan struct{})
	go func() { d.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(500 * time.Millisecond):
	}
	return err
}
