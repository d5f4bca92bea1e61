package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/threads"
)

// pingTimeout bounds the check that Redis answers, made before any command.
const pingTimeout = 3 * time.Second

// backend is an open store: a Redis client (to a shared Redis or to the
// embedded store) and the engine on it.
type backend struct {
	store  *threads.Store
	client redis.UniversalClient
	// url is the Redis address, redacted: safe to print.
	url string
	// emb is the embedded store, nil with a shared Redis.
	emb *embedded
	// dataKey says which data key the data is sealed under.
	dataKey threads.DataKeyState
}

// openOptions say how to open a backend.
type openOptions struct {
	// AllowEmbedded starts an in-process store when no Redis URL is set;
	// otherwise a missing URL is an error.
	AllowEmbedded bool
	// Log receives the start-up notes of the embedded store.
	Log *slog.Logger
	// Observer hears what the engine does (serve's metrics); nil: nobody.
	Observer threads.Observer
}

// errNeedRedis is returned by admin commands run without a shared Redis.
var errNeedRedis = errors.New("needs a shared Redis: set PARLEY_REDIS_URL " +
	"(`parley demo` and `parley serve` print an address to use; an in-process store would lose the data when this command exits)")

// openBackend connects to the configured Redis, or starts the embedded
// store, and checks with a ping that it answers.
func openBackend(ctx context.Context, cfg Config, o openOptions) (*backend, error) {
	b := &backend{}
	var target redisclient.Target
	if cfg.Embedded() {
		if !o.AllowEmbedded {
			return nil, errNeedRedis
		}
		if cfg.RedisWait > 0 {
			return nil, usagef("PARLEY_REDIS_WAIT needs PARLEY_REDIS_URL: the embedded store has no replicas")
		}
		emb, err := startEmbedded()
		if err != nil {
			return nil, err
		}
		b.emb = emb
		b.url = emb.URL()
		target = emb.target()
	} else {
		var err error
		if target, err = parseRedisURL(cfg.RedisURL); err != nil {
			return nil, fmt.Errorf("PARLEY_REDIS_URL: %w", err)
		}
		b.url = RedactURL(cfg.RedisURL)
	}
	box, err := cfg.Crypto.dataBox()
	if err != nil {
		return nil, err
	}
	b.client = target.Client()
	b.store = threads.New(b.client, threads.Options{
		Prefix:       cfg.KeyPrefix,
		IdleAfter:    cfg.IdleAfter,
		OfflineAfter: cfg.OfflineAfter,
		QueueShards:  cfg.QueueShards,
		Secret:       []byte(cfg.Secret),
		// Key rotation and bounces (config_trust.go).
		PreviousSecret:   []byte(cfg.SecretPrevious),
		BounceRetryAfter: cfg.BounceRetryAfter,
		// Retries of failed sends (config_retry.go).
		Backoff: cfg.RetryBackoff,
		// The loop breaker (inbound mail).
		EmailLinesPerMinute: cfg.EmailLinesPerMinute,
		// Away auto-replies (config_away.go).
		AutoReplyPeriod: cfg.AutoReplyPeriod,
		EscalateAfter:   cfg.EscalateAfter,
		Logger:          o.Log,
		// Replica acknowledgement (config_ops.go).
		ReplicaWait:        cfg.RedisWait,
		ReplicaWaitTimeout: cfg.RedisWaitTimeout,
		// Meetings (config_files.go).
		MeetURL:  cfg.Files.MeetURL,
		Observer: o.Observer,
		// Data at rest (config_crypto.go).
		Seal: box,
	})
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := b.store.Ping(pctx); err != nil {
		b.Close()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("redis at %s did not answer within %s", b.url, pingTimeout)
		}
		return nil, fmt.Errorf("redis at %s: %w", b.url, unwrapPing(err))
	}
	// A wrong data key, or none once data was sealed, stops here: before
	// anything is read or served (threads/datakey.go).
	if b.dataKey, err = b.store.CheckDataKey(ctx); err != nil {
		b.Close()
		return nil, err
	}
	if b.emb != nil && o.Log != nil {
		o.Log.Info("embedded store: data lives in memory and is lost when parley exits; "+
			"other terminals can use it with PARLEY_REDIS_URL", "redis", b.url)
	}
	return b, nil
}

// unwrapPing drops the "redis ping: " that threads puts before the cause,
// since the caller says which Redis.
func unwrapPing(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// Close disconnects and stops the embedded store, if any.
func (b *backend) Close() {
	if b.client != nil {
		_ = b.client.Close()
	}
	if b.emb != nil {
		b.emb.Close()
	}
}
