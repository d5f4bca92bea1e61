// Package postfixpeer runs Postfix for parley's tests: its test programs
// smtp-sink (a real SMTP server in C that captures or discards mail and
// can inject faults) and smtp-source (its load generator), which start no
// daemon; and a throwaway Postfix that relays everything to an SMTP server
// of the test's choosing (StartRelay), which needs root. All come with the
// Debian package postfix; when it is missing the test fails under CI and
// is skipped elsewhere (the rule of package testpeers).
package postfixpeer

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"parley/internal/testpeers"
)

// Sink is a running smtp-sink.
type Sink struct {
	Addr string // 127.0.0.1:PORT
	Dir  string // capture directory, "" when not capturing
}

// Install is the command that installs Postfix (installing starts no
// daemon that the tests need or use).
var Install = testpeers.Apt("postfix")

// FindTool returns the path of a Postfix test program (smtp-sink,
// smtp-source). When it is missing the test fails under CI and is skipped
// elsewhere.
func FindTool(t testing.TB, name string) string {
	t.Helper()
	return testpeers.Program(t, name, Install, "/usr/sbin/"+name)
}

// StartSink starts smtp-sink on a free loopback port and stops it (by its
// PID) when the test ends. With capture, each transaction is written to a
// file in s.Dir (read them with s.Messages); args are extra switches, such as
// fault injection: "-r", "RCPT" (450 at RCPT), "-f", "." (500 after DATA),
// "-Q", "MAIL" (421 and disconnect), "-q", "." (disconnect, no reply).
func StartSink(t testing.TB, capture bool, args ...string) *Sink {
	t.Helper()
	bin := FindTool(t, "smtp-sink")

	// smtp-sink drops root privileges to -u and then writes captures as that
	// user, so the directory and all its parents must be reachable by it:
	// t.TempDir's parent is 0700, hence a directory of our own in /tmp.
	dir := testpeers.TempDir(t, "smtpsink-")
	var pre []string
	s := &Sink{}
	if os.Geteuid() == 0 {
		pre = append(pre, "-u", "nobody") // required as root
	}
	if capture {
		s.Dir = filepath.Join(dir, "cap")
		if err := os.Mkdir(s.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			u, err := user.Lookup("nobody")
			if err != nil {
				t.Fatal(err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			if err := os.Chown(s.Dir, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		pre = append(pre, "-d", s.Dir+"/%Y%m%d%H%M%S.")
	}

	// The free port can be taken between our probe and smtp-sink's bind:
	// try a few.
	var lastErr string
	for range 5 {
		port := testpeers.FreePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		var stderr bytes.Buffer
		cmd := exec.Command(bin, slices.Concat(pre, args, []string{s.Addr, "64"})...)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start smtp-sink: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		if err := waitGreeting(s.Addr, exited); err != nil {
			stop()
			lastErr = fmt.Sprintf("%v; stderr: %s", err, stderr.String())
			continue
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() && stderr.Len() > 0 {
				t.Logf("smtp-sink stderr:\n%s", stderr.String())
			}
		})
		return s
	}
	t.Fatalf("smtp-sink did not start: %s", lastErr)
	return nil
}

// waitGreeting waits until addr answers with an SMTP reply line (any code:
// a fault switch may make the greeting a 4xx), or the process exits.
func waitGreeting(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("smtp-sink exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("QUIT\r\n"))
		_ = c.Close()
		if err == nil && len(line) >= 4 {
			return nil
		}
	}
	return fmt.Errorf("no greeting from %s", addr)
}

// Messages returns the captured transactions, oldest first: smtp-sink's
// X-Client-Addr, X-Helo-Args, X-Mail-Args, X-Rcpt-Args and Received
// headers, then the message with LF line ends.
func (s *Sink) Messages(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(s.Dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
