package bench

import (
	"errors"
	"strings"
	"testing"
)

// TestJudge walks the rule of verdict.go: machine-bound targets are
// checked in full runs only, byte budgets always, a figure that could not
// be measured fails, a missing peer is not checked.
func TestJudge(t *testing.T) {
	latency := func(p99 float64) Figure {
		return Figure{Name: "latency", Values: map[string]float64{"p50_ms": 1, "p99_ms": p99}}
	}
	bytes := func(email float64) Figure {
		return Figure{Name: "bytes", Values: map[string]float64{"relay_email_bytes": email, "first_room_load_bytes": 4000, "sms_segments": 1}}
	}
	named := func(name string, f Figure) Figure { f.Name = name; return f }
	live := func(p99, rss float64) Figure {
		return Figure{Name: "live", Values: map[string]float64{"p99_ms": p99, "rss_kb_per_client": rss}}
	}
	for _, c := range []struct {
		name            string
		f               Figure
		quick, embedded bool
		verdict, why    string
	}{
		{"latency met", latency(5.9), false, false, Met, ""},
		{"latency missed", latency(23.5), false, false, Missed, "p99_ms is 23.5, target p99 < 20 ms"},
		{"latency at the bound is missed (<)", latency(20), false, false, Missed, "p99_ms is 20"},
		{"latency missed, --quick", latency(90), true, false, NotChecked, "--quick"},
		{"latency, embedded store", latency(90), false, true, NotChecked, "embedded store"},
		{"ratio met", Figure{Name: "relay", Ratio: 82}, false, false, Met, ""},
		{"ratio missed", Figure{Name: "fanout", Ratio: 37}, false, false, Missed, "ratio is 37, target ≥ 50% of the peer"},
		{"ratio missed, --quick", Figure{Name: "inbound", Ratio: 52}, true, false, NotChecked, "--quick"},
		{"live: RSS missed, p99 met", live(164, 92), false, false, Missed, "rss_kb_per_client is 92, target ≤ 40 KB RSS per client"},
		{"live: both met, RSS at the bound (≤)", live(150, 40), false, false, Met, ""},
		{"bytes met, --quick", bytes(2514), true, false, Met, ""},
		{"bytes over budget, --quick too", bytes(5000), true, false, Missed, "relay_email_bytes is 5000, target relay email ≤ 4 KB"},
		{"durable: report only", Figure{Name: "durable", Ratio: 76}, false, false, Reported, ""},
		{"could not be measured", named("latency", failed("latency", "p99 < 20 ms", errors.New("no relay within 10 s"))), true, false, Failed, ""},
		{"peer missing", named("inbound", failed("inbound", "≥ 80%", errNoPeer("postfix"))), false, false, NotChecked, "peer not installed"},
		{"value missing", Figure{Name: "latency"}, false, false, Failed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			judge(&f, c.quick, c.embedded)
			if f.Verdict != c.verdict || !strings.HasPrefix(f.Why, c.why) {
				t.Errorf("verdict %q (%q), want %q (%q…)", f.Verdict, f.Why, c.verdict, c.why)
			}
		})
	}
}

// TestCheck: the run fails on a missed or unmeasured figure and names
// each; not checked and report-only figures pass.
func TestCheck(t *testing.T) {
	rep := Report{Figures: []Figure{
		{Name: "relay", Verdict: Met},
		{Name: "inbound", Verdict: NotChecked, Why: "--quick"},
		{Name: "durable", Verdict: Reported},
	}}
	if err := rep.Check(); err != nil {
		t.Fatalf("Check of a run without misses: %v", err)
	}
	rep.Figures = append(rep.Figures, Figure{Name: "latency", Verdict: Missed, Why: "p99_ms is 23.5, target p99 < 20 ms"},
		Figure{Name: "live", Verdict: Failed, Note: "only 10 of 1,000 clients got the line within 30 s"})
	err := rep.Check()
	if err == nil {
		t.Fatal("Check passed a run with a missed and a failed figure")
	}
	for _, want := range []string{"latency missed its target (p99_ms is 23.5, target p99 < 20 ms)", "live could not be measured (only 10 of 1,000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %q, want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "relay") || strings.Contains(err.Error(), "inbound") {
		t.Errorf("Check names figures that did not fail: %q", err)
	}
}

// TestTargetsMatchNames: every figure with checked bounds exists, and
// every figure but durable and floor (reported only) has a target.
func TestTargetsMatchNames(t *testing.T) {
	for name := range targets {
		if err := CheckNames([]string{name}); err != nil {
			t.Errorf("targets lists %s: %v", name, err)
		}
	}
	for _, name := range Names {
		if _, ok := targets[name]; !ok && name != "durable" && name != "floor" {
			t.Errorf("figure %s has no checked target", name)
		}
	}
}
