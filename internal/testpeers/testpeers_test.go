package testpeers

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that notes how a helper ended the test.
type recorder struct {
	testing.TB
	failed, skipped, logged string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Logf(format string, args ...any) { r.logged = fmt.Sprintf(format, args...) }

// run calls f with a recorder in a goroutine of its own, as the testing
// package runs a test, so that Goexit ends f only.
func run(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestRule(t *testing.T) {
	missing := func(tb testing.TB) { Program(tb, "no-such-peer-program", Apt("no-such-package")) }
	standIn := func(tb testing.TB) { StandIn(tb, "no peer", Apt("peer"), "a stand-in") }
	for _, tc := range []struct {
		ci                      string
		f                       func(testing.TB)
		failed, skipped, logged bool
	}{
		{"true", missing, true, false, false},
		{"1", missing, true, false, false},
		{"", missing, false, true, false},
		{"false", missing, false, true, false},
		{"true", standIn, true, false, false},
		{"", standIn, false, false, true},
	} {
		t.Setenv("CI", tc.ci)
		r := run(tc.f)
		if (r.failed != "") != tc.failed || (r.skipped != "") != tc.skipped || (r.logged != "") != tc.logged {
			t.Errorf("CI=%q: failed %q, skipped %q, logged %q", tc.ci, r.failed, r.skipped, r.logged)
		}
		if msg := r.failed + r.skipped + r.logged; !strings.Contains(msg, "apt-get install -y ") {
			t.Errorf("CI=%q: %q does not say how to install the peer", tc.ci, msg)
		}
	}
}
