//go:build !linux

package mailparse

import "time"

// cpuTime is wallTime where the thread's CPU clock is not at hand.
func cpuTime(f func()) time.Duration { return wallTime(f) }
