package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchQuick runs the quick bench on two figures and checks that it
// works and prints every column; it asserts no timing (a busy machine
// would fail it).
func TestBenchQuick(t *testing.T) {
	out := ok(t, env{}, "bench", "--quick", "--only", "bytes,fanout")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "Machine: ") || !strings.Contains(lines[0], "cores") || !strings.Contains(lines[0], "Redis") {
		t.Errorf("no machine line: %q", lines[0])
	}
	want := []string{"| figure | parley | peer | ratio | target |", "|---|---|---|---|---|", "| fan-out: ", "| bytes: "}
	if len(lines) != 2+len(want) {
		t.Fatalf("want a machine line, a blank line and %d table lines, got:\n%s", len(want), out)
	}
	for i, w := range want {
		if got := lines[2+i]; !strings.HasPrefix(got, w) || strings.Count(got, "|") != 6 {
			t.Errorf("table line %d = %q, want %q… with five cells", i, got, w)
		}
	}
	if !strings.Contains(out, "XADD/s") && !strings.Contains(out, "peer not installed (apt-get install -y redis-tools)") {
		t.Errorf("fan-out has neither redis-benchmark's rate nor its install hint:\n%s", out)
	}
}

// TestBenchJSON checks --json: one object with the machine and a figure
// with its values.
func TestBenchJSON(t *testing.T) {
	var rep struct {
		Machine struct {
			Cores int    `json:"cores"`
			Go    string `json:"go"`
		} `json:"machine"`
		Figures []struct {
			Name   string             `json:"name"`
			Parley string             `json:"parley"`
			Target string             `json:"target"`
			Values map[string]float64 `json:"values"`
		} `json:"figures"`
	}
	out := ok(t, env{}, "bench", "--quick", "--only", "bytes", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if rep.Machine.Cores < 1 || rep.Machine.Go == "" || len(rep.Figures) != 1 || rep.Figures[0].Name != "bytes" ||
		rep.Figures[0].Values["sms_segments"] < 1 || rep.Figures[0].Values["relay_email_bytes"] < 100 {
		t.Errorf("report lacks what it should hold:\n%s", out)
	}
}

// TestBenchUnknownFigure: a figure that does not exist is a usage error.
func TestBenchUnknownFigure(t *testing.T) {
	r := parley(t, env{}, "bench", "--only", "fanout,nope")
	if r.code != exitUsage || !strings.Contains(r.err, `unknown figure "nope"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.err)
	}
}
