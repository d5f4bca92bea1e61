package bench

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"parley/internal/sealbox"
)

// BenchmarkRelayDataKey is the relay figure's parley side as a Go benchmark,
// without and with a data key (PARLEY_DATA_KEY) in alternation: b.N
// lines posted into a 50-member room with 49 away, batching off, each
// emailed to the 49 through smtpsend into a sink. The key seals each line
// as it is stored and opens it when the worker reads it for the email.
//
//	go test ./internal/bench -run X -bench RelayDataKey -count 3
func BenchmarkRelayDataKey(b *testing.B) {
	srv, err := startRedis(lookProgram, b.TempDir(), true)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.Logf("redis: %s at %s", srv.Kind, srv.Addr)
	box, err := sealbox.New(bytes.Repeat([]byte{7}, sealbox.KeySize), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		box  *sealbox.Box
	}{{"key=off", nil}, {"key=on", box}} {
		b.Run(c.name, func(b *testing.B) { benchRelay(b, srv, c.box) })
	}
}

func benchRelay(b *testing.B, srv *server, box *sealbox.Box) {
	ctx := context.Background()
	sk, err := startSink()
	if err != nil {
		b.Fatal(err)
	}
	defer sk.Close()
	st := srv.newSealedStore(box)
	if err := awayRoom(ctx, st, "bench", 50); err != nil {
		b.Fatal(err)
	}
	m, err := newMailer(st, sk.Addr, throughput)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	stop := m.start()
	defer stop()
	var seq atomic.Int64
	b.ResetTimer()
	start := time.Now()
	if _, err := postLines(ctx, st, "bench", b.N, 1, &seq); err != nil {
		b.Fatal(err)
	}
	if err := drained(ctx, st); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	if want := int64(b.N * 49); m.n.Load() != want {
		b.Fatalf("the sink took %d emails, want %d", m.n.Load(), want)
	}
	b.ReportMetric(float64(m.n.Load())/elapsed, "emails/s")
}
