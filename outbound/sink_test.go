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

	"parley/internal/postfixtest"
	"parley/internal/redistest"
	"parley/outbound/mailcompose"
	"parley/outbound/smtpsend"
	"parley/threads"
)

// TestEmailThroughSmtpSink relays a batch through Postfix's smtp-sink and
// reads what it captured: envelope, threading headers, batching and text.
func TestEmailThroughSmtpSink(t *testing.T) {
	sink := postfixtest.StartSink(t, true)
	e := newMailEnv(t, 2*time.Minute)
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, LocalName: "parley.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	comp, _ := mailcompose.New(mailcompose.Options{Domain: "parley.test", Now: e.clock.Now})
	e.worker = NewWorker(e.store, map[threads.Channel]Channel{threads.Email: NewEmail(EmailOptions{Store: e.store, Composer: comp,
		Transport: client, Domain: "parley.test", PublicURL: "https://chat.example.org"})}, Options{Consumer: "w", Log: quiet})

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
	room, _ := e.store.Room(e.ctx, "design")
	for _, want := range []string{
		"X-Mail-Args: <parley@parley.test>",
		"X-Rcpt-Args: <bob@example.org>",
		"From: \"Alice Archer (parley)\" <parley@parley.test>",
		"In-Reply-To: <" + mailcompose.RootMessageID(room, "parley.test") + ">",
		"References: <" + mailcompose.RootMessageID(room, "parley.test") + ">",
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
// to Postfix's smtp-sink; beside it, smtp-source sending to a sink of the
// same kind in the same run, the ceiling of SMTP on this machine.
//
//	go test ./outbound -run '^$' -bench Relay -benchtime 20x
func BenchmarkRelay(b *testing.B) {
	b.Run("parley", benchParley)
	b.Run("smtp-source", benchSmtpSource)
}

func benchParley(b *testing.B) {
	sink := postfixtest.StartSink(b, false)
	r := redistest.New(b)
	s := threads.New(r.Client, threads.Options{Prefix: r.Prefix, Secret: []byte("0123456789abcdef0123456789abcdef")})
	ctx := context.Background()
	members := make([]string, 50)
	for i := range members {
		members[i] = fmt.Sprintf("m%02d", i)
		if _, err := s.AddUser(ctx, threads.User{ID: members[i], Name: "Member " + members[i], Emails: []string{members[i] + "@example.org"}}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.SetStatus(ctx, members[i], threads.Status{Availability: threads.Away}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.CreateRoom(ctx, threads.Room{ID: "bench", Name: "Bench", Members: members}); err != nil {
		b.Fatal(err)
	}
	client, err := smtpsend.New(smtpsend.Options{Addr: sink.Addr, TLS: smtpsend.NoTLS, PoolSize: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	comp, _ := mailcompose.New(mailcompose.Options{Domain: "parley.test"})
	counted := &countingTransport{next: client}
	email := NewEmail(EmailOptions{Store: s, Composer: comp, Transport: counted, Domain: "parley.test", PublicURL: "https://chat.example.org"})
	w := NewWorker(s, map[threads.Channel]Channel{threads.Email: email},
		Options{Consumer: "bench", Log: quiet, Concurrency: 32, Poll: 5 * time.Millisecond,
			Window: map[threads.Channel]time.Duration{threads.Email: 0}})
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { defer close(done); _ = w.Run(wctx) }()
	for i := 0; i < b.N; i++ {
		if _, err := s.Post(ctx, threads.NewLine{Room: "bench", Author: "m00", Text: fmt.Sprintf("line %d of the benchmark", i), Origin: threads.FromAPI}); err != nil {
			b.Fatal(err)
		}
	}
	for {
		st, err := s.Stats(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if st.Waiting == 0 && st.Batches == 0 {
			break
		}
		if st.Dead > 0 {
			b.Fatalf("dead letters: %+v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	stop()
	<-done
	emails := counted.n.Load()
	b.ReportMetric(float64(emails)/elapsed, "emails/s")
	b.ReportMetric(float64(b.N*49)/elapsed, "deliveries/s")
	b.ReportMetric(float64(b.N*49)/float64(emails), "lines/email")
}

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

// benchSmtpSource sends b.N×49 1 KB messages with smtp-source over 16
// sessions.
func benchSmtpSource(b *testing.B) {
	bin := postfixtest.FindTool(b, "smtp-source")
	sink := postfixtest.StartSink(b, false)
	n := b.N * 49
	b.ResetTimer()
	start := time.Now()
	out, err := exec.Command(bin, "-s", "16", "-m", strconv.Itoa(n), "-l", "1024", "-f", "parley@parley.test",
		"-t", "bob@example.org", sink.Addr).CombinedOutput()
	if err != nil {
		b.Fatalf("smtp-source: %v\n%s", err, out)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64(n)/elapsed, "emails/s")
}
