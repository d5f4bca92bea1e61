package bench

import (
	"context"
	"fmt"
	"net"
	"runtime/pprof"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/inbound"
	"parley/inbound/mailparse"
	"parley/inbound/smtpserver"
	"parley/threads"
)

// door is parley's SMTP door on a loopback port. startDoor serves it with
// parley's own Receiver on a store in which bob may reply to the room
// design (alice is the other member): every message is parsed, its reply
// extracted, its sender checked and the line stored before 250 (routing
// follows in the background, NewLine.Detach). floorFigure serves it with
// storeOnly.
type door struct {
	Addr  string
	Reply string         // the address the load is sent to: bob's reply address
	st    *threads.Store // startDoor's store
	// stored counts the messages the door has stored (nil: it stores none).
	stored func(context.Context) (int64, error)
	stop   func()
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
	d, err := serveDoor(inbound.NewMail(inbound.Options{Store: st, Domain: "parley.test", Log: quiet}),
		func(ctx context.Context) (int64, error) { return roomLines(ctx, st, "design") })
	if err != nil {
		return nil, err
	}
	d.Reply, d.st = threads.ReplyAddress(tok, "parley.test"), st
	return d, nil
}

// serveDoor serves parley's SMTP door for recv on a loopback port; stored
// counts what recv has stored.
func serveDoor(recv inbound.Receiver, stored func(context.Context) (int64, error)) (*door, error) {
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
	return &door{Addr: l.Addr().String(), stored: stored, stop: func() { cancel(); <-done }}, nil
}

// storedAll checks that the door stored every message of r's rounds (and
// warm-up): a figure counts messages stored, not answered.
func (d *door) storedAll(ctx context.Context, r *run) error {
	return d.storedEach(ctx, int64((r.rounds()+1)*inboundMessages(r)))
}

// storedEach checks that the door stored want messages; a door that
// stores none (the discard server) passes.
func (d *door) storedEach(ctx context.Context, want int64) error {
	if d.stored == nil {
		return nil
	}
	n, err := d.stored(ctx)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("the door stored %d of %d messages", n, want)
	}
	return nil
}

// roomLines counts the lines of a room of st.
func roomLines(ctx context.Context, st *threads.Store, room string) (int64, error) {
	var n int64
	after := ""
	for {
		lines, err := st.Chat.Lines(ctx, room, threads.Range{After: after, Limit: threads.MaxPage})
		if err != nil {
			return 0, err
		}
		n += int64(len(lines))
		if len(lines) < threads.MaxPage {
			return n, nil
		}
		after = lines[len(lines)-1].ID
	}
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
	rounds, err := besideDiscard(ctx, r, bin, d)
	if err != nil {
		return failed(what, target, err)
	}
	if err := d.storedAll(ctx, r); err != nil {
		return failed(what, target, err)
	}
	return doorFigure(what, target, "msg/s (discard go-smtp)", r, rounds)
}

// storeOnly is a Receiver that does the least a door that stores each
// message before its 250 can do: it parses the message as parley's door
// does and appends its reply to a stream with one XADD. No recipient,
// sender or loop check, no dedupe, no fan-out, no live event: the floor
// figure measures it, and parley's door does all this and more.
type storeOnly struct {
	rdb    redis.UniversalClient
	stream string
}

// CheckRecipient takes every address.
func (storeOnly) CheckRecipient(context.Context, string) error { return nil }

// Receive parses raw and stores its reply.
func (s storeOnly) Receive(ctx context.Context, _ inbound.Envelope, raw []byte) (inbound.Result, error) {
	reply, err := parseReply(raw)
	if err != nil {
		return inbound.Result{}, err
	}
	if err := s.add(ctx, s.rdb, reply).Err(); err != nil {
		return inbound.Result{}, inbound.Defer("temporary failure, try again later", err)
	}
	return inbound.Result{Outcome: inbound.Posted}, nil
}

// add appends reply to the stream through c (the client, or a pipeline).
func (s storeOnly) add(ctx context.Context, c redis.Cmdable, reply string) *redis.StringCmd {
	return c.XAdd(ctx, &redis.XAddArgs{Stream: s.stream, Values: []any{"a", "bob", "t", reply}})
}

// stored is the stream's length.
func (s storeOnly) stored(ctx context.Context) (int64, error) {
	return s.rdb.XLen(ctx, s.stream).Result()
}

// parseReply parses raw as parley's door does and returns its reply.
func parseReply(raw []byte) (string, error) {
	msg, err := mailparse.ParseBytes(raw, mailparse.Options{MaxBytes: smtpserver.DefaultMaxMessageBytes})
	if err != nil {
		return "", inbound.Refuse("message is not readable mail", err)
	}
	return msg.Reply, nil
}

// floorAddress is where the load goes when the door takes every address.
const floorAddress = "floor@parley.test"

// floorFigure: the inbound load into the door with storeOnly as its
// receiver, beside the discard server: what storing a message before the
// 250 costs at the least, with parley's SMTP door and parser, and so about
// where the inbound figure tops out on the machine (both move by several
// points from run to run).
func floorFigure(ctx context.Context, r *run) Figure {
	const what, target = "inbound floor: the door storing each message with one XADD, nothing else", "report"
	bin, err := smtpSource.find(r.opts.Look)
	if err != nil {
		return failed(what, target, err)
	}
	floor := storeOnly{rdb: r.redis.Client, stream: "bench:floor"}
	d, err := serveDoor(floor, floor.stored)
	if err != nil {
		return failed(what, target, err)
	}
	defer d.Close()
	d.Reply = floorAddress
	rounds, err := besideDiscard(ctx, r, bin, d)
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

// besideDiscard runs the inbound load into d and into a go-smtp server
// that discards, in alternating rounds (sourceRounds).
func besideDiscard(ctx context.Context, r *run, bin string, d *door) (paired, error) {
	discard, err := startSink()
	if err != nil {
		return paired{}, err
	}
	defer discard.Close()
	return sourceRounds(ctx, r, bin, [2]*door{d, {Addr: discard.Addr, Reply: d.Reply}})
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
