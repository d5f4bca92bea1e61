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
	"sync"
	"time"

	"parley/internal/gcpolicy"
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
				"routing and the outbox; --for ends it after a while",
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
	b, err := openBackend(ctx, cfg, openOptions{AllowEmbedded: true, Log: a.log})
	if err != nil {
		return err
	}
	defer b.Close()
	a.log.Info("store ready", "redis", b.url, "prefix", cfg.KeyPrefix)

	dl, err := newDelivery(cfg, b.store, deliveryOptions{Consumer: consumerName(), Log: a.log})
	if err != nil {
		return err
	}
	hook, err := newSMSHook(cfg, b.store, dl.texts, a.log)
	if err != nil {
		return err
	}

	wo, err := webOptions(cfg, b.store, a.log)
	if err != nil {
		return err
	}
	wo.SMSHook = hook
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on PARLEY_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	stopStreams := make(chan struct{})
	wo.Stop = stopStreams
	srv := &http.Server{Handler: web.New(wo), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(func() { close(stopStreams) })
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.log.Info("listening", "http", ln.Addr().String(), "sms_webhook", hook != nil)

	a.log.Info("delivery", "email", dl.emailTo, "sms", dl.smsTo, "batch_window", cfg.BatchWindow, "sms_window", cfg.SMSWindow)
	wctx, stopWorker := context.WithCancel(ctx)
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		_ = dl.run(wctx)
	}()
	digested := make(chan struct{})
	go func() { defer close(digested); digestLoop(wctx, dl, a.log) }()
	// The worker stops last: batches in flight finish before parley exits.
	defer func() {
		stopWorker()
		<-worked
		<-digested
	}()

	dr, err := newDoors(cfg, b.store, a.log)
	if err != nil {
		return err
	}
	dctx, stopDoors := context.WithCancel(ctx)
	doorFailed := make(chan error, 2)
	var doorsRunning sync.WaitGroup
	doorsRunning.Add(1)
	go func() {
		defer doorsRunning.Done()
		if err := dr.smtp.ListenAndServe(dctx); err != nil && dctx.Err() == nil {
			doorFailed <- fmt.Errorf("smtp server on PARLEY_SMTP_ADDR %s: %w", cfg.SMTPAddr, err)
		}
	}()
	if dr.imap != nil {
		doorsRunning.Add(1)
		go func() {
			defer doorsRunning.Done()
			if err := dr.imap.Run(dctx); err != nil && dctx.Err() == nil {
				doorFailed <- fmt.Errorf("imap poller: %w", err)
			}
		}()
	}
	a.log.Info("mail in", "smtp", cfg.SMTPAddr, "imap", dr.imap != nil)
	// The doors stop first: no new mail while the rest shuts down. The
	// lines they stored are routed before the worker stops.
	defer func() {
		stopDoors()
		doorsRunning.Wait()
		dctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := b.store.Chat.Drain(dctx); err != nil {
			a.log.Warn("lines left to fan-out recovery at the next start", "err", err)
		}
	}()

	rctx, stopRecovery := context.WithCancel(ctx)
	recovered := make(chan struct{})
	go func() {
		defer close(recovered)
		recoverLoop(rctx, b.store, a.log)
	}()
	defer func() {
		stopRecovery()
		<-recovered
	}()
	retained := make(chan struct{})
	go func() {
		defer close(retained)
		retentionLoop(rctx, b.store, a.log, retentionEvery)
	}()
	defer func() {
		stopRecovery() // rctx ends both loops
		<-retained
	}()

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case err := <-doorFailed:
		return err
	case <-ctx.Done():
	}
	a.log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop http server: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// recoverLoop finishes interrupted fan-outs at start and then every
// recoverEvery, until ctx ends.
func recoverLoop(ctx context.Context, st *threads.Store, log *slog.Logger) {
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		n, err := st.Chat.RecoverFanout(ctx, recoverAge)
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
