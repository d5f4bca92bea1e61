package mailparse

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime runs f on one OS thread and returns the CPU time that thread
// spent: unlike the wall clock, it does not grow when other processes take
// the machine, so tests of how work grows do not fail on a busy machine.
func cpuTime(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var a, b unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &a) != nil {
		return wallTime(f)
	}
	f()
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &b) != nil {
		return wallTime(f)
	}
	return time.Duration(b.Nano() - a.Nano())
}
