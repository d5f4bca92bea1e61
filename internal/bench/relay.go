package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"parley/outbound"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// mailer is a delivery worker sending email, batching off, through
// smtpsend to a smarthost; every message it hands over passes handed.
type mailer struct {
	w      *outbound.Worker
	client *smtpsend.Client
	n      atomic.Int64
	bytes  atomic.Int64
	// handed, when set, is called after the smarthost accepted a message.
	handed func(msg []byte)
}

// Worker settings of the mailers: for throughput, 32 batches at once and
// a 5 ms poll (as the relay benchmark always ran), all of them allowed to
// one domain: every member of the bench's room is at example.org, as
// every member of a company is at its own domain, and the default share of
// a domain (half the senders) would measure that cap, not the relay; for
// latency, parley serve's defaults.
var (
	throughput = outbound.Options{Concurrency: 32, DomainConcurrency: 32, Poll: 5 * time.Millisecond}
	defaults   = outbound.Options{}
)

// newMailer returns a worker for st's queue with the settings of wo,
// batching off, sending to smarthost through a pool of 16 connections.
func newMailer(st *threads.Store, smarthost string, wo outbound.Options) (*mailer, error) {
	client, err := smtpsend.New(smtpsend.Options{Addr: smarthost, TLS: smtpsend.NoTLS, PoolSize: 16, Logger: quiet})
	if err != nil {
		return nil, err
	}
	comp, err := mailcompose.New(mailcompose.Options{Domain: "parley.test"})
	if err != nil {
		return nil, err
	}
	m := &mailer{client: client}
	email := outbound.NewEmail(outbound.EmailOptions{Auth: st.Auth, Chat: st.Chat, Directory: st.Directory, Composer: comp,
		Transport: m, Domain: "parley.test", PublicURL: "https://chat.example.org"})
	m.w = outbound.NewWorker(st.Queue, st.Directory, map[threads.Channel]outbound.Carrier{threads.Email: email},
		outbound.Options{Consumer: "bench", Log: quiet, Concurrency: wo.Concurrency, DomainConcurrency: wo.DomainConcurrency, Poll: wo.Poll,
			Window: map[threads.Channel]time.Duration{threads.Email: 0}})
	return m, nil
}

var _ outbound.Transport = (*mailer)(nil)

// Send hands msg to the smarthost and counts it.
func (m *mailer) Send(ctx context.Context, from string, to []string, msg []byte) error {
	err := m.client.Send(ctx, from, to, msg)
	if err == nil {
		m.n.Add(1)
		m.bytes.Add(int64(len(msg)))
		if m.handed != nil {
			m.handed(msg)
		}
	}
	return err
}

// handedAtLeast waits until the smarthost has accepted n messages from m
// in all. It watches m's own count, and st's queue only every 200 ms, for
// dead letters or a queue emptied short of n: polling the queue's state
// all along would load the Redis being measured.
func (m *mailer) handedAtLeast(ctx context.Context, st *threads.Store, n int64) error {
	for i := 1; m.n.Load() < n; i++ {
		if i%200 == 0 {
			s, err := st.Queue.Stats(ctx)
			if err != nil || s.Dead > 0 || s.Waiting == 0 && s.Batches == 0 && m.n.Load() < n {
				return fmt.Errorf("%d of %d emails sent; queue %+v, %v", m.n.Load(), n, s, err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// start runs the worker until the returned function is called.
func (m *mailer) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.w.Run(ctx) }()
	return func() { cancel(); <-done }
}

// Close closes the connections to the smarthost.
func (m *mailer) Close() { _ = m.client.Close() }

// drained waits until st's queue has no waiting job and no batch.
func drained(ctx context.Context, st *threads.Store) error {
	for {
		s, err := st.Queue.Stats(ctx)
		if err != nil {
			return err
		}
		if s.Dead > 0 {
			return fmt.Errorf("dead letters: %+v", s)
		}
		if s.Waiting == 0 && s.Batches == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// relay: emails per second delivered to the sink, lines posted into a
// 50-member room with 49 away and batching off; beside it smtp-source
// sending as many 1 KB messages over 16 sessions into the same sink.
func relay(ctx context.Context, r *run) Figure {
	const what, target = "relay: emails/s delivered to the sink, batching off", "≥ 75%"
	sk, err := startSink()
	if err != nil {
		return failed(what, target, err)
	}
	defer sk.Close()
	st := r.redis.newStore()
	if err := awayRoom(ctx, st, "bench", 50); err != nil {
		return failed(what, target, err)
	}
	m, err := newMailer(st, sk.Addr, throughput)
	if err != nil {
		return failed(what, target, err)
	}
	defer m.Close()
	lines := r.size(40, 100)
	emails := lines * 49
	var seq atomic.Int64
	parley := func() (time.Duration, error) {
		stop := m.start()
		defer stop()
		start := time.Now()
		want := m.n.Load() + int64(emails)
		if _, err := postLines(ctx, st, "bench", lines, 1, &seq); err != nil {
			return 0, err
		}
		if err := m.handedAtLeast(ctx, st, want); err != nil {
			return 0, err
		}
		// The last settles follow the last sends by a round trip.
		err := drained(ctx, st)
		return time.Since(start), err
	}
	f := Figure{What: what, Target: target}
	bin, err := smtpSource.find(r.opts.Look)
	if err != nil {
		before := m.n.Load()
		d, err2 := parley()
		if err2 != nil {
			return failed(what, target, err2)
		}
		f.Parley, f.Peer, f.Note = rate(float64(m.n.Load()-before)/d.Seconds(), "emails/s"), "—", err.Error()
		f.err = err
		return f
	}
	peer := func() (time.Duration, error) {
		d, _, err := runTool(ctx, bin, "-s", "16", "-m", itoa(emails), "-l", "1024", "-f", "parley@parley.test",
			"-t", "bob@example.org", sk.Addr)
		return d, err
	}
	sentBefore := int64(-1)
	rounds, err := alternate(r.rounds(), func() (time.Duration, error) {
		if sentBefore < 0 {
			defer func() { sentBefore = m.n.Load() }() // after the warm-up
		}
		return parley()
	}, peer)
	if err != nil {
		return failed(what, target, err)
	}
	sent := m.n.Load() - sentBefore
	if want := int64(r.rounds() * emails); sent != want {
		return failed(what, target, fmt.Errorf("the sink accepted %d emails from parley, want %d", sent, want))
	}
	pr, sr, ratio := rounds.rates(float64(emails), float64(emails))
	f.Parley, f.Peer = rate(pr, "emails/s"), rate(sr, "emails/s (smtp-source -s 16)")
	f.Ratio = ratio
	f.Values = map[string]float64{"parley_emails_per_s": pr, "peer_emails_per_s": sr}
	f.setCPU(rounds, float64(emails), float64(emails), "an email")
	return f
}
