package mailparse

import "time"

// wallTime is how long f took by the clock.
func wallTime(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}
