package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"parley/internal/gcpolicy"
	"parley/internal/lifecycle"
	"parley/threads"
	"parley/web"
)

// Fan-out recovery: lines stored at least recoverAge ago whose fan-out is
// still due are routed again, every recoverEvery.
const (
	recoverAge   = 30 * time.Second
	recoverEvery = 10 * time.Second
	// shutdownGrace is how long requests in flight get when parley stops.
	shutdownGrace = 10 * time.Second
)

func serveCommands() []command {
	return []command{
		{path: "serve", args: "",
			summary: "run the server until SIGINT or SIGTERM: the SMTP server (PARLEY_SMTP_ADDR) and IMAP poller (PARLEY_IMAP_URL) for replies, the delivery worker (email and SMS), fan-out recovery, and the web side on PARLEY_HTTP_ADDR; " +
				"without PARLEY_REDIS_URL the data lives in memory",
			mode: noStore, parse: parseServe},
		{path: "demo", args: "[--for DURATION]",
			summary: "show the whole loop with no outside service: seeded people and rooms, a scripted exchange, " +
				"routing and the outbox; --for D ends it D after the walk-through",
			mode: noStore, parse: parseDemo},
	}
}

func parseServe(args []string) (action, error) {
	if err := parseNoArgs(newFlags("serve"), args); err != nil {
		return nil, err
	}
	return serve, nil
}

// serve runs the server until ctx ends.
func serve(ctx context.Context, a *app) error {
	defer gcpolicy.Apply()()
	cfg := a.cfg
	switch {
	case cfg.Secret != "":
		if err := cfg.checkSecret(); err != nil {
			return usagef("%v", err)
		}
	case cfg.Embedded():
		cfg.Secret = randomSecret()
		a.log.Info("no PARLEY_SECRET: using a random one for this run")
	default:
		return usagef("serve with a shared Redis needs PARLEY_SECRET or PARLEY_SECRET_FILE (at least %d bytes; for example: openssl rand -hex 32)", minSecret)
	}
	// The counters the engine and the SMTP door report to (metrics.go).
	ev := newEvents()
	b, err := openBackend(ctx, cfg, openOptions{AllowEmbedded: true, Log: a.log, Observer: ev})
	if err != nil {
		return err
	}
	defer b.Close()
	a.log.Info("store ready", "redis", b.url, "prefix", cfg.KeyPrefix)
	logDataKey(a.log, b.dataKey)
	// PARLEY_IDLE_AFTER and PARLEY_OFFLINE_AFTER only seed the thresholds
	// in Redis, which every process reads (`parley admin presence`).
	if err := b.store.Chat.SeedThresholds(ctx); err != nil {
		return err
	}

	ops := newOps(b.store, b.client, ev, a.log) // metrics.go
	dl, err := newDispatcher(cfg, b.store, dispatcherOptions{Consumer: instanceName(cfg), Log: a.log, Ops: ops})
	if err != nil {
		return err
	}
	hook, err := newSMSHook(cfg, b.store, dl.texts, dl.tmpl, a.log)
	if err != nil {
		return err
	}
	wo, err := webOptions(cfg, b.store, a.log)
	if err != nil {
		return err
	}
	if hook != nil {
		hook = ops.countWebhook(hook)
	}
	wo.SMSHook = hook
	dr, err := newDoors(cfg, b.store, dl.tmpl, ops.doorLog(a.log), ev)
	if err != nil {
		return err
	}

	// Started in this order and stopped in reverse: the doors stop first,
	// so no new line comes in while the rest shuts down; then the lines
	// they stored are routed (the drain); the worker stops last, so
	// batches in flight finish.
	parts := []lifecycle.Component{
		workerPart(cfg, dl, ops, a.log),
		{Name: "digest scheduler", Run: func(ctx context.Context) error {
			digestLoop(ctx, dl, a.log)
			return nil
		}},
		drainPart(b.store, a.log),
		{Name: "fan-out recovery", Run: func(ctx context.Context) error {
			recoverLoop(ctx, b.store, a.log)
			return nil
		}},
		{Name: "retention", Run: func(ctx context.Context) error {
			retentionLoop(ctx, b.store, wo.Blobs, a.log, retentionEvery)
			return nil
		}},
		httpPart(cfg, wo, ops, a.log),
		smtpPart(cfg, dr, a.log),
	}
	if cfg.MetricsAddr != "" {
		parts = append(parts, metricsPart(cfg, ops, a.log))
	}
	if dr.imap != nil {
		parts = append(parts, lifecycle.Component{Name: "imap poller", Grace: shutdownGrace,
			Run: func(ctx context.Context) error { return ignoreStopped(ctx, dr.imap.Run(ctx)) }})
	}
	a.log.Info("instance", "consumer", instanceName(cfg), "stop_timeout", cfg.StopTimeout)
	return lifecycle.RunWithin(ctx, a.log, cfg.StopTimeout, parts...)
}

// workerPart runs the delivery worker. It stops last, with what is left of
// PARLEY_STOP_TIMEOUT: sends in flight finish within it or are handed back
// just before its end.
func workerPart(cfg Config, dl *dispatcher, o *ops, log *slog.Logger) lifecycle.Component {
	return lifecycle.Component{Name: "delivery worker", Grace: cfg.StopTimeout,
		Start: func(context.Context) error {
			log.Info("delivery", "email", dl.emailTo, "sms", dl.smsTo, "batch_window", cfg.BatchWindow, "sms_window", cfg.SMSWindow,
				"senders", cfg.Senders, "domain_senders", cfg.DomainSenders)
			return nil
		},
		Stop: func(ctx context.Context) error {
			if end, ok := ctx.Deadline(); ok {
				// Leave time to hand the sends back and close.
				dl.worker.StopBy(end.Add(-time.Second))
			}
			return nil
		},
		Run: func(ctx context.Context) error {
			o.workerUp.Store(true) // for /readyz
			defer o.workerUp.Store(false)
			return dl.run(ctx)
		}}
}

// drainPart waits, at its stop, for the fan-out of the lines stored before
// (see threads.Chat.Drain); what is left goes to fan-out recovery at the
// next start.
func drainPart(st *threads.Store, log *slog.Logger) lifecycle.Component {
	return lifecycle.Component{Name: "fan-out drain", Grace: shutdownGrace,
		Stop: func(ctx context.Context) error {
			if err := st.Chat.Drain(ctx); err != nil {
				log.Warn("lines left to fan-out recovery at the next start", "err", err)
			}
			return nil
		}}
}

// httpPart serves the web side on PARLEY_HTTP_ADDR; at its stop, requests
// in flight get shutdownGrace and live streams end.
func httpPart(cfg Config, wo web.Options, o *ops, log *slog.Logger) lifecycle.Component {
	var srv *http.Server
	var ln net.Listener
	return lifecycle.Component{Name: "http server", Grace: shutdownGrace,
		Start: func(context.Context) error {
			var err error
			if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
				return fmt.Errorf("listen on PARLEY_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
			}
			stopStreams := make(chan struct{})
			wo.Stop = stopStreams
			srv = web.NewServer(o.mount(web.New(wo), cfg.MetricsAddr == ""), web.ServerOptions{Log: log})
			srv.RegisterOnShutdown(func() { close(stopStreams) })
			log.Info("listening", "http", ln.Addr().String(), "sms_webhook", wo.SMSHook != nil)
			return nil
		},
		Run: func(context.Context) error {
			if err := srv.Serve(web.Listen(ln, web.ServerOptions{})); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Stop: func(ctx context.Context) error { return srv.Shutdown(ctx) }}
}

// smtpPart runs the SMTP server on PARLEY_SMTP_ADDR; at its stop, messages
// in flight get the server's grace period.
func smtpPart(cfg Config, dr *doors, log *slog.Logger) lifecycle.Component {
	var ln net.Listener
	return lifecycle.Component{Name: "smtp server", Grace: doorGrace(cfg) + time.Second,
		Start: func(context.Context) error {
			var err error
			if ln, err = net.Listen("tcp", cfg.SMTPAddr); err != nil {
				return fmt.Errorf("listen on PARLEY_SMTP_ADDR %s: %w", cfg.SMTPAddr, err)
			}
			log.Info("mail in", "smtp", cfg.SMTPAddr, "imap", dr.imap != nil)
			return nil
		},
		Run: func(ctx context.Context) error { return ignoreStopped(ctx, dr.smtp.Serve(ctx, ln)) }}
}

// doorGrace is how long the SMTP door lets messages in flight finish when
// parley stops: a quarter of PARLEY_STOP_TIMEOUT, the rest going to the
// sends in flight.
func doorGrace(cfg Config) time.Duration {
	return max(cfg.StopTimeout/4, time.Second)
}

// ignoreStopped returns err unless ctx has ended: a door's error on its way
// out is not a failure.
func ignoreStopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// recoverLoop finishes interrupted fan-outs at start and then every
// recoverEvery, until ctx ends. At start it routes every line still due,
// however recent: what this process left when it was killed goes out at
// once, not recoverAge later (a line another process is routing right
// now is routed twice, and its jobs fold into one by their idempotency
// keys). Later rounds leave the recent lines to the processes that
// stored them.
func recoverLoop(ctx context.Context, st *threads.Store, log *slog.Logger) {
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	age := time.Duration(0)
	for {
		n, err := st.Chat.RecoverFanout(ctx, age)
		age = recoverAge
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("recover fan-out", "err", err)
		case n > 0:
			log.Info("recovered fan-out", "lines", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// randomSecret returns 32 random bytes, hex-encoded, for a run whose data
// does not outlive it.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
