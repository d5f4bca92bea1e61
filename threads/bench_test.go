package threads

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/sealbox"
)

// roundTrips counts the commands and pipelines a client sends: each is one
// round trip to Redis.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

var _ redis.Hook = (*roundTrips)(nil)

// BenchmarkPost posts into a 50-member room in which every other member is
// away, so each line becomes 49 email delivery jobs. Run it against a real
// Redis (REDIS_URL, or redis-server on PATH):
//
//	go test ./threads -run '^$' -bench Post -benchtime 5s
func BenchmarkPost(b *testing.B) {
	for _, par := range []int{1, 8} {
		writers := par * runtime.GOMAXPROCS(0)
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) { benchPost(b, par, nil) })
	}
}

// benchPost posts from par×GOMAXPROCS goroutines, with the data key
// seal (nil: none; BenchmarkPostDataKey).
func benchPost(b *testing.B, par int, seal *sealbox.Box) {
	e := newEnv(b)
	if seal != nil {
		e = e.reopen(seal)
	}
	b.Logf("redis: %s at %s", e.redis.Kind, e.redis.Addr)
	e.Store.opts.Now = time.Now // a real clock: stream ids and job times as in production
	members := make([]string, 50)
	for i := range members {
		members[i] = fmt.Sprintf("m%02d", i)
		if _, err := e.Directory.AddUser(e.ctx, User{ID: members[i], Name: "Member " + members[i], Emails: []string{members[i] + "@example.org"}}); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			if _, err := e.Chat.SetStatus(e.ctx, members[i], Status{Availability: Away}); err != nil {
				b.Fatal(err)
			}
		}
	}
	e.room(b, "bench", Group, members...)
	rt := &roundTrips{}
	e.redis.Client.AddHook(rt)

	b.SetParallelism(par)
	b.ResetTimer()
	start := time.Now()
	var jobs atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := e.Chat.Post(e.ctx, NewLine{Room: "bench", Author: "m00", Text: "a line of ordinary length for the benchmark", Origin: FromAPI})
			if err != nil {
				b.Error(err)
				return
			}
			jobs.Add(int64(len(p.Routes)))
		}
	})
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed, "lines/s")
	b.ReportMetric(float64(jobs.Load())/elapsed, "jobs/s")
	b.ReportMetric(float64(rt.n.Load())/float64(b.N), "roundtrips/line")
	// A line's jobs take one queue entry for each shard its members are on.
	shards := map[int]bool{}
	for _, m := range members[1:] {
		shards[e.Queue.shardOf(m)] = true
	}
	if st, err := e.Queue.Stats(e.ctx); err != nil || st.Waiting != int64(b.N*len(shards)) || jobs.Load() != int64(b.N*49) {
		b.Fatalf("queue holds %d entries, want %d; %d jobs routed, want %d (%v)", st.Waiting, b.N*len(shards), jobs.Load(), b.N*49, err)
	}
}
