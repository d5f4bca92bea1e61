// Package mailpeers starts real mail servers for tests: a throwaway Postfix
// that relays everything to an SMTP server of the test's choosing, and a
// throwaway Dovecot IMAP server with users of the test's choosing. Each is a
// private instance (its own configuration, queue and mail directories under
// /tmp), listens on free loopback ports only, leaves the system's mail
// setup alone and is stopped by PID when the test ends. See
// ../shared/recipes/mail-peers.md for the recipes behind them.
//
// Both need the Debian packages (postfix, dovecot-imapd) and root, because
// their daemons drop privileges to their own users. When a package is
// missing a test fails under CI (env CI set: CI installs them) and is
// skipped elsewhere, with the command that installs it.
package mailpeers

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Install commands named in skip and failure messages.
const (
	PostfixInstall = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"
	DovecotInstall = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd"
	SwaksInstall   = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y swaks"
)

// missing fails the test under CI and skips it elsewhere.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI must provide it)")
	}
	t.Skip(msg)
}

// NeedProgram returns the path of a program, looked up in PATH and then in
// the given places (Debian puts daemons in /usr/sbin, which a user's PATH
// may lack). When it is nowhere the test fails under CI and is skipped
// elsewhere, naming install.
func NeedProgram(t testing.TB, name, install string, places ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range places {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	missing(t, fmt.Sprintf("%s is not installed; to run this test: %s", name, install))
	return ""
}

// needFile is NeedProgram for a file at a fixed place.
func needFile(t testing.TB, path, install string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, fmt.Sprintf("%s is missing; to run this test: %s", path, install))
	}
}

// needRoot: the daemons change to their own users, which only root can
// set up. Under CI (which runs as root) not being root is a failure.
func needRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "a throwaway "+what+" must be started as root (its daemons run as their own users)")
	}
}

// FreePort returns a loopback TCP port that was free a moment ago. The
// starters retry with another port when the server could not bind it.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// firstLine reads the greeting a server sends on connect; it returns ""
// when nothing came within a second or two.
func firstLine(addr string) string {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	return line
}

// ids returns the numeric uid of a user and gid of a group.
func ids(t testing.TB, userName, groupName string) (uid, gid int) {
	t.Helper()
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			t.Fatalf("user %s: %v", userName, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			t.Fatalf("group %s: %v", groupName, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid
}

// makeDir creates path (and parents) with mode and owner.
func makeDir(t testing.TB, path string, mode os.FileMode, uid, gid int) {
	t.Helper()
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // MkdirAll's mode is masked by umask
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// shortTempDir makes a directory directly under the system temp dir
// (/tmp/PREFIXnnnn), mode 0755 so that daemons running as other users can
// reach it, removed when the test ends. t.TempDir is no good here: its
// parent is 0700 and its path long (Dovecot's socket paths must stay under
// 108 bytes).
func shortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// linesWith returns the lines of text that contain every one of want.
func linesWith(text string, want ...string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		all := true
		for _, w := range want {
			if !strings.Contains(line, w) {
				all = false
				break
			}
		}
		if all && line != "" {
			out = append(out, line)
		}
	}
	return out
}

// daemon is a server process a test runs in the foreground.
type daemon struct {
	name     string        // for errors: "dovecot", "master"
	cmd      *exec.Cmd     // not yet started
	addr     string        // where it greets
	greeting string        // the start of its first line when ready
	grace    time.Duration // how long it may take to stop after SIGTERM
}

// start starts the daemon and waits up to 10 s for its greeting (a bare
// connect is not enough: a server may accept before it is ready). It
// returns the function that stops it; on error the process is gone.
func (d daemon) start() (stop func(), err error) {
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", d.name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.cmd.Wait() }()
	stop = func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(d.grace):
			_ = d.cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(firstLine(d.addr), d.greeting) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("%s exited at start: %v", d.name, err)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no %q greeting from %s on %s after 10s", d.greeting, d.name, d.addr)
		}
		time.Sleep(30 * time.Millisecond)
	}
	return stop, nil
}
