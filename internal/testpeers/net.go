package testpeers

import (
	"net"
	"testing"
)

// FreePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before the caller binds it: the starters of peers
// try again with another port when that happens.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
