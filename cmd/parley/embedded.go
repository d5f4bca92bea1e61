package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"parley/internal/redisclient"
)

// embedded is an in-process Redis-compatible store (miniredis) on a
// loopback port, for serve and demo without PARLEY_REDIS_URL. Its data lives
// in memory and is gone when the process exits.
type embedded struct {
	mr   *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// startEmbedded starts the store on a free loopback port.
//
// miniredis expires keys only when its clock is moved (ClockTTL stays off so
// that expiry does not depend on how often commands arrive), so a ticker
// moves it one second every second: dedupe keys and delivery records expire
// as they would on Redis.
func startEmbedded() (*embedded, error) {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded store: %w", err)
	}
	e := &embedded{mr: mr, stop: make(chan struct{}), done: make(chan struct{})}
	go e.tick()
	return e, nil
}

func (e *embedded) tick() {
	defer close(e.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.mr.FastForward(time.Second)
		}
	}
}

// URL is the address other processes use: redis://127.0.0.1:PORT.
func (e *embedded) URL() string { return "redis://" + e.mr.Addr() }

// Close stops the clock and the server; the data is gone.
func (e *embedded) Close() {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		e.mr.Close()
	})
}

// target is where a client finds the embedded store.
func (e *embedded) target() redisclient.Target {
	t, _ := redisclient.ParseURL(e.URL()) // a loopback host:port always parses
	return t
}
