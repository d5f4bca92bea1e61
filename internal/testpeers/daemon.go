package testpeers

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

// Daemon is a server process a test runs in the foreground, as its child.
type Daemon struct {
	Name     string        // for errors: "dovecot", "master"
	Cmd      *exec.Cmd     // not yet started
	Addr     string        // where it greets
	Greeting string        // the start of its first line when ready
	Grace    time.Duration // how long it may take to stop after SIGTERM
}

// Start starts the daemon and waits up to 10 s for its greeting (a bare
// connect is not enough: a server may accept before it is ready). It
// returns the function that stops it (SIGTERM to its PID, then SIGKILL
// after Grace); on error the process is gone.
func (d Daemon) Start() (stop func(), err error) {
	if err := d.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", d.Name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.Cmd.Wait() }()
	stop = func() {
		_ = d.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(d.Grace):
			_ = d.Cmd.Process.Kill()
			<-exited
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(firstLine(d.Addr), d.Greeting) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("%s exited at start: %v", d.Name, err)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("no %q greeting from %s on %s after 10s", d.Greeting, d.Name, d.Addr)
		}
		time.Sleep(30 * time.Millisecond)
	}
	return stop, nil
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

// IDs returns the numeric uid of a user and gid of a group ("" for
// neither).
func IDs(t testing.TB, userName, groupName string) (uid, gid int) {
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

// MakeDir creates path (and parents) with mode and owner.
func MakeDir(t testing.TB, path string, mode os.FileMode, uid, gid int) {
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

// WriteFile writes a file or fails the test.
func WriteFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// TempDir makes a directory directly under the system temp dir
// (/tmp/PREFIXnnnn), mode 0755 so that daemons running as other users can
// reach it, removed when the test ends. t.TempDir is no good for them: its
// parent is 0700 and its path long (Dovecot's socket paths must stay under
// 108 bytes).
func TempDir(t testing.TB, prefix string) string {
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
