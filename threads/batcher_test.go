package threads

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// gateHook holds the first pipeline of GETs until released and records the
// size of every such pipeline.
type gateHook struct {
	mu      sync.Mutex
	sizes   []int
	entered chan struct{}
	release chan struct{}
}

func (g *gateHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (g *gateHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (g *gateHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || cmds[0].Name() != "get" {
			return next(ctx, cmds) // go-redis's own (a new connection's hello)
		}
		g.mu.Lock()
		g.sizes = append(g.sizes, len(cmds))
		first := len(g.sizes) == 1
		g.mu.Unlock()
		if first {
			close(g.entered)
			<-g.release
		}
		return next(ctx, cmds)
	}
}

// TestBatcherSharesPipelines: requests that arrive while a pipeline is in
// flight go out together in the next one, each getting its own replies; a
// caller whose context ends stops waiting.
func TestBatcherSharesPipelines(t *testing.T) {
	e := newEnv(t)
	for i := range 6 {
		if err := e.redis.Client.Set(e.ctx, e.redis.Prefix+fmt.Sprint("k", i), fmt.Sprint("v", i), time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	g := &gateHook{entered: make(chan struct{}), release: make(chan struct{})}
	e.redis.Client.AddHook(g)
	b := &batcher{rdb: e.redis.Client, flushers: 1} // one in flight: the rest must wait and meet

	get := func(i int) (string, error) {
		var c *redis.StringCmd
		_, err := b.pipelined(e.ctx, func(p redis.Pipeliner) { c = p.Get(e.ctx, e.redis.Prefix+fmt.Sprint("k", i)) })
		if err != nil {
			return "", err
		}
		return c.Val(), nil
	}
	results := make([]string, 6)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); results[0], _ = get(0) }()
	<-g.entered // the first pipeline is in flight
	for i := 1; i < 6; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], _ = get(i) }()
	}
	// A caller that gives up while queued.
	cctx, cancel := context.WithCancel(e.ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := b.pipelined(cctx, func(p redis.Pipeliner) { p.Get(cctx, e.redis.Prefix+"k0") })
		gaveUp <- err
	}()
	for {
		b.mu.Lock()
		n := len(b.queue)
		b.mu.Unlock()
		if n == 6 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v", err)
	}
	close(g.release)
	wg.Wait()
	for i, r := range results {
		if r != fmt.Sprint("v", i) {
			t.Errorf("request %d got %q", i, r)
		}
	}
	g.mu.Lock()
	sizes := g.sizes
	g.mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 6 {
		t.Errorf("pipeline sizes %v, want [1 6]: the queued requests should share one", sizes)
	}
	// A missing key is redis.Nil for its own caller only.
	var c *redis.StringCmd
	if _, err := b.pipelined(e.ctx, func(p redis.Pipeliner) { c = p.Get(e.ctx, e.redis.Prefix+"none") }); !errors.Is(err, redis.Nil) || c.Err() != redis.Nil {
		t.Errorf("missing key: %v", err)
	}
}
