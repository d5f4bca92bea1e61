// Package gcpolicy sets how often the garbage collector runs in parley's
// server.
//
// parley serve keeps little memory alive (a few MB) but allocates tens of
// KB for each message it takes in. With Go's default (GOGC=100) the
// collector then runs every few MB allocated, about every hundred
// messages, and each cycle scans the stack of every open connection: under
// load that costs more CPU than parsing the messages. parley therefore
// lets the heap grow to five times its live size between collections
// (GOGC=400), and caps that growth with a soft memory limit, so a large
// live heap does not grow fivefold unchecked.
//
// The GOGC and GOMEMLIMIT environment variables, when set, win: the Go
// runtime reads them itself and Apply leaves that setting alone.
package gcpolicy

import (
	"os"
	"runtime/debug"
)

// Percent is GOGC for parley serve when the environment sets none.
const Percent = 400

// MemoryLimit is the soft memory limit (GOMEMLIMIT) when the environment
// sets none: as the heap nears it the collector runs more often again.
const MemoryLimit = 1 << 30

// Apply sets Percent and MemoryLimit, each unless the environment already
// sets it, and returns a function that restores the previous settings
// (for tests and benchmarks).
func Apply() (restore func()) {
	prevPercent, prevLimit := -2, int64(-1)
	if _, set := os.LookupEnv("GOGC"); !set {
		prevPercent = debug.SetGCPercent(Percent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		prevLimit = debug.SetMemoryLimit(MemoryLimit)
	}
	return func() {
		if prevPercent != -2 {
			debug.SetGCPercent(prevPercent)
		}
		if prevLimit >= 0 {
			debug.SetMemoryLimit(prevLimit)
		}
	}
}
