package main

import (
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// TestRetrySettings: PARLEY_RETRY_BACKOFF reaches the store's backoff, and
// a value out of range is refused with the variable's name.
func TestRetrySettings(t *testing.T) {
	for _, tt := range []struct {
		v       string
		want    time.Duration
		wantErr bool
	}{
		{"", 30 * time.Second, false},
		{"300ms", 300 * time.Millisecond, false},
		{"2m", 2 * time.Minute, false},
		{"10ms", 0, true},
		{"2h", 0, true},
		{"soon", 0, true},
	} {
		c, err := LoadConfig("", env{"PARLEY_RETRY_BACKOFF": tt.v}.get)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "PARLEY_RETRY_BACKOFF") {
				t.Errorf("%q: err %v, want one naming PARLEY_RETRY_BACKOFF", tt.v, err)
			}
			continue
		}
		if err != nil || c.RetryBackoff != tt.want {
			t.Errorf("%q: %v, %v; want %v", tt.v, c.RetryBackoff, err, tt.want)
			continue
		}
		// The first retry waits between half the setting and the setting.
		st := threads.New(nil, threads.Options{Backoff: c.RetryBackoff, Rand: func() float64 { return 1 }})
		if got := st.Queue.Backoff(1); got > tt.want || got < tt.want/2 {
			t.Errorf("%q: first retry after %v, want within [%v, %v]", tt.v, got, tt.want/2, tt.want)
		}
	}
}
