package outbound

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/testpeers/postfixpeer"
	"parley/internal/testpeers/redispeer"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// TestEmailThroughSmtpSink relays a batch through Postfix's smtp-sink and
// reads what it captured: envelope, threading headers, batching and text.
func TestEmailThroughSmtpSink(t *testing.T) {
	sink := postfixpeer.StartSink(t, true)
	e := newMailEnv(t, 2*time.Minute)
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, LocalName: "parley.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	comp, _ := mailcompose.New(mailcompose.Options{Domain: "parley.test", Now: e.clock.Now})
	email := NewEmail(EmailOptions{Auth: e.store.Auth, Chat: e.store.Chat, Directory: e.store.Directory, Composer: comp,
		Transport: client, Domain: "parley.test", PublicURL: "https://chat.example.org"})
	e.worker = NewWorker(e.store.Queue, e.store.Directory, e.store.Digests, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "w", Log: quiet})

	e.post(t, "First line")
	step(t, e.worker)
	e.clock.Add(time.Minute)
	e.post(t, "Second line")
	step(t, e.worker)
	e.clock.Add(61 * time.Second)
	step(t, e.worker)

	got := sink.Messages(t)
	if len(got) != 1 {
		t.Fatalf("smtp-sink captured %d messages, want 1 batch", len(got))
	}
	m := got[0]
	room, _ := e.store.Chat.Room(e.ctx, "design")
	for _, want := range []string{
		"X-Mail-Args: <bounces+", // VERP: bounces+TOKEN@parley.test
		"X-Rcpt-Args: <bob@example.org>",
		"From: \"Alice Archer (parley)\" <parley@parley.test>",
		"In-Reply-To: <" + threads.RootMessageID(room, "parley.test") + ">",
		"References: <" + threads.RootMessageID(room, "parley.test") + ">",
		"Subject: [Design] chat in Design",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Alice Archer (10:00): First line",
		"Alice Archer (10:01): Second line",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("captured message lacks %q:\n%s", want, m)
		}
	}
}

// BenchmarkRelay: lines posted into a 50-member room with everyone away and
// batching off (49 emails a line), delivered by the worker through smtpsend
// to Postfix's smtp-sink; beside it, smtp-source sending as many 1 KB
// messages over 16 sessions to a sink of the same kind, the ceiling of SMTP
// on this machine. Each round runs both, in alternating order, so that load
// from elsewhere falls on both alike; the rates are over all rounds.
//
//	go test ./outbound -run '^$' -bench Relay -benchtime 10x
func BenchmarkRelay(b *testing.B) {
	const linesPerRound = 100
	source := postfixpeer.FindTool(b, "smtp-source")
	relay := newRelayBench(b)
	ceiling := postfixpeer.StartSink(b, false)
	emails := linesPerRound * 49
	runSource := func() time.Duration {
		start := time.Now()
		out, err := exec.Command(source, "-s", "16", "-m", strconv.Itoa(emails), "-l", "1024", "-f", "parley@parley.test",
			"-t", "bob@example.org", ceiling.Addr).CombinedOutput()
		if err != nil {
			b.Fatalf("smtp-source: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	relay.round(linesPerRound) // warm up both before timing
	runSource()
	var parleyTime, sourceTime time.Duration
	sent := relay.sent()
	rounds := 0
	for b.Loop() {
		if rounds%2 == 0 {
			parleyTime += relay.round(linesPerRound)
			sourceTime += runSource()
		} else {
			sourceTime += runSource()
			parleyTime += relay.round(linesPerRound)
		}
		rounds++
	}
	parleyEmails := relay.sent() - sent
	if want := int64(rounds * emails); parleyEmails != want {
		b.Fatalf("the sink accepted %d emails from parley, want %d", parleyEmails, want)
	}
	parleyRate := float64(parleyEmails) / parleyTime.Seconds()
	sourceRate := float64(rounds*emails) / sourceTime.Seconds()
	b.ReportMetric(parleyRate, "parley_emails/s")
	b.ReportMetric(sourceRate, "smtp-source_emails/s")
	b.ReportMetric(100*parleyRate/sourceRate, "parley_%_of_smtp-source")
}

// relayBench is parley's side of BenchmarkRelay: a store, a room of 50 away
// members and a worker sending to smtp-sink.
type relayBench struct {
	b       *testing.B
	s       *threads.Store
	w       *Worker
	counted *countingTransport
	posted  int
}

func newRelayBench(b *testing.B) *relayBench {
	sink := postfixpeer.StartSink(b, false)
	r := redispeer.New(b)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	members := make([]string, 50)
	for i := range members {
		members[i] = fmt.Sprintf("m%02d", i)
		if _, err := s.Directory.AddUser(ctx, threads.User{ID: members[i], Name: "Member " + members[i], Emails: []string{members[i] + "@example.org"}}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Chat.SetStatus(ctx, members[i], threads.Status{Availability: threads.Away}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Chat.CreateRoom(ctx, threads.Room{ID: "bench", Name: "Bench", Members: members}); err != nil {
		b.Fatal(err)
	}
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, PoolSize: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	comp, _ := mailcompose.New(mailcompose.Options{Domain: "parley.test"})
	counted := &countingTransport{next: client}
	email := NewEmail(EmailOptions{Auth: s.Auth, Chat: s.Chat, Directory: s.Directory, Composer: comp, Transport: counted,
		Domain: "parley.test", PublicURL: "https://chat.example.org"})
	w := NewWorker(s.Queue, s.Directory, s.Digests, map[threads.Channel]Carrier{threads.Email: email},
		Options{Consumer: "bench", Log: quiet, Concurrency: 32, Poll: 5 * time.Millisecond,
			Window: map[threads.Channel]time.Duration{threads.Email: 0}})
	return &relayBench{b: b, s: s, w: w, counted: counted}
}

// round starts the worker, posts n lines, waits until every email is
// accepted by the sink and stops the worker, so that it takes nothing from
// smtp-source's turn.
func (rb *relayBench) round(n int) time.Duration {
	ctx := context.Background()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	defer func() { stop(); <-done }()
	start := time.Now()
	go func() { defer close(done); _ = rb.w.Run(wctx) }()
	for i := 0; i < n; i++ {
		rb.posted++
		if _, err := rb.s.Chat.Post(ctx, threads.NewLine{Room: "bench", Author: "m00", Text: fmt.Sprintf("line %d of the benchmark", rb.posted), Origin: threads.FromAPI}); err != nil {
			rb.b.Fatal(err)
		}
	}
	for {
		st, err := rb.s.Queue.Stats(ctx)
		if err != nil {
			rb.b.Fatal(err)
		}
		if st.Dead > 0 {
			rb.b.Fatalf("dead letters: %+v", st)
		}
		if st.Waiting == 0 && st.Batches == 0 {
			return time.Since(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sent is how many emails the sink accepted so far.
func (rb *relayBench) sent() int64 { return rb.counted.n.Load() }

// countingTransport counts the messages the smarthost accepted.
type countingTransport struct {
	next Transport
	n    atomic.Int64
}

func (c *countingTransport) Send(ctx context.Context, from string, to []string, msg []byte) error {
	err := c.next.Send(ctx, from, to, msg)
	if err == nil {
		c.n.Add(1)
	}
	return err
}
