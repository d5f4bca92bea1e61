package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"parley/threads"
)

// awayRoom makes a room of n members m00… in st, every one but m00 away,
// so that each line m00 posts becomes n-1 email jobs.
func awayRoom(ctx context.Context, st *threads.Store, room string, n int) error {
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("m%02d", i)
		if _, err := st.Directory.AddUser(ctx, threads.User{ID: members[i], Name: "Member " + members[i],
			Emails: []string{members[i] + "@example.org"}}); err != nil {
			return err
		}
		if i > 0 {
			if _, err := st.Chat.SetStatus(ctx, members[i], threads.Status{Availability: threads.Away}); err != nil {
				return err
			}
		}
	}
	_, err := st.Chat.CreateRoom(ctx, threads.Room{ID: room, Name: "Bench", Members: members})
	return err
}

// postLines posts n lines into room from writers goroutines and returns
// the jobs they made. The lines carry their author's name, as every door
// of parley posts them (the web API has the author's record from the
// session, the SMTP door from the message): without it Post reads the
// author's record first, a round trip no production post makes.
func postLines(ctx context.Context, st *threads.Store, room string, n, writers int, seq *atomic.Int64) (int64, error) {
	var jobs, next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				p, err := st.Chat.Post(ctx, threads.NewLine{Room: room, Author: "m00", AuthorName: "Member m00",
					Text: "line " + strconv.FormatInt(seq.Add(1), 10) + " of ordinary length for the benchmark", Origin: threads.FromAPI})
				if err != nil {
					errs <- err
					return
				}
				jobs.Add(int64(len(p.Routes)))
			}
		})
	}
	wg.Wait()
	close(errs)
	return jobs.Load(), <-errs
}

// fanout: delivery jobs per second posting into a 50-member room with 49
// members away (threads.Chat.Post from 8 writers per core, as
// BenchmarkPost), beside redis-benchmark -P 16 XADD on the same server.
func fanout(ctx context.Context, r *run) Figure {
	const what, target = "fan-out: delivery jobs/s posting into a 50-member room, 49 away", "≥ 50%"
	st := r.redis.newStore()
	if err := awayRoom(ctx, st, "bench", 50); err != nil {
		return failed(what, target, err)
	}
	lines, xadds := r.size(150, 1500), r.size(50_000, 400_000)
	var seq atomic.Int64
	var jobs int64
	parley := func() (time.Duration, error) {
		start := time.Now()
		n, err := postLines(ctx, st, "bench", lines, 16, &seq)
		jobs += n
		return time.Since(start), err
	}
	f := Figure{What: what, Target: target}
	bin, err := redisBenchmark.find(r.opts.Look)
	if err != nil {
		d, err2 := parley()
		if err2 != nil {
			return failed(what, target, err2)
		}
		f.Parley, f.Peer, f.Note = rate(float64(jobs)/d.Seconds(), "jobs/s"), "—", err.Error()
		f.err = err
		return f
	}
	host, port, _ := strings.Cut(r.redis.Addr, ":")
	peer := func() (time.Duration, error) {
		_, out, err := runTool(ctx, bin, "-h", host, "-p", port, "-P", "16", "-n", itoa(xadds), "--csv",
			"XADD", "bench:xadd", "*", "field", "a line of ordinary length for the benchmark")
		if err != nil {
			return 0, err
		}
		rps, err := csvRate(out)
		if err != nil {
			return 0, err
		}
		_ = r.redis.Client.Del(ctx, "bench:xadd").Err()
		return time.Duration(float64(xadds) / rps * float64(time.Second)), nil
	}
	warm := true // alternate's first round of each side is a warm-up
	var timed int64
	rounds, err := alternate(r.rounds(), func() (time.Duration, error) {
		before := jobs
		d, err := parley()
		if !warm {
			timed += jobs - before
		}
		warm = false
		return d, err
	}, peer)
	if err != nil {
		return failed(what, target, err)
	}
	perRound := int64(lines * 49)
	if want := int64(r.rounds()) * perRound; timed != want {
		return failed(what, target, fmt.Errorf("parley routed %d jobs in the timed rounds, want %d", timed, want))
	}
	pr, xr, ratio := rounds.rates(float64(perRound), float64(xadds))
	f.Parley, f.Peer = rate(pr, "jobs/s"), rate(xr, "XADD/s")
	f.Ratio = ratio
	f.Values = map[string]float64{"parley_jobs_per_s": pr, "peer_xadd_per_s": xr}
	f.setCPU(rounds, float64(perRound), float64(xadds), "a job / an XADD")
	return f
}

// csvRate reads the requests per second from redis-benchmark --csv.
func csvRate(out []byte) (float64, error) {
	for line := range strings.SplitSeq(string(out), "\n") {
		fields := strings.Split(line, ",")
		if len(fields) < 2 || strings.Contains(fields[1], "rps") {
			continue
		}
		v, err := strconv.ParseFloat(strings.Trim(fields[1], `"`), 64)
		if err == nil && v > 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("no rate in redis-benchmark's output: %q", out)
}
