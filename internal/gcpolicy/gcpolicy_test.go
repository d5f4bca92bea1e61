package gcpolicy

import (
	"math"
	"runtime/debug"
	"testing"
)

// settings reads the GC percent and memory limit without changing them.
func settings() (int, int64) {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

func TestApply(t *testing.T) {
	const startPercent, startLimit = 100, int64(math.MaxInt64)
	for _, tc := range []struct {
		name           string
		gogc, memlimit string // set in the environment when not empty
		wantPercent    int
		wantLimit      int64
	}{
		{"defaults", "", "", Percent, MemoryLimit},
		{"GOGC set: left alone", "150", "", startPercent, MemoryLimit},
		{"GOMEMLIMIT set: left alone", "", "2GiB", Percent, startLimit},
		{"both set", "150", "2GiB", startPercent, startLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, l := settings()
			t.Cleanup(func() { debug.SetGCPercent(p); debug.SetMemoryLimit(l) })
			// The runtime read the environment at start; stand for that.
			debug.SetGCPercent(startPercent)
			debug.SetMemoryLimit(startLimit)
			if tc.gogc != "" {
				t.Setenv("GOGC", tc.gogc)
			}
			if tc.memlimit != "" {
				t.Setenv("GOMEMLIMIT", tc.memlimit)
			}
			restore := Apply()
			if gp, gl := settings(); gp != tc.wantPercent || gl != tc.wantLimit {
				t.Errorf("after Apply: GC percent %d, limit %d; want %d, %d", gp, gl, tc.wantPercent, tc.wantLimit)
			}
			restore()
			if gp, gl := settings(); gp != startPercent || gl != startLimit {
				t.Errorf("after restore: GC percent %d, limit %d; want %d, %d", gp, gl, startPercent, startLimit)
			}
		})
	}
}
