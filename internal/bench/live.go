package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/threads"
	"parley/web"
)

// live: one line to n clients of the live stream (GET /api/stream) of one
// process: the time from Post to each client reading the line, and the
// process's memory per client. The clients run in a child process
// (livechild.go), so the memory is the server's end of each connection
// only, and each process holds one file per client. The streams share
// the process's live hub: one Redis subscription for all of them.
func live(ctx context.Context, r *run) Figure {
	const target = "p99 < 200 ms, ≤ 40 KB RSS per client"
	n := liveClients(r.opts.Quick)
	note := "clients in a child process: RSS is the server's end of each connection, after the garbage is collected"
	// Each process holds one file per client: the server its end, the
	// child the client's.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(n+1024) {
		fit := int(lim.Cur-min(lim.Cur, 1024)) / 1000 * 1000
		if fit == 0 {
			return failed(fmt.Sprintf("live: a line to %s SSE clients on one process", thousands(float64(n))),
				target, fmt.Errorf("needs %d open files (ulimit -n is %d)", n+1024, lim.Cur))
		}
		note = fmt.Sprintf("%s clients need %s open files, ulimit -n is %s: ran %s; ", thousands(float64(n)),
			thousands(float64(n+1024)), thousands(float64(lim.Cur)), thousands(float64(fit))) + note
		n = fit
	}
	what := fmt.Sprintf("live: a line to %s SSE clients on one process", thousands(float64(n)))
	st := r.redis.newStore()
	for _, id := range []string{"alice", "viewer"} {
		if _, err := st.Directory.AddUser(ctx, threads.User{ID: id, Name: id, Emails: []string{id + "@example.org"}}); err != nil {
			return failed(what, target, err)
		}
	}
	if _, err := st.Chat.CreateRoom(ctx, threads.Room{ID: "live", Name: "Live", Members: []string{"alice", "viewer"}}); err != nil {
		return failed(what, target, err)
	}
	token, _, err := st.Auth.NewAPIToken(ctx, "viewer", "bench")
	if err != nil {
		return failed(what, target, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return failed(what, target, err)
	}
	srv := &http.Server{Handler: web.New(web.Options{Store: st, Log: quiet, RatePerMinute: 1 << 30, Heartbeat: time.Hour,
		// Every client is one member on one address: the caps are lifted.
		MaxStreamsPerMember: 1 << 30, MaxStreamsPerIP: 1 << 30}),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	// The other figures' stores keep their own subscriptions on the same
	// Redis: count only what the clients add.
	pubsubBefore, err := pubsubClients(ctx, r.redis.Client)
	if err != nil {
		return failed(what, target, err)
	}
	before := held()
	clients, err := startLiveClients(ctx, l.Addr().String(), token, n)
	if err != nil {
		return failed(what, target, err)
	}
	defer clients.close()
	after := held()
	perClient := float64(after.rss-before.rss) / float64(n)
	heapPer := float64(after.heap-before.heap) / float64(n)
	stackPer := float64(after.stack-before.stack) / float64(n)
	// Redis connections in pub/sub mode: the live hub's, shared by every
	// client (one per server, or per master of a cluster).
	pubsub, err := pubsubClients(ctx, r.redis.Client)
	if err != nil {
		return failed(what, target, err)
	}
	pubsub -= pubsubBefore

	start := time.Now()
	if err := clients.goMark(start); err != nil {
		return failed(what, target, err)
	}
	if _, err := st.Chat.Post(ctx, threads.NewLine{Room: "live", Author: "alice", Text: "a line for everyone", Origin: threads.FromAPI}); err != nil {
		return failed(what, target, err)
	}
	samples, err := clients.receipts()
	if err != nil {
		return failed(what, target, err)
	}
	if len(samples) < n {
		return failed(what, target, fmt.Errorf("only %d of %d clients got the line within %s", len(samples), n, liveWait))
	}
	slices.Sort(samples)
	p50, p99 := quantile(samples, 0.5), quantile(samples, 0.99)
	return Figure{What: what, Target: target, Peer: "—",
		Parley: fmt.Sprintf("p50 %s, p99 %s; %.1f KB RSS per client (heap %.1f KB, stacks %.1f KB); Redis pub/sub connections: %d", ms(p50), ms(p99),
			perClient/1024, heapPer/1024, stackPer/1024, pubsub),
		Note: note,
		Values: map[string]float64{"clients": float64(n), "p50_ms": msf(p50), "p99_ms": msf(p99), "rss_kb_per_client": perClient / 1024,
			"heap_kb_per_client": heapPer / 1024, "stack_kb_per_client": stackPer / 1024, "redis_pubsub_clients": float64(pubsub)}}
}

// pubsubClients counts the connections of rdb's server in pub/sub mode
// (CLIENT LIST TYPE pubsub; every master of a cluster).
func pubsubClients(ctx context.Context, rdb redis.UniversalClient) (int, error) {
	count := func(c interface {
		Do(context.Context, ...any) *redis.Cmd
	}) (int, error) {
		out, err := c.Do(ctx, "client", "list", "type", "pubsub").Text()
		if err != nil {
			return 0, fmt.Errorf("CLIENT LIST TYPE pubsub: %w", err)
		}
		return strings.Count(out, "\n"), nil
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return count(rdb)
	}
	var mu sync.Mutex
	total := 0
	err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		c, err := count(n)
		mu.Lock()
		defer mu.Unlock()
		total += c
		return err
	})
	return total, err
}

// followStream is one client of the live figure, as small as a client
// can be so that one child process holds 10,000 of them: it sends
// request on c, reports on ready once the stream's first comment
// (subscribed) arrives, and then calls saw for each line event until c
// is closed or saw returns false (the figure wants one line: a client
// that has it stops reading, and costs the machine nothing more). It
// reads the raw response through a small buffer: the marks it looks for
// are each written in one piece (one event, one chunk), and a mark cut in
// two by a read is kept for the next.
func followStream(c net.Conn, request []byte, ready chan<- error, saw func() (more bool)) error {
	if _, err := c.Write(request); err != nil {
		return err
	}
	buf := make([]byte, 512)
	var keep int // bytes at the start of buf carried over from the last read
	answered, subscribed := false, false
	for {
		n, err := c.Read(buf[keep:])
		data := buf[:keep+n]
		if !answered {
			status, _, ok := bytes.Cut(data, []byte("\r\n"))
			switch {
			case ok && !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")):
				return fmt.Errorf("GET /api/stream: %s", status)
			case !ok && err == nil && len(data) < len(buf):
				keep = len(data) // the status line is not all here yet
				continue
			}
			answered = ok
		}
		if answered && !subscribed {
			if i := bytes.Index(data, streamStart); i >= 0 {
				subscribed = true
				ready <- nil
				data = data[i+len(streamStart):]
			}
		}
		if subscribed {
			for {
				i := bytes.Index(data, lineMark)
				if i < 0 {
					break
				}
				if !saw() {
					return nil
				}
				data = data[i+len(lineMark):]
			}
		}
		if err != nil {
			if !subscribed {
				return fmt.Errorf("live stream: %w", err)
			}
			return nil
		}
		// Keep what could be the start of a mark cut by this read.
		tail := min(len(data), len(streamStart)-1)
		keep = copy(buf, data[len(data)-tail:])
	}
}

var (
	streamStart = []byte(": parley live stream\n")
	lineMark    = []byte("\nevent: line\n")
)

// liveClients is the number of clients of the live figure.
func liveClients(quick bool) int {
	if quick {
		return 1000
	}
	return 10_000
}

// memory is what the process holds.
type memory struct{ rss, heap, stack int64 }

// held is what the process holds once the garbage is collected and the
// free pages are handed back to the system (debug.FreeOSMemory): so the
// difference of two readings is what the clients hold, not the garbage
// that parley's collector policy (GOGC=400, internal/gcpolicy) lets wait
// for the next collection.
func held() memory {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{rss: rss(), heap: int64(ms.HeapInuse), stack: int64(ms.StackInuse)}
}

// rss is the process's resident set size in bytes (Linux), 0 elsewhere.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// raiseFileLimit lifts the limit of open files to want (the hard limit
// too, which root may raise), else to the hard limit, for the live
// figure's connections and the redis-server started after it.
func raiseFileLimit(want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= want {
		return
	}
	if lim.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return
		}
	}
	lim.Cur = lim.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
