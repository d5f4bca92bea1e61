package bench

import (
	"strings"
	"testing"
	"time"
)

func TestParseBusy(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		bad        bool
	}{
		// user nice system idle iowait irq softirq steal: idle, iowait and
		// steal are not busy.
		{"busy", "cpu  100 5 40 9000 7 1 4 300 0 0\ncpu0 50 2 20 4500 3 0 2 150 0 0\n", 1500 * time.Millisecond, false},
		{"no cpu line", "intr 1 2 3\n", 0, true},
		{"short", "cpu 1 2 3\n", 0, true},
		{"not a number", "cpu 1 x 3 4 5 6 7 8\n", 0, true},
	} {
		got, err := parseBusy([]byte(tc.stat))
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%s: %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.bad)
		}
	}
	if _, ok := machineBusy(); !ok {
		t.Log("no /proc/stat here: the CPU column stays empty")
	}
}

func TestCPUPerUnit(t *testing.T) {
	ms := time.Millisecond
	p := paired{cpuParley: []time.Duration{100 * ms, 400 * ms, 120 * ms}, cpuPeer: []time.Duration{50 * ms, 60 * ms, 55 * ms}}
	var f Figure
	f.setCPU(p, 1000, 1000, "an email")
	if f.Values["parley_cpu_us"] != 120 || f.Values["peer_cpu_us"] != 55 {
		t.Errorf("values %v, want the medians 120 and 55 µs", f.Values)
	}
	if !strings.HasPrefix(f.CPU, "120 / 55.0 µs an email (46%)") {
		t.Errorf("cell %q", f.CPU)
	}
	for v, want := range map[float64]string{4.567: "4.57", 45.67: "45.7", 4567: "4,567"} {
		if got := micros(v); got != want {
			t.Errorf("micros(%v) = %q, want %q", v, got, want)
		}
	}
	var none Figure
	none.setCPU(paired{cpuParley: []time.Duration{-1}, cpuPeer: []time.Duration{ms}}, 1, 1, "a job")
	if none.CPU != "" || none.Values != nil {
		t.Errorf("a round not metered still gave %q %v", none.CPU, none.Values)
	}
}
