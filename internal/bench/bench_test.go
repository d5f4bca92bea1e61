package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestQuantile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	if quantile(s, 0.5) != 50 || quantile(s, 0.99) != 99 || quantile(s[:1], 0.99) != 1 || quantile(nil, 0.5) != 0 {
		t.Errorf("quantiles of 1..100: %v %v", quantile(s, 0.5), quantile(s, 0.99))
	}
}

func TestCSVRate(t *testing.T) {
	out := "\"test\",\"rps\",\"avg_latency_ms\"\n\"XADD bench:xadd * field v\",\"123456.79\",\"0.5\"\n"
	if v, err := csvRate([]byte(out)); err != nil || v != 123456.79 {
		t.Errorf("csvRate = %v, %v", v, err)
	}
	if _, err := csvRate([]byte("ERR unknown command\n")); err == nil {
		t.Error("csvRate found a rate in an error")
	}
}

// TestAlternate: one warm-up each, then rounds in swapped order, each
// side's time summed apart.
func TestAlternate(t *testing.T) {
	var order []string
	side := func(name string, d time.Duration) func() (time.Duration, error) {
		return func() (time.Duration, error) { order = append(order, name); return d, nil }
	}
	a, b, err := alternate(3, side("p", 1), side("q", 10))
	if err != nil || a != 3 || b != 30 {
		t.Errorf("alternate = %v, %v, %v", a, b, err)
	}
	if got := strings.Join(order, ""); got != "pqpqqppq" {
		t.Errorf("order %s, want pqpqqppq", got)
	}
}

// TestMissingPeer: a figure whose peer is not installed says how to
// install it, and the run goes on.
func TestMissingPeer(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	rep, err := Run(context.Background(), Options{Quick: true, Only: []string{"inbound", "bytes"}, Look: none})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Figures) != 2 || rep.Figures[0].Note != "peer not installed (apt-get install -y postfix)" ||
		rep.Figures[1].Values["sms_segments"] != 1 {
		t.Errorf("figures: %+v", rep.Figures)
	}
	if rep.Machine.Redis != "none (embedded store)" {
		t.Errorf("redis %q without redis-server on PATH", rep.Machine.Redis)
	}
}

// The figures as go test benchmarks, for profiling one of them:
//
//	go test ./internal/bench -run '^$' -bench Relay -benchtime 3x -cpuprofile cpu.out
//
// Each iteration is one quick run of the figure (its warm-up and its
// alternating rounds); the metrics are the last run's values.
func BenchmarkFanout(b *testing.B)  { benchFigure(b, "fanout") }
func BenchmarkRelay(b *testing.B)   { benchFigure(b, "relay") }
func BenchmarkInbound(b *testing.B) { benchFigure(b, "inbound") }
func BenchmarkDurable(b *testing.B) { benchFigure(b, "durable") }
func BenchmarkLatency(b *testing.B) { benchFigure(b, "latency") }

func benchFigure(b *testing.B, name string) {
	var f Figure
	for b.Loop() {
		rep, err := Run(b.Context(), Options{Quick: true, Only: []string{name}})
		if err != nil {
			b.Fatal(err)
		}
		f = rep.Figures[0]
	}
	if f.Values == nil {
		b.Fatalf("%s: %s", name, f.Note)
	}
	for k, v := range f.Values {
		b.ReportMetric(v, k)
	}
	if f.Ratio > 0 {
		b.ReportMetric(f.Ratio, "parley_%_of_peer")
	}
}
