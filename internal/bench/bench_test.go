package bench

import (
	"context"
	"slices"
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
// side's rounds kept apart and in order.
func TestAlternate(t *testing.T) {
	var order []string
	n := time.Duration(0)
	side := func(name string, d time.Duration) func() (time.Duration, error) {
		return func() (time.Duration, error) { order = append(order, name); n++; return d * n, nil }
	}
	p, err := alternate(3, side("p", 1), side("q", 10))
	if err != nil || !slices.Equal(p.parley, []time.Duration{3, 6, 7}) || !slices.Equal(p.peer, []time.Duration{40, 50, 80}) {
		t.Errorf("alternate = %v, %v, %v", p.parley, p.peer, err)
	}
	if got := strings.Join(order, ""); got != "pqpqqppq" {
		t.Errorf("order %s, want pqpqqppq", got)
	}
}

// TestPairedRates: each side's rate is its median round's, and the ratio
// the median of the rounds' ratios, so one round slowed by other work
// moves neither.
func TestPairedRates(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name                  string
		parley, peer          []time.Duration
		wantP, wantQ, wantPct float64
	}{
		{"steady", []time.Duration{s, s, s}, []time.Duration{s / 2, s / 2, s / 2}, 100, 200, 50},
		{"one slow parley round", []time.Duration{s, 10 * s, s}, []time.Duration{s / 2, s / 2, s / 2}, 100, 200, 50},
		{"machine slows both", []time.Duration{s, 4 * s, s}, []time.Duration{s / 2, 2 * s, s / 2}, 100, 200, 50},
		{"even count", []time.Duration{s, s / 2}, []time.Duration{s, s}, 150, 100, 150},
	} {
		p, q, pct := paired{parley: tc.parley, peer: tc.peer}.rates(100, 100)
		if p != tc.wantP || q != tc.wantQ || pct != tc.wantPct {
			t.Errorf("%s: rates %v, %v, %v%%; want %v, %v, %v%%", tc.name, p, q, pct, tc.wantP, tc.wantQ, tc.wantPct)
		}
	}
	if median(nil) != 0 {
		t.Error("median of nothing is not 0")
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
func BenchmarkFloor(b *testing.B)   { benchFigure(b, "floor") }
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
