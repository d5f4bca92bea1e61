package bench

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"parley/inbound"
	"parley/internal/gcpolicy"
)

// BenchmarkDoorCPU splits the machine's CPU a message of the inbound load
// by process (this one: the door and the discard server; smtp-source;
// Redis) for five doors taking turns, one round of each an iteration:
//
//	go test ./internal/bench -run '^$' -bench DoorCPU -benchtime 12x
//
// the discard server; parley's door parsing only; the floor figure's door
// (one XADD a message); the same with the XADDs of concurrent sessions in
// one pipeline; parley's door. The metrics are medians over the rounds:
// each door's machine CPU a message in all (µs/msg) and by process
// (_process: this one, _source: smtp-source, _redis), and its rate as a
// percent of the discard server's in the same iteration. README's "The inbound target and its
// floor" is a run of it.
func BenchmarkDoorCPU(b *testing.B) {
	defer gcpolicy.Apply()()
	ctx := b.Context()
	bin, err := smtpSource.find(lookProgram)
	if err != nil {
		b.Skip(err)
	}
	// Cleanups run last first: the doors stop, then what they use.
	rs, err := startRedis(lookProgram, b.TempDir(), false)
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(rs.Close)
	sink, err := startSink()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sink.Close)
	grouped := &groupedStore{storeOnly: storeOnly{rdb: rs.Client, stream: "bench:grouped"}, reqs: make(chan groupedReq, 1024)}
	go grouped.loop()
	b.Cleanup(func() { close(grouped.reqs) })
	floor := storeOnly{rdb: rs.Client, stream: "bench:floor"}
	parleyDoor, err := startDoor(ctx, rs.newStore())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(parleyDoor.Close)
	doors := []struct {
		name string
		d    *door
	}{
		{"discard", &door{Addr: sink.Addr, Reply: "x@parley.test"}},
		{"parse", serveFor(b, parseOnly{}, nil)},
		{"xadd", serveFor(b, floor, floor.stored)},
		{"xadd_grouped", serveFor(b, grouped, grouped.stored)},
		{"parley", parleyDoor},
	}
	const msgs = 2000
	cpu := make(map[string][]float64) // by door and process: "parley", "parley_redis", ...
	pct := make(map[string][]float64)
	for round := 0; b.Loop(); round++ {
		rates := make(map[string]float64)
		// Each round starts at another door, so that no door always
		// follows the same one (and the garbage it left).
		for i := range doors {
			d := doors[(round+i)%len(doors)]
			self, children, redisCPU := rusage(syscall.RUSAGE_SELF), rusage(syscall.RUSAGE_CHILDREN), redisSeconds(ctx, rs)
			took, _, err := runTool(ctx, bin, sourceLoad(msgs, d.d.Reply, d.d.Addr)...)
			if err != nil {
				b.Fatal(err)
			}
			if d.d.st != nil { // parley's door: its background fan-out is its work too
				if err := d.d.st.Chat.Drain(ctx); err != nil {
					b.Fatal(err)
				}
			}
			self = rusage(syscall.RUSAGE_SELF) - self
			children = rusage(syscall.RUSAGE_CHILDREN) - children
			redisCPU = redisSeconds(ctx, rs) - redisCPU
			rates[d.name] = msgs / took.Seconds()
			for k, v := range map[string]float64{"": self + children + redisCPU, "_process": self, "_source": children, "_redis": redisCPU} {
				cpu[d.name+k] = append(cpu[d.name+k], v/msgs*1e6)
			}
		}
		for name, rate := range rates {
			pct[name] = append(pct[name], 100*rate/rates["discard"])
		}
	}
	// Every message was stored: a door that refused would look fast.
	for _, d := range doors {
		if err := d.d.storedEach(ctx, int64(b.N*msgs)); err != nil {
			b.Fatalf("%s: %v", d.name, err)
		}
	}
	for _, d := range doors {
		for _, k := range []string{"", "_process", "_source", "_redis"} {
			b.ReportMetric(median(cpu[d.name+k]), d.name+k+"_µs/msg")
		}
		if d.name != "discard" {
			b.ReportMetric(median(pct[d.name]), d.name+"_%_of_discard")
		}
	}
}

// serveFor serves the SMTP door for recv until the benchmark ends.
func serveFor(b *testing.B, recv inbound.Receiver, stored func(context.Context) (int64, error)) *door {
	d, err := serveDoor(recv, stored)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Close)
	d.Reply = floorAddress
	return d
}

// rusage is the user and system CPU of who, in seconds.
func rusage(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// redisSeconds is the CPU Redis has used, from INFO cpu.
func redisSeconds(ctx context.Context, s *server) float64 {
	cmd := s.Client.InfoMap(ctx, "cpu")
	var total float64
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		var v float64
		if _, err := fmt.Sscan(cmd.Item("CPU", k), &v); err == nil {
			total += v
		}
	}
	return total
}

// parseOnly parses each message as the door does and stores nothing.
type parseOnly struct{}

func (parseOnly) CheckRecipient(context.Context, string) error { return nil }

func (parseOnly) Receive(_ context.Context, _ inbound.Envelope, raw []byte) (inbound.Result, error) {
	if _, err := parseReply(raw); err != nil {
		return inbound.Result{}, err
	}
	return inbound.Result{Outcome: inbound.Posted}, nil
}

// groupedStore is storeOnly with the XADDs of concurrent sessions sent in
// one pipeline (group commit), the way parley's posts share theirs.
type groupedStore struct {
	storeOnly // its stream, its CheckRecipient
	reqs      chan groupedReq
}

type groupedReq struct {
	reply string
	done  chan error
}

func (g *groupedStore) Receive(_ context.Context, _ inbound.Envelope, raw []byte) (inbound.Result, error) {
	reply, err := parseReply(raw)
	if err != nil {
		return inbound.Result{}, err
	}
	done := make(chan error, 1)
	g.reqs <- groupedReq{reply: reply, done: done}
	if err := <-done; err != nil {
		return inbound.Result{}, inbound.Defer("temporary failure, try again later", err)
	}
	return inbound.Result{Outcome: inbound.Posted}, nil
}

// loop sends the waiting requests in one pipeline, then the next ones.
func (g *groupedStore) loop() {
	for r := range g.reqs {
		batch := []groupedReq{r}
	gather:
		for len(batch) < 256 {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		p := g.rdb.Pipeline()
		for _, r := range batch {
			g.add(context.Background(), p, r.reply)
		}
		_, err := p.Exec(context.Background())
		for _, r := range batch {
			r.done <- err
		}
	}
}
