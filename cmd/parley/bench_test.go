package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBenchQuick runs the quick bench, every figure, and checks that it
// works, prints every column and judges each figure: the byte budgets
// are checked, the figures that move with the machine are reported as not
// checked (--quick, or the peer not installed), so that a busy machine
// does not fail it, and the command exits 0 only when nothing failed or
// missed.
func TestBenchQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"bench", "--quick"}, &stdout, &stderr, env{}.get)
	out := stdout.String()
	if code != exitOK || stderr.Len() > 0 {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr.String(), out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "Machine: ") || !strings.Contains(lines[0], "cores") || !strings.Contains(lines[0], "Redis") {
		t.Errorf("no machine line: %q", lines[0])
	}
	const quick, noPeer = "| not checked (--quick) |", "| not checked (peer not installed) |"
	want := []struct {
		row      string
		verdicts []string
	}{
		{"| figure | parley | peer | ratio | machine CPU a unit: parley / peer | target | verdict |", []string{""}},
		{"|---|---|---|---|---|---|---|", []string{""}},
		{"| fan-out: ", []string{quick, noPeer}}, {"| relay: ", []string{quick, noPeer}},
		{"| inbound: ", []string{quick, noPeer}}, {"| inbound floor: ", []string{"| report only |"}},
		{"| durable inbound: ", []string{"| report only |"}},
		{"| latency: ", []string{quick}}, {"| live: ", []string{quick}}, {"| bytes: ", []string{"| met |"}},
	}
	if len(lines) != 2+len(want) {
		t.Fatalf("want a machine line, a blank line and %d table lines, got:\n%s", len(want), out)
	}
	for i, w := range want {
		got := lines[2+i]
		judged := slices.ContainsFunc(w.verdicts, func(v string) bool { return strings.HasSuffix(got, v) })
		if !strings.HasPrefix(got, w.row) || !judged || strings.Count(got, "|") != 8 {
			t.Errorf("table line %d = %q, want %q…%q with seven cells", i, got, w.row, w.verdicts)
		}
	}
	if !strings.Contains(out, "XADD/s") && !strings.Contains(out, "peer not installed (apt-get install -y redis-tools)") {
		t.Errorf("fan-out has neither redis-benchmark's rate nor its install hint:\n%s", out)
	}
	measured := []string{"p99", "KB RSS per client", "jobs/s"}
	if !strings.Contains(out, "apt-get install -y postfix") { // smtp-source drives relay's peer and the inbound load
		measured = append(measured, "emails/s", "msg/s")
	}
	for _, measured := range measured {
		if !strings.Contains(out, measured) {
			t.Errorf("no %q in the report:\n%s", measured, out)
		}
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
			Name    string             `json:"name"`
			Parley  string             `json:"parley"`
			Target  string             `json:"target"`
			Values  map[string]float64 `json:"values"`
			Verdict string             `json:"verdict"`
		} `json:"figures"`
	}
	out := ok(t, env{}, "bench", "--quick", "--only", "bytes", "--json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if rep.Machine.Cores < 1 || rep.Machine.Go == "" || len(rep.Figures) != 1 || rep.Figures[0].Name != "bytes" ||
		rep.Figures[0].Values["sms_segments"] < 1 || rep.Figures[0].Values["relay_email_bytes"] < 100 ||
		rep.Figures[0].Verdict != "met" {
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

// TestBenchCPUProfile: --cpuprofile writes a profile pprof reads (gzip);
// a file that cannot be made stops the command before it measures.
func TestBenchCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.out")
	ok(t, env{}, "bench", "--quick", "--only", "bytes", "--cpuprofile", path)
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile %q: %d bytes, %v", path, len(b), err)
	}
	r := parley(t, env{}, "bench", "--quick", "--only", "bytes", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.out"))
	if r.code == 0 || !strings.Contains(r.err, "cpu profile") || strings.Contains(r.out, "| bytes") {
		t.Errorf("unwritable profile: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}
