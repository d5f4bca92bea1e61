package smtpsend

// Integration tests against Postfix's smtp-sink, a real SMTP server in C that
// captures or discards mail and can inject faults. startSink is written to be
// copied into other packages' tests.

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
	"strings"
	"syscall"
	"testing"
	"time"
)

// sink is a running smtp-sink.
type sink struct {
	Addr string // 127.0.0.1:PORT
	Dir  string // capture directory, "" when not capturing
}

// findPostfixTool returns the path of a Postfix test program (smtp-sink,
// smtp-source). When it is missing the test fails under CI (CI installs the
// Debian package postfix) and is skipped elsewhere.
func findPostfixTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/" + name); serr == nil {
			return "/usr/sbin/" + name
		}
		msg := fmt.Sprintf("%s not found: install it with "+
			"`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix` "+
			"(Debian package postfix; no daemon is started)", name)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// startSink starts smtp-sink on a free loopback port and stops it (by its
// PID) when the test ends. With capture, each transaction is written to a
// file in s.Dir (read them with s.Messages); args are extra switches, such as
// fault injection: "-r", "RCPT" (450 at RCPT), "-f", "." (500 after DATA),
// "-Q", "MAIL" (421 and disconnect), "-q", "." (disconnect, no reply).
func startSink(t testing.TB, capture bool, args ...string) *sink {
	t.Helper()
	bin := findPostfixTool(t, "smtp-sink")

	// smtp-sink drops root privileges to -u and then writes captures as that
	// user, so the directory and all its parents must be reachable by it:
	// t.TempDir's parent is 0700, hence a directory of our own in /tmp.
	dir, err := os.MkdirTemp("", "smtpsink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var pre []string
	s := &sink{}
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
		port := freePort(t)
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

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Messages returns the captured transactions, oldest first: smtp-sink's
// X-Client-Addr, X-Helo-Args, X-Mail-Args, X-Rcpt-Args and Received
// headers, then the message with LF line ends.
func (s *sink) Messages(t testing.TB) []string {
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

func TestSinkDelivers(t *testing.T) {
	s := startSink(t, true)
	c := newTestClient(t, s.Addr, Options{PoolSize: 2, LocalName: "parley.test"})
	const n = 6
	for i := range n {
		msg := fmt.Sprintf("From: room@parley.test\r\nTo: m%d@example.test\r\nSubject: sink %d\r\n\r\n"+
			".dot line\r\nbody of message %d\r\n", i, i, i)
		if err := c.Send(t.Context(), "room@parley.test", []string{fmt.Sprintf("m%d@example.test", i)}, []byte(msg)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	got := s.Messages(t)
	if len(got) != n {
		t.Fatalf("smtp-sink captured %d messages, want %d", len(got), n)
	}
	for i := range n {
		want := fmt.Sprintf("Subject: sink %d\n\n.dot line\nbody of message %d\n", i, i)
		var found string
		for _, m := range got {
			if strings.Contains(m, want) {
				found = m
			}
		}
		if found == "" {
			t.Errorf("message %d not captured intact; captures:\n%s", i, strings.Join(got, "\n----\n"))
			continue
		}
		for _, h := range []string{
			"X-Helo-Args: parley.test\n",
			"X-Mail-Args: <room@parley.test>",
			fmt.Sprintf("X-Rcpt-Args: <m%d@example.test>\n", i),
		} {
			if !strings.Contains(found, h) {
				t.Errorf("message %d lacks %q:\n%s", i, h, found)
			}
		}
	}
}

func TestSinkFaults(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		op        string
		code      int
		enhanced  [3]int
		temporary bool
	}{
		{"450 at RCPT", []string{"-r", "RCPT"}, "rcpt", 450, [3]int{4, 3, 0}, true},
		{"custom 451 after DATA", []string{"-b", "451 4.7.1 Try again later", "-r", "."}, "data", 451, [3]int{4, 7, 1}, true},
		{"421 at MAIL", []string{"-Q", "MAIL"}, "mail", 421, [3]int{4, 0, 0}, true},
		{"disconnect after DATA", []string{"-q", "."}, "data", 0, [3]int{}, true},
		{"500 at RCPT", []string{"-f", "RCPT"}, "rcpt", 500, [3]int{5, 3, 0}, false},
		{"custom 554 after DATA", []string{"-B", "554 5.7.1 Go away", "-f", "."}, "data", 554, [3]int{5, 7, 1}, false},
		{"550 during DATA", []string{"-A", "0"}, "data", 550, [3]int{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSink(t, false, tt.args...)
			c := newTestClient(t, s.Addr, Options{})
			err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("fault"))
			e := asError(t, err)
			if e.Op != tt.op || e.Code != tt.code || e.Enhanced != tt.enhanced || e.Temporary != tt.temporary ||
				IsTemporary(err) != tt.temporary {
				t.Fatalf("got %v (%#v), want op %s code %d %v temporary %v", err, e, tt.op, tt.code, tt.enhanced, tt.temporary)
			}
		})
	}
}
