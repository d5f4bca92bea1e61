package bench

import (
	"context"
	"fmt"
	"net"
	"runtime/pprof"
	"time"

	"parley/inbound"
	"parley/inbound/smtpserver"
	"parley/threads"
)

// door is parley's SMTP door with parley's own Receiver on a store in
// which bob may reply to the room design (alice is the other member):
// every message is parsed, its reply extracted, its sender checked and the
// line stored before 250 (routing follows in the background,
// NewLine.Detach).
type door struct {
	Addr  string
	Reply string // bob's reply address
	st    *threads.Store
	stop  func()
}

// startDoor serves the door for st on a loopback port.
func startDoor(ctx context.Context, st *threads.Store) (*door, error) {
	for _, id := range []string{"alice", "bob"} {
		if _, err := st.Directory.AddUser(ctx, threads.User{ID: id, Name: id, Emails: []string{id + "@example.org"}}); err != nil {
			return nil, err
		}
	}
	if _, err := st.Chat.CreateRoom(ctx, threads.Room{ID: "design", Name: "Design", Members: []string{"alice", "bob"}}); err != nil {
		return nil, err
	}
	tok, err := st.Auth.ReplyToken(ctx, "design", "bob")
	if err != nil {
		return nil, err
	}
	recv := inbound.NewMail(inbound.Options{Store: st, Domain: "parley.test", Log: quiet})
	srv, err := smtpserver.New(recv, smtpserver.Options{Domain: "parley.test", MessagesPerMinutePerIP: -1, MaxConnsPerIP: -1, Log: quiet})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go pprof.Do(sctx, pprof.Labels("server", "door"), func(ctx context.Context) { defer close(done); _ = srv.Serve(ctx, l) })
	return &door{Addr: l.Addr().String(), Reply: threads.ReplyAddress(tok, "parley.test"), st: st,
		stop: func() { cancel(); <-done }}, nil
}

// storedAll checks that the door stored a line for every message of r's
// rounds (and warm-up): the figure counts replies stored, not answered.
func (d *door) storedAll(ctx context.Context, r *run) error {
	want := (r.rounds() + 1) * inboundMessages(r)
	n, after := 0, ""
	for {
		lines, err := d.st.Chat.Lines(ctx, "design", threads.Range{After: after, Limit: threads.MaxPage})
		if err != nil {
			return err
		}
		n += len(lines)
		if len(lines) < threads.MaxPage {
			break
		}
		after = lines[len(lines)-1].ID
	}
	if n != want {
		return fmt.Errorf("the door stored %d lines for %d messages", n, want)
	}
	return nil
}

// inboundMessages is the messages of one inbound round.
func inboundMessages(r *run) int { return r.size(1000, 2000) }

// Close stops the door.
func (d *door) Close() { d.stop() }

// sourceLoad is smtp-source's load of one inbound round: 20 sessions
// (Postfix's default concurrency per destination, the most an MX relaying
// to parley opens), msgs messages of 2 KB from bob to addr.
func sourceLoad(msgs int, to, addr string) []string {
	return []string{"-s", "20", "-m", itoa(msgs), "-l", "2048", "-f", "bob@example.org", "-t", to, addr}
}

// inboundFigure: replies per second stored through the SMTP door at 20
// sessions, beside the same load into a go-smtp server that discards.
func inboundFigure(ctx context.Context, r *run) Figure {
	const what, target = "inbound: replies/s stored through the SMTP door, 20 sessions", "≥ 80%"
	bin, err := smtpSource.find(r.opts.Look)
	if err != nil {
		return failed(what, target, err)
	}
	d, err := startDoor(ctx, r.redis.newStore())
	if err != nil {
		return failed(what, target, err)
	}
	defer d.Close()
	floor, err := startSink()
	if err != nil {
		return failed(what, target, err)
	}
	defer floor.Close()
	rounds, err := sourceRounds(ctx, r, bin, [2]*door{d, {Addr: floor.Addr, Reply: d.Reply}})
	if err != nil {
		return failed(what, target, err)
	}
	if err := d.storedAll(ctx, r); err != nil {
		return failed(what, target, err)
	}
	return doorFigure(what, target, "msg/s (discard go-smtp)", r, rounds)
}

// durable: the same door on a Redis with appendfsync always, beside the
// door on the bench's Redis without persistence.
func durable(ctx context.Context, r *run) Figure {
	const what, target = "durable inbound: the door on Redis with appendfsync always", "report"
	bin, err := smtpSource.find(r.opts.Look)
	if err != nil {
		return failed(what, target, err)
	}
	aof, err := startRedis(r.opts.Look, r.subdir("aof"), false, "--appendonly", "yes", "--appendfsync", "always")
	if err != nil {
		return failed(what, target, err)
	}
	defer aof.Close()
	dAOF, err := startDoor(ctx, aof.newStore())
	if err != nil {
		return failed(what, target, err)
	}
	defer dAOF.Close()
	dMem, err := startDoor(ctx, r.redis.newStore())
	if err != nil {
		return failed(what, target, err)
	}
	defer dMem.Close()
	rounds, err := sourceRounds(ctx, r, bin, [2]*door{dAOF, dMem})
	if err != nil {
		return failed(what, target, err)
	}
	return doorFigure(what, target, "msg/s (no persistence)", r, rounds)
}

// doorFigure is an inbound figure from its rounds (sourceRounds): each
// side's messages per second, the ratio and each side's CPU a message.
func doorFigure(what, target, peerUnit string, r *run, rounds paired) Figure {
	msgs := float64(inboundMessages(r))
	pr, qr, ratio := rounds.rates(msgs, msgs)
	f := Figure{What: what, Target: target, Parley: rate(pr, "msg/s"), Peer: rate(qr, peerUnit),
		Ratio: ratio, Values: map[string]float64{"parley_msg_per_s": pr, "peer_msg_per_s": qr}}
	f.setCPU(rounds, msgs, msgs, "a message")
	return f
}

// sourceRounds runs smtp-source's inbound load (sourceLoad, to each
// door's reply address) against doors[0] and doors[1] in alternating
// rounds.
func sourceRounds(ctx context.Context, r *run, bin string, doors [2]*door) (paired, error) {
	msgs := inboundMessages(r)
	side := func(d *door) func() (time.Duration, error) {
		return func() (time.Duration, error) {
			t, _, err := runTool(ctx, bin, sourceLoad(msgs, d.Reply, d.Addr)...)
			return t, err
		}
	}
	return alternate(r.rounds(), side(doors[0]), side(doors[1]))
}
