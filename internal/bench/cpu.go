package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// A round's wall time moves with whatever else the machine does; the CPU
// a round used moves much less. Each round of a paired figure is also
// metered by the machine's busy CPU time: every process's (parley, Redis,
// the peer tool, the in-process sink) and the kernel's network work for
// them, so that a side's CPU a unit of work can be set beside the other's.
// It is the machine's total because the bench runs alone on it; other
// work running at the same time is counted as well, in both sides'
// rounds alike.

// userHZ is the unit of /proc/stat's times (USER_HZ, 100 on Linux).
const userHZ = 100

// machineBusy is the time the machine's processors have spent busy since
// boot: user, nice, system, irq and softirq in /proc/stat. ok is false
// where /proc/stat cannot be read (not Linux).
func machineBusy() (busy time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	busy, err = parseBusy(b)
	return busy, err == nil
}

// parseBusy reads the busy time from the "cpu" line of /proc/stat.
func parseBusy(stat []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	fields := bytes.Fields(line)
	// cpu user nice system idle iowait irq softirq ...
	if len(fields) < 8 || string(fields[0]) != "cpu" {
		return 0, fmt.Errorf("/proc/stat: no cpu line")
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		v, err := strconv.ParseInt(string(fields[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// metered runs f and returns, beside its result, the machine's busy CPU
// time while it ran (-1 when it could not be read).
func metered(f func() (time.Duration, error)) (time.Duration, time.Duration, error) {
	before, ok := machineBusy()
	d, err := f()
	after, ok2 := machineBusy()
	if !ok || !ok2 {
		return d, -1, err
	}
	return d, after - before, err
}

// cpuPerUnit is each side's machine CPU a unit of work, in microseconds:
// the median over the rounds (0 when a round was not metered).
func (p paired) cpuPerUnit(workParley, workPeer float64) (parley, peer float64) {
	per := func(cpu []time.Duration, work float64) float64 {
		v := make([]float64, 0, len(cpu))
		for _, c := range cpu {
			if c < 0 {
				return 0
			}
			v = append(v, float64(c.Microseconds())/work)
		}
		return median(v)
	}
	return per(p.cpuParley, workParley), per(p.cpuPeer, workPeer)
}

// setCPU puts each side's CPU a unit (cpuPerUnit) in f: its values
// parley_cpu_us and peer_cpu_us, and its CPU cell, which names the unit.
func (f *Figure) setCPU(p paired, workParley, workPeer float64, unit string) {
	cp, cq := p.cpuPerUnit(workParley, workPeer)
	if cp <= 0 || cq <= 0 {
		return
	}
	if f.Values == nil {
		f.Values = map[string]float64{}
	}
	f.Values["parley_cpu_us"], f.Values["peer_cpu_us"] = cp, cq
	f.CPU = fmt.Sprintf("%s / %s µs %s (%.0f%%)", micros(cp), micros(cq), unit, 100*cq/cp)
}

// micros formats microseconds to about three figures.
func micros(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return thousands(v)
}
